"""CompositionToXRD: formula encoding, smoothed targets, the estimator and its files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pymatgen.core import Composition, Species, Structure
from sklearn.base import clone

from pymatgen_ml_xrd import CompositionToXRD, Diffractogram, XRDCalculator
from pymatgen_ml_xrd.compositions.encoding import (
    DEFAULT_ELEMENTS,
    CompositionEncoder,
    CompositionEncodingError,
)
from pymatgen_ml_xrd.diffraction.smoothed_pattern import smooth_sticks, smoothed_patterns, uniform_grid
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.estimators.composition_to_xrd import lowest_energy_per_composition
from pymatgen_ml_xrd.models.files import ModelFileError

# ------------------------------------------------------------------ encoding


def test_encoding_puts_counts_in_the_element_rows():
    enc = CompositionEncoder()
    m = enc.encode(["Fe2O3"])[0]
    assert m.shape == (94, 40) and m.sum() == 2
    assert m[DEFAULT_ELEMENTS.index("Fe"), 1] == 1 and m[DEFAULT_ELEMENTS.index("O"), 2] == 1


def test_encoding_reduces_and_scales_to_integer_formula_units():
    enc = CompositionEncoder()
    np.testing.assert_array_equal(enc.encode(["Fe4O6"]), enc.encode(["Fe2O3"]))
    np.testing.assert_array_equal(enc.encode(["Li0.5Fe0.5O"]), enc.encode([Composition("LiFeO2")]))
    assert enc.formula_unit("Ba0.5Sr0.5TiO3") == {"Ba": 1, "Sr": 1, "Ti": 2, "O": 6}


def test_rows_follow_mendeleev_numbers():
    from pymatgen.core import Element

    numbers = [Element(s).mendeleev_no for s in DEFAULT_ELEMENTS]
    assert numbers == sorted(numbers) and len(DEFAULT_ELEMENTS) == 94


@pytest.mark.parametrize(
    "formula, message",
    [
        ("Og2O", "outside the encoder"),
        ("C41H2", "exceed max_count"),
        ("Li0.3333CoO2", "exceed max_count"),
        ("Fe0.0001O", "would be encoded as 'O2' \\(Fe lost\\)"),
        ("NotAFormula!", "cannot read formula"),
        (Composition({Species("Fe", 3): 2, Species("O", -2): 3}), "Fe3\\+, O2- is not a chemical element"),
        (42, "formula string or a pymatgen Composition"),
    ],
)
def test_unencodable_formulas_name_the_problem(formula, message):
    with pytest.raises(CompositionEncodingError, match=message):
        CompositionEncoder().encode([formula])


# ------------------------------------------------------------------ smoothed targets


def test_smooth_sticks_is_a_gaussian_of_the_given_width():
    x = uniform_grid((0.0, 20.0), 2001)
    y = smooth_sticks(x, np.array([10.0]), np.array([2.0]), fwhm=0.5)
    assert y.max() == pytest.approx(2.0)
    above = x[y >= 1.0]
    assert above[-1] - above[0] == pytest.approx(0.5, abs=0.011)


def test_smoothed_patterns_peak_where_the_calculator_says(real_structures):
    structures = real_structures[:5]
    y = smoothed_patterns(structures, (5.0, 90.0), 1024, 0.25)
    x = uniform_grid((5.0, 90.0), 1024)
    assert y.shape == (5, 1024) and np.allclose(y.max(axis=1), 1.0)
    for s, row in zip(structures, y):
        sticks = XRDCalculator().get_pattern(s, two_theta_range=(5, 90))
        strong = np.asarray(sticks.x)[np.asarray(sticks.y) > 30]
        assert np.abs(strong - x[row.argmax()]).min() < 0.15


def test_immutable_structures_are_simulated(real_structures):
    from pymatgen.core import IStructure

    frozen = IStructure.from_sites(real_structures[0])
    np.testing.assert_allclose(smoothed_patterns([frozen]), smoothed_patterns(real_structures[:1]))


def test_full_range_grid_of_the_paper(real_structures):
    y = smoothed_patterns(real_structures[:2], (0.0, 180.0), 1024, 0.5)
    assert y.shape == (2, 1024) and np.isfinite(y).all()


@pytest.mark.parametrize("args, message", [(((90, 5), 100), "0 <= start < stop <= 180"), (((5, 90), 1), "n_points")])
def test_bad_grids(args, message):
    with pytest.raises(InvalidParameterError, match=message):
        uniform_grid(*args)


def test_lowest_energy_polymorph_is_kept():
    lat = [[4, 0, 0], [0, 4, 0], [0, 0, 4]]
    a = Structure(lat, ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    b = Structure(lat, ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.0]])
    c = Structure(lat, ["K", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert lowest_energy_per_composition([a, b, c], [0.2, 0.0, 0.1]) == [1, 2]
    assert lowest_energy_per_composition([a, b, c]) == [0, 2]


# ------------------------------------------------------------------ estimator


@pytest.fixture(scope="module")
def tiny(real_structures, tmp_path_factory):
    est = CompositionToXRD(pretrained=None, epochs=2, batch_size=8, patience=2, verbose=False, n_points=256)
    est.fit_structures(real_structures[:40], validation_data=real_structures[40:48])
    return est


def test_fit_structures_and_predict(tiny, real_structures):
    meta = tiny.metadata_["training"]
    assert meta["n_structures_given"] == 40 and meta["n_train"] <= 40 and meta["n_validation"] > 0
    out = tiny.predict_diffractograms(["NaCl", Composition("Fe2O3")])
    assert len(out) == 2 and all(isinstance(d, Diffractogram) for d in out)
    np.testing.assert_allclose(out[0].x, tiny.grid_)
    assert out[0].wavelength == pytest.approx(1.54184)
    arr = tiny.predict_array("NaCl")
    assert arr.shape == (1, 256) and arr.max() == pytest.approx(1.0) and (arr >= 0).all()
    y = tiny.simulate_targets(real_structures[:4])
    x4 = [s.composition for s in real_structures[:4]]
    pred = tiny.predict(x4)
    assert isinstance(pred, np.ndarray) and pred.shape == (4, 256)
    from sklearn.metrics import r2_score

    from pymatgen_ml_xrd.patterns.metrics import pearson_score

    assert tiny.score(x4, y) == pytest.approx(r2_score(y, pred, multioutput="variance_weighted"))
    assert tiny.score(x4, pred) == pytest.approx(1.0) and pearson_score(pred, pred) == pytest.approx(1.0)
    assert -1.0 <= pearson_score(y, pred) <= 1.0
    report = tiny.evaluate([s.composition for s in real_structures[:4]], y)
    assert report["n"] == 4 and 0 <= report["peak_recall"] <= 1
    # a Structure stands for its composition
    np.testing.assert_allclose(tiny.predict_array(real_structures[0]),
                               tiny.predict_array(real_structures[0].composition))  # fmt: skip
    with pytest.raises(InvalidParameterError, match="energies has 1 values for 2 structures"):
        tiny.fit_structures(real_structures[:2], energies=[0.0])


def test_calibrated_exponent_is_applied_and_saved(tiny, real_structures, tmp_path):
    est = clone(tiny)
    est.model_, est.metadata_, est.params_, est.exponent_ = tiny.model_, {"training": {}}, tiny.params_, 1.0
    structures = real_structures[40:52]
    y = est.simulate_targets(structures)
    raw = est.predict_array(["NaCl"])
    result = est.calibrate([s.composition for s in structures], y, exponents=[0.5, 1.0])
    assert result["exponent"] in (0.5, 1.0) and result["f1_after"] == max(result["f1"])
    assert result["f1_after"] >= result["f1_before"]
    np.testing.assert_allclose(est.predict_array(["NaCl"]), raw ** result["exponent"], rtol=1e-5)
    back = CompositionToXRD.load(est.save(tmp_path / "cal"))
    assert back.exponent_ == result["exponent"] and back.metadata_["calibration"]["n"] == len(structures)
    with pytest.raises(InvalidParameterError, match="positive"):
        est.calibrate(["NaCl"], y[:1], exponents=[0.0])


def test_sklearn_conventions(tiny):
    c = clone(tiny)
    assert c.get_params() == tiny.get_params() and not hasattr(c, "model_")
    with pytest.raises(InvalidParameterError, match="no weights"):
        CompositionToXRD(pretrained=None).predict(["NaCl"])
    with pytest.raises(InvalidParameterError, match="loss must be one of"):
        CompositionToXRD(pretrained=None, loss="huber").fit(["NaCl"], np.ones((1, 1024)))


def test_fit_on_patterns_checks_targets():
    est = CompositionToXRD(pretrained=None, epochs=1, n_points=128, verbose=False, validation_fraction=0)
    with pytest.raises(InvalidParameterError, match="3 patterns for 2 compositions"):
        est.fit(["NaCl", "KCl"], np.ones((3, 128)))
    with pytest.raises(InvalidParameterError, match="model grid of 128 points"):
        est.fit(["NaCl", "KCl"], np.ones((2, 100)))
    with pytest.raises(InvalidParameterError, match="NaN"):
        est.fit(["NaCl"], np.full((1, 128), np.nan))
    with pytest.raises(InvalidParameterError, match="fit_structures"):
        est.fit(["NaCl"], [Structure([[4, 0, 0], [0, 4, 0], [0, 0, 4]], ["Na"], [[0, 0, 0]])])
    # Diffractograms on another grid are resampled
    x = np.linspace(0, 100, 2001)
    d = Diffractogram(x, np.exp(-0.5 * ((x - 30) / 0.2) ** 2))
    est.fit(["NaCl"], [d])
    assert est.predict_array("NaCl").shape == (1, 128)


def test_save_load_round_trip(tiny, tmp_path):
    path = tiny.save(tmp_path / "c2x")
    back = CompositionToXRD.load(path)
    assert back.get_params() | {"pretrained": None} == tiny.get_params() | {"pretrained": None}
    np.testing.assert_allclose(back.predict_array(["NaCl", "SrTiO3"]), tiny.predict_array(["NaCl", "SrTiO3"]),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    assert CompositionToXRD(pretrained=str(path)).predict_array("KCl").shape == (1, 256)


def test_load_refuses_bad_files(tiny, tmp_path):
    path = tiny.save(tmp_path / "c2x")
    meta = json.loads(path.read_text())
    (tmp_path / "foreign.json").write_text(json.dumps({**meta, "format": "pymatgen_ml_xrd.SpaceGroupClassifier"}))
    (tmp_path / "foreign.keras").write_bytes(path.with_suffix(".keras").read_bytes())
    with pytest.raises(ModelFileError, match="is not a pymatgen_ml_xrd.CompositionToXRD file"):
        CompositionToXRD.load(tmp_path / "foreign")
    (tmp_path / "grid.json").write_text(json.dumps({**meta, "params": {**meta["params"], "n_points": 512}}))
    (tmp_path / "grid.keras").write_bytes(path.with_suffix(".keras").read_bytes())
    with pytest.raises(ModelFileError, match="checksum"):  # an edited file
        CompositionToXRD.load(tmp_path / "grid")
    meta.pop("checksum")  # as files written before checksums: the consistency checks still hold
    (tmp_path / "grid.json").write_text(json.dumps({**meta, "params": {**meta["params"], "n_points": 512}}))
    (tmp_path / "grid.keras").write_bytes(path.with_suffix(".keras").read_bytes())
    with pytest.raises(ModelFileError, match="does not fit its metadata"):
        CompositionToXRD.load(tmp_path / "grid")
    with pytest.raises(ModelFileError, match="does not exist"):
        CompositionToXRD.load(tmp_path / "missing")


def test_paper_architecture_builds():
    from pymatgen_ml_xrd.models.deepxrd import build_deepxrd

    model = build_deepxrd((94, 40), 1024, "paper")
    assert model.input_shape == (None, 94, 40) and model.output_shape == (None, 1024)
    with pytest.raises(ValueError, match="1024 points"):
        build_deepxrd((94, 40), 512, "paper")


def test_shipped_default_model():
    est = CompositionToXRD()
    out = est.predict_diffractograms(["SrTiO3", "NaCl"])
    assert len(out) == 2 and len(out[0].x) == 1024
    meta = est.metadata_["training"]
    assert "train_composition_to_xrd.py" in meta["command"] and meta["n_train"] > 5000
    # a cubic perovskite and rock salt do not get the same pattern
    assert np.corrcoef(out[0].y, out[1].y)[0, 1] < 0.99


# ------------------------------------------------------------------ featurizer and command line


def test_predicted_pattern_featurizer(tiny):
    import pandas as pd

    from pymatgen_ml_xrd.featurizers import PredictedPatternFeatures

    feat = PredictedPatternFeatures(bin_width=5.0, n_peaks=3, model=tiny)
    labels = feat.feature_labels()
    assert labels[0] == "predicted_xrd_5" and labels[-1] == "predicted_peak3" and len(labels) == 17 + 3
    df = pd.DataFrame({"composition": [Composition("NaCl"), "SrTiO3", "Og2O"]})
    out = feat.featurize_dataframe(df, "composition", ignore_errors=True, return_errors=True, pbar=False)
    row = out.iloc[0][labels[:17]].to_numpy(dtype=float)
    expected = tiny.predict_array("NaCl")[0]
    assert row[0] == pytest.approx(expected[tiny.grid_ < 10].mean(), rel=1e-5)
    assert 5 <= out.iloc[1]["predicted_peak1"] <= 90
    assert np.isnan(out.iloc[2]["predicted_xrd_5"]) and "outside the encoder" in out.iloc[2][feat.__class__.__name__ + " Exceptions"]
    assert len(feat.citations()) == 2 and "DeepXRD" in feat.citations()[0]  # its own papers only


def test_cli_predict_xrd(tiny, tmp_path, capsys):
    from pymatgen_ml_xrd import cli

    model = tiny.save(tmp_path / "c2x")
    png, xy = tmp_path / "pred.png", tmp_path / "xy"
    assert cli.main(["predict-xrd", "SrTiO3", "NaCl", "--model", str(model), "--json", "--png", str(png),
                     "--xy", str(xy), "--peaks", "3"]) == 0  # fmt: skip
    results = json.loads(capsys.readouterr().out)
    assert [r["formula"] for r in results] == ["SrTiO3", "NaCl"] and 1 <= len(results[0]["peaks"]) <= 3
    assert png.stat().st_size > 10_000
    data = np.loadtxt(xy / "NaCl.xy")
    assert data.shape == (256, 2) and data[:, 1].max() == pytest.approx(1.0, abs=1e-3)
    assert cli.main(["predict-xrd", "Xx2O", "--model", str(model)]) == 2
    assert "Xx is not a chemical element" in capsys.readouterr().err
