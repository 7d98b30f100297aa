"""scikit-learn conventions of every estimator (the shared base), on the shipped weights."""

from __future__ import annotations

import os

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pymatgen_ml_xrd import CompositionToXRD, SpaceGroupClassifier  # noqa: E402
from pymatgen_ml_xrd.errors import InvalidParameterError, ModelFileError  # noqa: E402
from pymatgen_ml_xrd.examples import example_structures  # noqa: E402
from pymatgen_ml_xrd.patterns import PatternSpec  # noqa: E402


@pytest.fixture(scope="module")
def structures():
    return list(example_structures().values())[:2]


@pytest.mark.parametrize("cls", [SpaceGroupClassifier, CompositionToXRD])
def test_check_is_fitted(cls):
    check_is_fitted(cls())  # shipped weights: fitted (loaded on the check)
    with pytest.raises(NotFittedError):
        check_is_fitted(cls(pretrained=None))
    with pytest.raises(NotFittedError):  # also a package error naming what to do
        cls(pretrained=None).predict(["NaCl"] if cls is CompositionToXRD else np.ones((1, 2126)))
    with pytest.raises(ModelFileError, match="does not exist"):
        check_is_fitted(cls(pretrained="no/such/model"))


@pytest.mark.parametrize("params", [{}, {"wavelength": "CuKa1"}, {"two_theta": (5.0, 90.0, 0.04), "background": "snip"},
                                    {"pretrained": "gaussian", "background": "none"},
                                    {"pretrained": "experimental", "background": "snip"},
                                    {"pretrained": "pseudo-voigt", "batch_size": 64}])
def test_predict_never_rewrites_parameters_and_clone_equals_fresh(params, structures):
    clf = SpaceGroupClassifier(**params)
    before = clf.get_params()
    clf.predict_proba(structures)
    assert clf.get_params() == before
    assert clone(clf).get_params() == SpaceGroupClassifier(**params).get_params()
    assert "model_" not in vars(clone(clf))  # nothing loaded until first use
    np.testing.assert_allclose(clone(clf).predict_proba(structures), clf.predict_proba(structures), rtol=1e-6)


def test_spec_comes_with_the_weights_and_conflicts_name_both_values(structures):
    clf = SpaceGroupClassifier(pretrained="experimental")
    assert isinstance(clf.spec_, PatternSpec) and clf.spec_.background == "snip" and clf.background is None
    assert clf.params_["background"] == "snip"
    with pytest.raises(InvalidParameterError, match=r"background='none' conflicts with pretrained='experimental'.*"
                                                    r"trained with background='snip'"):
        SpaceGroupClassifier(pretrained="experimental", background="none").predict(structures)
    with pytest.raises(InvalidParameterError, match="n_points=512 conflicts"):
        CompositionToXRD(n_points=512).predict(["NaCl"])


def test_set_params_pretrained_takes_effect_after_use(structures):
    clf = SpaceGroupClassifier()
    default = clf.predict_proba(structures)
    assert clf.spec_.background == "snip" and len(clf.classes_) == 230
    clf.set_params(pretrained="experimental")
    assert len(clf.classes_) < 230  # the experimental weights are loaded
    np.testing.assert_allclose(clf.predict_proba(structures),
                               SpaceGroupClassifier(pretrained="experimental").predict_proba(structures), rtol=1e-6)
    assert clf.predict_proba(structures).shape[1] == len(clf.classes_) < default.shape[1]
    clf.pretrained = "default"  # plain assignment (as GridSearchCV's clone + set_params) works too
    np.testing.assert_allclose(clf.predict_proba(structures), default, rtol=1e-6)


def test_pipeline_and_frozen_estimator_predict(structures):
    frozen_module = pytest.importorskip("sklearn.frozen")
    clf = SpaceGroupClassifier()
    expected = clf.predict(structures)
    np.testing.assert_array_equal(Pipeline([("classify", SpaceGroupClassifier())]).predict(structures), expected)
    frozen = frozen_module.FrozenEstimator(SpaceGroupClassifier())
    np.testing.assert_array_equal(frozen.predict(structures), expected)
    c2x = frozen_module.FrozenEstimator(CompositionToXRD())
    assert c2x.predict(["NaCl"])[0].max() == pytest.approx(1.0)


def test_saved_model_round_trip_keeps_parameters_and_spec(tmp_path, structures):
    clf = SpaceGroupClassifier(pretrained="pseudo-voigt")
    path = clf.save(tmp_path / "sg.v1")
    clf.save(tmp_path / "sg.v2")  # a dotted name is its own model, not sg.keras
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sg.v1.json", "sg.v1.keras", "sg.v2.json", "sg.v2.keras"]
    back = SpaceGroupClassifier.load(path)
    assert back.get_params() | {"pretrained": None} == clf.get_params() | {"pretrained": None}
    assert back.spec_ == clf.spec_ and back.params_ == clf.params_
    np.testing.assert_allclose(back.predict_proba(structures), clf.predict_proba(structures), rtol=1e-6)


