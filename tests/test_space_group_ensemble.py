"""Ensembles of space-group classifiers: one model whose probabilities are the members' mean."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pymatgen_ml_xrd import SpaceGroupClassifier  # noqa: E402
from pymatgen_ml_xrd.errors import InvalidParameterError  # noqa: E402
from pymatgen_ml_xrd.estimators.space_group import _softmax  # noqa: E402
from pymatgen_ml_xrd.estimators.space_group_ensemble import ensemble_classifier  # noqa: E402

GRID = (10.0, 70.0, 0.2)  # 301 points


def _tiny(groups: tuple[int, int], seed: int, two_theta=GRID) -> SpaceGroupClassifier:
    rng = np.random.default_rng(seed)
    n = int(round((two_theta[1] - two_theta[0]) / two_theta[2])) + 1
    X = rng.random((16, n)).astype(np.float32)
    X[:8, 100:110] += 5.0
    clf = SpaceGroupClassifier(pretrained=None, two_theta=two_theta, batch_size=8, verbose=False, seed=seed)
    return clf.fit(X, np.array([groups[0]] * 8 + [groups[1]] * 8), epochs=1)


@pytest.fixture(scope="module")
def members():
    a, b = _tiny((194, 225), 0), _tiny((62, 225), 1)
    a.temperature_, b.temperature_ = 1.3, 0.7  # each member's own temperature is applied
    return a, b


def test_an_ensemble_predicts_the_mean_of_its_members_calibrated_probabilities(members, tmp_path):
    a, b = members
    ens = ensemble_classifier([a, b])
    assert list(ens.classes_) == [62, 194, 225] and ens.temperature_ == 1.0 and ens.n_features_in_ == 301
    X = np.random.default_rng(5).random((6, 301))
    mean = np.zeros((6, 3))
    for m in (a, b):
        mean[:, np.searchsorted(ens.classes_, m.classes_)] += m.predict_proba(X) / 2
    np.testing.assert_allclose(ens.predict_proba(X), mean, atol=1e-6)
    np.testing.assert_array_equal(ens.predict(X), ens.classes_[mean.argmax(axis=1)])
    assert ens.metadata_["ensemble"]["members"][1]["temperature"] == pytest.approx(0.7)
    assert ens.params_["architecture"] == "ensemble"
    # its own temperature sharpens or softens the mean, as any classifier's does
    ens.temperature_ = 2.0
    np.testing.assert_allclose(ens.predict_proba(X), _softmax(np.log(mean) / 2.0), atol=1e-5)
    # one file; it loads back to the same predictions
    path = ens.save(tmp_path / "ens")
    back = SpaceGroupClassifier.load(path.with_suffix(""))
    np.testing.assert_allclose(back.predict_proba(X), ens.predict_proba(X), atol=1e-7)
    assert back.metadata_["ensemble"] == ens.metadata_["ensemble"]
    with pytest.raises(InvalidParameterError, match="an ensemble has no architecture to rebuild"):
        ens.save_compact(tmp_path / "compact")
    # members given as saved paths are recorded by file name, never by machine path
    a.save(tmp_path / "member_a"), b.save(tmp_path / "member_b")
    by_path = ensemble_classifier([tmp_path / "member_a", str(tmp_path / "member_b")])
    assert [m["name"] for m in by_path.metadata_["ensemble"]["members"]] == ["member_a", "member_b"]
    assert str(tmp_path) not in json.dumps(by_path.metadata_["ensemble"])
    np.testing.assert_allclose(by_path.predict_proba(X), _softmax(np.log(mean)), atol=1e-6)


def test_members_must_read_patterns_alike_and_be_at_least_two(members):
    a, _ = members
    other_grid = _tiny((62, 225), 2, two_theta=(10.0, 70.0, 0.1))
    with pytest.raises(InvalidParameterError, match="ensemble member fitted.*two_theta"):
        ensemble_classifier([a, other_grid])
    with pytest.raises(InvalidParameterError, match="at least two"):
        ensemble_classifier([a])
    with pytest.raises(InvalidParameterError, match="at least two"):
        ensemble_classifier("v2")
    with pytest.raises(InvalidParameterError, match="must be classifiers, names or paths"):
        ensemble_classifier([a, 3])


def test_an_ensemble_recipe_needs_registered_members():
    from pymatgen_ml_xrd import recipes

    for members in (("space-group-v2", "no-such-recipe"), ("space-group-v2",)):
        with pytest.raises(InvalidParameterError, match="needs two or more registered member recipes"):
            recipes._register(recipes.Recipe(name="broken", model="space-group", kind="ensemble", description="",
                                             members=members))  # fmt: skip
    assert "broken" not in recipes.RECIPES


def test_an_ensemble_recipe_combines_its_members_and_records_itself(tmp_path, monkeypatch):
    """The recipe of the shipped default, calibrated on a tiny data folder: its members are the
    shipped weights of its member recipes, and the metadata names recipes, never paths."""
    from test_recipes import _data_folder

    from pymatgen_ml_xrd import recipes
    from pymatgen_ml_xrd.examples import example_structures

    recipe = recipes.get_recipe("space-group-default-v2")
    assert recipe.kind == "ensemble" and recipe.publishes == "space_group_default"
    summary = recipe.summary()
    assert summary["n_patterns"] == sum(recipes.RECIPES[m].summary()["n_patterns"] for m in recipe.members)
    tiny = recipes.Recipe(**{**recipe.__dict__, "name": "ensemble-test", "calibration": ("tiny", 8)})
    monkeypatch.setitem(recipes.RECIPES, "ensemble-test", tiny)
    path = recipes.run_recipe("ensemble-test", tmp_path / "run", _data_folder(tmp_path), verbose=False)
    meta = json.loads(path.read_text())
    assert meta["recipe"] == {"name": "ensemble-test", "package_version": meta["recipe"]["package_version"],
                              "members": ["space-group-v2", "space-group-experimental-v1"]}  # fmt: skip
    assert [m["origin"] for m in meta["ensemble"]["members"]] == ["the shipped weights of space-group-v2",
                                                                  "the shipped weights of space-group-experimental-v1"]
    assert str(tmp_path) not in path.read_text()
    assert meta["calibration"]["n"] == len(example_structures())  # the tiny folder's held-out structures
    built = SpaceGroupClassifier.load(path.with_suffix(""))
    shipped = SpaceGroupClassifier()
    X = np.random.default_rng(0).random((3, 2126))
    np.testing.assert_allclose(built.decision_function(X), shipped.decision_function(X), atol=1e-5)
