"""matminer featurizers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matminer.featurizers.structure import XRDPowderPattern as MatminerXRD
from pymatgen.core import Lattice, Structure

from pymatgen_ml_xrd.featurizers import XRDPowderPattern


@pytest.mark.parametrize("kwargs", [{}, {"two_theta_range": (10, 80), "bw_method": 0.1}, {"wavelength": "MoKa"},
                                    {"bw_method": "scott", "pattern_length": 300}])
def test_same_columns_as_matminer(real_structures, kwargs):
    ours, theirs = XRDPowderPattern(**kwargs), MatminerXRD(**kwargs)
    assert ours.feature_labels() == theirs.feature_labels()
    for s in real_structures[:40:8]:
        np.testing.assert_allclose(ours.featurize(s), theirs.featurize(s), rtol=1e-7, atol=1e-12)


def test_featurize_dataframe_with_errors_and_jobs(real_structures):
    tiny = Structure(Lattice.cubic(1.2), ["Na"], [[0, 0, 0]])  # one peak below 127 deg: cannot be smeared
    df = pd.DataFrame({"structure": [real_structures[0], tiny, real_structures[1]]})
    feat = XRDPowderPattern()
    out = feat.featurize_dataframe(df, "structure", ignore_errors=True, return_errors=True, pbar=False)
    assert out["xrd_0"].notna().sum() == 2 and "fewer than two peaks" in out["XRDPowderPattern Exceptions"][1]
    with pytest.raises(ValueError, match="fewer than two peaks"):
        feat.featurize_dataframe(df, "structure", pbar=False)
    parallel = XRDPowderPattern()
    parallel.set_n_jobs(2)
    par = parallel.featurize_dataframe(df.iloc[[0, 2]], "structure", pbar=False)
    np.testing.assert_allclose(par[feat.feature_labels()].to_numpy(), out.iloc[[0, 2]][feat.feature_labels()].to_numpy())
    assert feat.citations() and feat.implementors()


def test_parameters_survive_clone_and_featurize_changes_no_state(real_structures):
    from sklearn.base import clone

    feat = XRDPowderPattern(wavelength="MoKa", pattern_length=64)
    twin = clone(feat)
    assert twin.wavelength == "MoKa" and twin.xrd_calc.wavelength == feat.xrd_calc.wavelength
    np.testing.assert_allclose(twin.featurize(real_structures[0]), feat.featurize(real_structures[0]))
    assert len(XRDPowderPattern().feature_labels()) == 128  # one per degree of (0, 127)


def test_model_featurizers_batch_stay_pure_cite_their_own_papers_and_refuse_forked_workers(real_structures,
                                                                                          monkeypatch):
    import sys

    from pymatgen_ml_xrd.featurizers import SpaceGroupFeatures, StructureTypeFeatures, batching

    feat = SpaceGroupFeatures(k=2)
    state = dict(vars(feat))
    entries = real_structures[:5]
    batched = feat.featurize_many(entries, pbar=False)
    assert dict(vars(feat)) == state  # the shipped model is cached per process, not on the featurizer
    single = [feat.featurize(s) for s in entries]
    for a, b in zip(batched, single):
        assert a[:3] == b[:3] and np.allclose(a[3:], b[3:], rtol=1e-4)  # batch size changes float sums
    assert "Schopmans" in feat.citations()[0] and "Chen2024" in StructureTypeFeatures().citations()[0]
    assert feat.citations() != XRDPowderPattern().citations()
    monkeypatch.setattr(batching, "_IMPORT_PID", -1)  # as in a worker forked from this process
    assert "tensorflow" in sys.modules
    with pytest.raises(batching.ForkedWorkerError, match="n_jobs=1"):
        feat.featurize(entries[0])