def test_pattern_spec_validates_and_round_trips():
    spec = PatternSpec(two_theta=(10, 70, 0.05), profile="pseudo-voigt", kalpha2=0.5, background="snip",
                       effects={"zero_shift": [0.0, 0.05]})
    assert PatternSpec.from_dict(spec.to_dict()) == spec and spec.n_points == len(spec.grid) == 1201
    assert spec.differences(spec.replace(background="arpls")) == ["background: 'snip' != 'arpls'"]
    for bad, match in ((dict(two_theta=(10, 70)), "two_theta"), (dict(profile="lorentz"), "profile"),
                       (dict(kalpha2=2.0), "kalpha2"), (dict(crystallite_size=(0, 10)), "crystallite_size"),
                       (dict(eta=(0.0, 1.5)), "eta"), (dict(effects={"noise": 1}), "effects"),
                       (dict(wavelength="XyKa"), "radiation"), (dict(preprocessing="log"), "preprocessing")):
        with pytest.raises(InvalidParameterError, match=match):
            PatternSpec(**bad)
    with pytest.raises(InvalidParameterError, match="unknown PatternSpec fields"):
        PatternSpec.from_dict({"grid": 1})


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "3"])
def test_top_k_must_be_a_positive_integer(k):
    from pymatgen_ml_xrd.estimators.base import check_top_k

    with pytest.raises(InvalidParameterError, match="k must be an integer >= 1"):
        check_top_k(k, 10)
    assert check_top_k(3, 10) == 3 and check_top_k(50, 10) == 10


@pytest.mark.parametrize("symprec", [-1.0, float("nan"), 0.0, 2.0, "0.1"])
def test_generator_refuses_a_tolerance_spglib_cannot_take(symprec):
    from pymatgen_ml_xrd import SyntheticStructureGenerator

    with pytest.raises(InvalidParameterError, match="symprec"):
        SyntheticStructureGenerator(symprec=symprec)


def test_set_params_never_raises_and_fit_validates_instead():
    """scikit-learn's check_do_not_raise_errors_in_init_or_set_params: any value is stored;
    fit or predict say what is wrong with it."""
    clf = SpaceGroupClassifier()
    row = np.zeros((1, 2126)) + 0.5
    row[0, 1000:1004] = 3.0  # a peak above a flat background
    clf.predict_proba(row)  # the shipped weights are loaded
    for value in (np.array([1, 2]), 3.5, ["default"]):
        clf.set_params(pretrained=value)
        assert clf.get_params()["pretrained"] is value
        with pytest.raises((InvalidParameterError, ModelFileError, TypeError)):
            clf.predict(row)
    clf.set_params(pretrained="default")
    assert clf.predict(row).shape == (1,)


def test_grid_search_over_a_tiny_fit_on_patterns(structures, tmp_path):
    """The API checks of scikit-learn that draw random 2-4 column X cannot apply to a model of a
    fixed 2-theta grid; these are their pattern-shaped equivalents: fit returns self and keeps
    the parameters, reads read-only input, and GridSearchCV runs a tiny fit (fit parameters
    passed through)."""
    from sklearn.model_selection import GridSearchCV

    rng = np.random.default_rng(0)
    X = rng.random((16, 301)).astype(np.float32)
    X[:8, 100:110] += 5.0  # two learnable classes
    y = np.array([225] * 8 + [194] * 8)
    X.setflags(write=False)
    params = dict(pretrained=None, two_theta=(10.0, 70.0, 0.2), batch_size=8, verbose=False)
    clf = SpaceGroupClassifier(**params)
    before = clf.get_params()
    assert clf.fit(X, y, epochs=1) is clf and clf.get_params() == before
    assert sorted(clf.classes_.tolist()) == [194, 225] and clf.predict(X).shape == (16,)
    assert clf.n_features_in_ == 301 and SpaceGroupClassifier().n_features_in_ == 2126
    assert not hasattr(SpaceGroupClassifier(**params), "n_features_in_")  # unfitted
    missing = SpaceGroupClassifier(pretrained=str(tmp_path / "no_such_model"))
    assert not hasattr(missing, "n_features_in_")  # unreadable weights: absent, not a crash of hasattr
    with pytest.raises(ModelFileError, match="no_such_model"):
        missing.predict(X)  # where the weights are used, the reason
    search = GridSearchCV(SpaceGroupClassifier(**params), {"learning_rate": [1e-3, 3e-3]}, cv=2)
    search.fit(X, y, epochs=2)  # fit parameters pass through
    assert search.best_params_["learning_rate"] in (1e-3, 3e-3) and 0.0 <= search.best_score_ <= 1.0
    assert set(search.predict(X).tolist()) <= {194, 225}
