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
