"""Structure-type identification: type keys, variants, grouping, RCNets, the identifier, plugins."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pymatgen_ml_xrd import hooks  # noqa: E402
from pymatgen_ml_xrd.errors import InvalidParameterError, InvalidStructureError  # noqa: E402
from pymatgen_ml_xrd.estimators.structure_type import UNKNOWN, StructureTypeIdentifier  # noqa: E402
from pymatgen_ml_xrd.identification import plugins  # noqa: E402
from pymatgen_ml_xrd.identification.grouping import group_types  # noqa: E402
from pymatgen_ml_xrd.identification.type_keys import split_key, structure_type_key  # noqa: E402
from pymatgen_ml_xrd.identification.variants import VariantMaker  # noqa: E402
from pymatgen_ml_xrd.models.files import ModelFileError  # noqa: E402
from pymatgen_ml_xrd.patterns import PatternSpec  # noqa: E402

GRID = (10.0, 70.0, 0.1)


def rocksalt(a=5.64, el=("Na", "Cl")):
    return Structure.from_spacegroup(225, Lattice.cubic(a), list(el), [[0, 0, 0], [0.5, 0.5, 0.5]])


def cscl(a=4.11, el=("Cs", "Cl")):
    return Structure.from_spacegroup(221, Lattice.cubic(a), list(el), [[0, 0, 0], [0.5, 0.5, 0.5]])


def fluorite(a=5.46, el=("Ca", "F")):
    return Structure.from_spacegroup(225, Lattice.cubic(a), list(el), [[0, 0, 0], [0.25, 0.25, 0.25]])


def wurtzite(a=3.25, c=5.21, el=("Zn", "O"), u=0.382):
    return Structure.from_spacegroup(186, Lattice.hexagonal(a, c), list(el), [[1 / 3, 2 / 3, 0], [1 / 3, 2 / 3, u]])


def test_type_keys():
    assert structure_type_key(rocksalt()) == "225|ab|AB"
    assert structure_type_key(fluorite()) == "225|ac|AB2"
    assert structure_type_key(wurtzite()) == "186|bb|AB"
    assert split_key("221|abc|ABC3") == (221, "abc", "ABC3")
    disordered = rocksalt()
    disordered.replace(0, {"Na": 0.5, "K": 0.5})
    with pytest.raises(InvalidStructureError, match="disordered"):
        structure_type_key(disordered)


def test_variants_keep_the_type_and_move_only_free_coordinates():
    rng = np.random.default_rng(0)
    maker = VariantMaker({(186, "AB"): ["ZnS", "CdSe", "AlN"]}, strain=0.05, jitter=0.05, substitution_rate=1.0)
    base = wurtzite()
    variants = maker.variants(base, 6, rng)
    assert all(structure_type_key(v) == "186|bb|AB" for v in variants)
    assert {v.composition.reduced_formula for v in variants} <= {"ZnS", "CdSe", "AlN", "ZnO"}
    assert len({v.composition.reduced_formula for v in variants}) >= 2
    # a free z coordinate moves; x, y of the 2b sites are fixed by symmetry
    pure_jitter = VariantMaker(strain=0.0, jitter=0.05, substitution_rate=0.0)
    moved = pure_jitter.variants(base, 1, np.random.default_rng(3))[0]
    z = sorted(moved.frac_coords[:, 2] % 1)
    assert not np.allclose(z, sorted(base.frac_coords[:, 2] % 1), atol=1e-4)
    xy = {tuple(np.round(c[:2] % 1, 4)) for c in moved.frac_coords}
    assert xy <= {(0.3333, 0.6667), (0.6667, 0.3333)}
    # rock salt has no free coordinate: jitter leaves positions alone, strain keeps the cell cubic
    strained = VariantMaker(strain=0.05, jitter=0.05, substitution_rate=0.0).variants(rocksalt(), 3, rng)
    for s in strained:
        a, b, c = s.lattice.abc
        assert abs(a - b) < 1e-9 and abs(b - c) < 1e-9 and structure_type_key(s) == "225|ab|AB"


def test_grouping_keeps_similar_types_together():
    rng = np.random.default_rng(0)
    base = rng.random((3, 50)) ** 6
    patterns = np.concatenate([base[i] + 0.01 * rng.random((8, 50)) for i in range(3)])  # 3 families of 8
    groups = group_types(patterns, per_group=8)
    assert sorted(len(g) for g in groups) == [8, 8, 8]
    assert all(len({i // 8 for i in g}) == 1 for g in groups)
    assert group_types(patterns[:5], per_group=8) == [[0, 1, 2, 3, 4]]
    with pytest.raises(ValueError, match="two types"):
        group_types(patterns[:1])


def test_confidence_loss_matches_its_formula():
    from pymatgen_ml_xrd.models.rcnet import ConfidenceLoss, split_outputs

    out = np.array([[2.0, 0.5, -1.0, 0.3], [0.1, 0.2, 0.3, -2.0]], dtype=np.float32)
    y = np.array([0, 2])
    p, c = split_outputs(out)
    for hint_rate, c_used in ((0.0, np.ones(2)), (1.0, c)):
        loss = ConfidenceLoss(lam=0.5, hint_rate=hint_rate, reduction=None)
        mixed = c_used[:, None] * p + (1 - c_used[:, None]) * np.eye(3)[y]
        expected = -np.log(mixed[np.arange(2), y]) + 0.5 * -np.log(c)
        np.testing.assert_allclose(np.asarray(loss(y, out)), expected, rtol=1e-5)
    # outlier rows (label -1): -log(1 - c) plus the cross-entropy of p against the uniform distribution
    loss = ConfidenceLoss(lam=0.5, hint_rate=0.0, outlier_weight=2.0, reduction=None)
    mixed_rows = np.asarray(loss(np.array([0, -1]), out))
    assert mixed_rows[0] == pytest.approx(-np.log(p[0, 0]) + 0.5 * -np.log(c[0]), rel=1e-5)
    assert mixed_rows[1] == pytest.approx(2.0 * (-np.log(1 - c[1]) - np.log(p[1]).mean()), rel=1e-5)


def test_similarity_tolerates_small_lattice_differences():
    from pymatgen_ml_xrd.identification.similarity import (
        decode_array,
        encode_array,
        max_similarity,
        similarity_features,
    )
    from pymatgen_ml_xrd.identification.type_patterns import training_rows

    rng = np.random.default_rng(0)
    rows = training_rows([rocksalt(5.64), rocksalt(5.70), cscl()], PatternSpec(two_theta=GRID, profile="pseudo-voigt"),
                         rng)  # fmt: skip
    feats = similarity_features(rows, GRID[2])
    assert feats.shape == (3, len(range(0, rows.shape[1], 4)))
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, rtol=1e-5)
    s = max_similarity(feats[1:2], feats[[0, 2]], np.array([0, 1]), 3)
    plain = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    # the strained rock salt is closer to rock salt than to CsCl, and the blur makes it closer than a plain cosine
    assert s[0, 0] > s[0, 1] and s[0, 0] > float(plain[1] @ plain[0]) and s[0, 2] == 0.0
    assert max_similarity(feats[:1], feats[:1], np.array([0]), 1)[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert similarity_features(np.zeros((1, 601)), 0.1).max() == 0.0
    packed = encode_array(feats)
    np.testing.assert_array_equal(decode_array(packed), feats.astype(np.float16))
    with pytest.raises(ValueError, match="values"):
        decode_array({**packed, "shape": [5, 5]})


@pytest.fixture(scope="module")
def fitted():
    structures = [rocksalt(), rocksalt(5.0, ("Mg", "O")), cscl(), cscl(3.0, ("Fe", "Al")), fluorite(),
                  fluorite(5.8, ("Sr", "F"))]  # fmt: skip
    names = ["rocksalt", "rocksalt", "CsCl", "CsCl", "fluorite", "fluorite"]
    ident = StructureTypeIdentifier(pretrained=None, two_theta=GRID, patterns_per_type=50, epochs=8, verbose=False,
                                    types_per_rcnet=3, effects=None, n_outliers=40)  # fmt: skip
    return ident.fit(structures, names), structures, names


def test_identifier_predicts_and_follows_the_reliability_formula(fitted):
    ident, structures, names = fitted
    assert list(ident.classes_) == ["CsCl", "fluorite", "rocksalt"] and len(ident.rcnets_) == 1
    meta = ident.rcnets_[0].metadata["training"]
    assert meta["command"] and meta["package_version"] and meta["patterns_seen"] == 190 * 8
    assert meta["patterns"] == 150 and meta["outliers"] == 40 and meta["references"] == 90
    assert [t.space_group for t in ident.structure_types_] == [221, 225, 225]
    # the training members with strained cells (a few epochs on 60 patterns per type cannot be
    # expected to tell apart other compositions of these fcc types)
    test = [rocksalt(5.7), cscl(4.05), fluorite(5.5)]
    r = ident.predict_reliability(test)
    assert r.shape == (3, 3)
    p, c, s = ident.rcnets_[0].outputs(ident._rows(test))
    best = p.argmax(axis=1)
    np.testing.assert_allclose(r[np.arange(3), best], 0.7 * s[np.arange(3), best] + 0.3 * c, rtol=1e-6)
    closed = ident.set_params(threshold=0.0).predict(test)
    assert list(closed) == ["rocksalt", "CsCl", "fluorite"]
    assert list(ident.set_params(threshold=1.0).predict(test)) == [UNKNOWN] * 3
    ident.set_params(threshold=0.6)
    top, rel = ident.predict_top_k(test, k=2)
    assert top.shape == (3, 2) and (rel[:, 0] >= rel[:, 1]).all()
    with pytest.raises(InvalidParameterError, match="alpha"):
        StructureTypeIdentifier(pretrained=None, alpha=1.5).set_params().fit(structures, names)
    bad = ident.set_params(alpha=2.0)
    with pytest.raises(InvalidParameterError, match="alpha"):
        bad.predict(test)
    ident.set_params(alpha=0.7)


def test_explain_gives_a_heatmap_on_the_pattern_grid(fitted):
    ident, _, _ = fitted
    out = ident.explain(fluorite(5.5, ("Ce", "O")))
    assert out["heatmap"].shape == out["two_theta"].shape == (601,)
    assert out["heatmap"].min() >= 0 and out["heatmap"].max() == pytest.approx(1.0)
    assert out["type"] in ident.classes_ and out["rcnet"] == ident.rcnets_[0].name
    with pytest.raises(InvalidParameterError, match="unknown structure type"):
        ident.explain(rocksalt(), type_name="spinel")


def test_save_load_and_add_types_leave_existing_rcnets_untouched(fitted, tmp_path):
    ident, structures, _ = fitted
    ident.save(tmp_path / "ident")
    loaded = StructureTypeIdentifier.load(tmp_path / "ident")
    np.testing.assert_allclose(loaded.predict_reliability(structures), ident.predict_reliability(structures), atol=1e-5)
    before = [w.copy() for w in loaded.rcnets_[0].model.get_weights()]
    loaded.set_params(epochs=2, patterns_per_type=20)
    loaded.add_types([wurtzite(), wurtzite(3.8, 6.2, ("Cd", "S")), cscl(), rocksalt()],
                     ["wurtzite", "wurtzite", "CsCl-2", "rocksalt-2"], name="extra")  # fmt: skip
    assert len(loaded.rcnets_) == 2 and "wurtzite" in loaded.classes_ and len(loaded.classes_) == 6
    for a, b in zip(before, loaded.rcnets_[0].model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(InvalidParameterError, match="already classified"):
        loaded.add_types([rocksalt(), cscl()], ["rocksalt", "new"])
    with pytest.raises(ModelFileError, match="identifier.json"):
        StructureTypeIdentifier.load(tmp_path / "nothing")
    with pytest.raises(InvalidParameterError, match="two structure types"):
        StructureTypeIdentifier(pretrained=None).fit([rocksalt()], ["rocksalt"])
    with pytest.raises(InvalidParameterError, match="one type name per structure"):
        StructureTypeIdentifier(pretrained=None).fit([rocksalt(), cscl()], ["a"])


def test_broken_rcnet_plugins_are_skipped_by_name(fitted, tmp_path):
    ident, structures, _ = fitted
    ident.save(tmp_path / "good")
    member = ident.rcnets_[0]

    class Good:
        @hooks.hookimpl
        def pmlxrd_rcnets(self):
            return [{"path": str(tmp_path / "good" / member.name), "types": member.type_names}]

    class Missing:
        @hooks.hookimpl
        def pmlxrd_rcnets(self):
            return [{"path": str(tmp_path / "nowhere"), "types": ["x"]}]

    class Duplicate(Good):
        pass

    pm = plugins.plugin_manager(load_entry_points=False)
    for name, plugin in (("good", Good()), ("missing", Missing()), ("duplicate", Duplicate())):
        plugins.register(pm, plugin, name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        members = plugins.collect_rcnets(pm)
    assert len(members) == 1 and members[0].types[0].source == "good"
    text = " ".join(str(w.message) for w in caught)
    assert "'missing'" in text and "does not exist" in text and "'duplicate'" in text and "already classified" in text


def test_default_catalogue_and_plugin():
    import sys
    from pathlib import Path

    from pymatgen_ml_xrd.identification.catalogue import load_default_catalogue

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # the build script, not the package
    from build_structure_types import crystinet_candidates  # needs no ../shared to parse names

    catalogue = load_default_catalogue()
    types = catalogue["types"]
    assert len(types) >= 100 and len({t["name"] for t in types}) == len(types)
    assert len({t["key"] for t in types}) == len(types)
    assert sum(t["origin"].startswith("CrySTINet") for t in types) >= 50
    assert all(t["prototypes"] and "_cell_length_a" in t["prototypes"][0] for t in types)
    assert crystinet_candidates("Calcite-CaCO3(hR10)") == (["CaCO3"], ["calcite"])
    assert crystinet_candidates("Pyroxene-CaMg(SiO3)2")[0] == ["CaMg(SiO3)2"]
    assert crystinet_candidates("fcc(ccp)-Cu") == (["Cu"], ["fcc"])


def test_structure_type_featurizer_columns(fitted):
    import pandas as pd

    from pymatgen_ml_xrd.featurizers import StructureTypeFeatures

    ident, structures, _ = fitted
    feat = StructureTypeFeatures(k=2, identifier=ident)
    df = pd.DataFrame({"entry": [structures[0], "not a pattern", structures[2]]})
    out = feat.featurize_dataframe(df, "entry", ignore_errors=True, pbar=False)
    assert list(out.columns[1:]) == feat.feature_labels()
    assert out["structure_type_top1"].iloc[0] in ident.classes_ and out["structure_type"].isna().iloc[1]
    row = out.iloc[0]
    assert (row["structure_type"] == "unknown") == row["structure_type_unknown"]
    assert row["structure_type_reliability"] == pytest.approx(row["structure_type_reliability1"])
    assert any("Crystal Structure Assignment" in c for c in feat.citations())  # paper 003


def test_cli_identify_and_train_structure_types(fitted, tmp_path, capsys):
    import json

    from pymatgen_ml_xrd import cli

    ident, structures, _ = fitted
    ident.save(tmp_path / "model")
    structures[0].to(filename=str(tmp_path / "nacl.cif"))
    png = tmp_path / "types.png"
    assert cli.main(["identify", str(tmp_path / "nacl.cif"), "--model", str(tmp_path / "model"), "--no-plugins",
                     "--png", str(png), "--threshold", "0"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "1." in out and png.stat().st_size > 10_000
    assert cli.main(["identify", str(tmp_path / "nacl.cif"), "--model", str(tmp_path / "model"), "--no-plugins",
                     "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert result[0]["type"] in (*ident.classes_, UNKNOWN) and len(result[0]["top"]) == 3
    with pytest.raises(SystemExit, match="one FOLDER"):
        cli.main(["train", "structure-types", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="at least two sub-folders"):
        cli.main(["train", "structure-types", str(tmp_path / "model"), "--out", str(tmp_path / "x")])


def test_rcnet_members_keep_their_pattern_spec(fitted, tmp_path):
    import json

    from pymatgen_ml_xrd.identification import default_plugin
    from pymatgen_ml_xrd.identification.rcnet_member import FORMAT_VERSION, RCNetMember

    ident, _, _ = fitted
    spec = ident.rcnets_[0].spec
    assert spec.two_theta == GRID and spec.profile == "pseudo-voigt" and spec.preprocessing == "sqrt"
    assert spec.background == "snip" and ident.spec_ == spec
    ident.rcnets_[0].save(tmp_path / "m")
    meta = json.loads((tmp_path / "m.json").read_text())
    assert meta["format_version"] == FORMAT_VERSION == 3 and "two_theta" not in meta
    assert PatternSpec.from_dict(meta["pattern_spec"]) == spec
    assert RCNetMember.load(tmp_path / "m").spec == spec
    # the shipped members are version 2 (loose fields): they load as a pseudo-Voigt spec
    shipped = RCNetMember.load(default_plugin.rcnet_folder() / "rcnet_00")
    assert shipped.spec == PatternSpec(two_theta=(5.0, 90.0, 0.04), wavelength="CuKa1", preprocessing="sqrt",
                                       background="snip", background_window=3.0, profile="pseudo-voigt")
    assert shipped.metadata["training"]["epochs"] == 30


def test_identifier_parameters_come_with_the_rcnets(fitted, tmp_path):
    from sklearn.base import clone
    from sklearn.utils.validation import check_is_fitted

    from pymatgen_ml_xrd.errors import NotFittedModelError

    ident, structures, _ = fitted
    ident.save(tmp_path / "ident")
    est = StructureTypeIdentifier(pretrained=str(tmp_path / "ident"), plugins=False)
    check_is_fitted(est)
    assert est.params_["two_theta"] == GRID and est.two_theta is None  # loading rewrites no parameter
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(InvalidParameterError, match="two_theta"):
        StructureTypeIdentifier(pretrained=str(tmp_path / "ident"), plugins=False, two_theta=(5, 90, 0.04)).classes_
    with pytest.raises(NotFittedModelError):
        StructureTypeIdentifier(pretrained=None).predict(structures[:1])
    # a new pretrained takes effect at the next call
    est.set_params(pretrained="default")
    assert len(est.classes_) > 3 and est.spec_.two_theta == (5.0, 90.0, 0.04)
    est.set_params(pretrained=str(tmp_path / "ident"))
    assert list(est.classes_) == list(ident.classes_)
    with pytest.raises(ModelFileError, match="identifier.json"):
        StructureTypeIdentifier(pretrained=str(tmp_path / "nothing"), plugins=False).classes_


def test_grad_cam_finds_the_feature_map_by_role():
    import keras

    from pymatgen_ml_xrd.models.grad_cam import feature_map, grad_cam

    inputs = keras.Input(shape=(128,))
    x = keras.layers.Reshape((128, 1), name="a")(inputs)
    conv = keras.layers.Conv1D(4, 5, strides=2, padding="same", activation="relu", name="b")(x)
    pooled = keras.layers.GlobalAveragePooling1D(name="c")(conv)
    model = keras.Model(inputs, keras.layers.Dense(3, name="d")(pooled))
    assert feature_map(model) is conv
    rows = np.random.default_rng(0).random((2, 128)).astype(np.float32)
    heat = grad_cam(model, rows, 1)
    assert heat.shape == (2, 128) and heat.min() >= 0 and np.all((heat.max(axis=1) == 0) | np.isclose(heat.max(axis=1), 1))
    with pytest.raises(InvalidParameterError, match="output_index"):
        grad_cam(model, rows, 3)


def test_alpha_and_threshold_are_chosen_by_the_in_out_accuracy():
    from pymatgen_ml_xrd.identification.reliability import (
        choose_alpha_threshold,
        combine_reliability,
        in_out_accuracy,
    )

    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    parts_in = [(p, np.array([0.9, 0.8]), np.array([[0.95, 0.1], [0.2, 0.9]]))]
    parts_out = [(np.array([[0.6, 0.4]]), np.array([0.3]), np.array([[0.5, 0.4]]))]
    r = combine_reliability(parts_in, 0.7)
    np.testing.assert_allclose(r[0], [0.7 * 0.95 + 0.3 * 0.9, 0.7 * 0.1 + 0.3 * 0.9 * 0.1 / 0.9])
    assert in_out_accuracy(r, np.array([0, 1]), combine_reliability(parts_out, 0.7), 0.6) == 1.0
    alpha, r0, acc = choose_alpha_threshold(parts_in, np.array([0, 1]), parts_out)
    assert acc == 1.0 and 0 <= alpha <= 1 and 0.3 <= r0 <= 0.95
    with pytest.raises(InvalidParameterError):
        choose_alpha_threshold(parts_in, np.array([0, 1]), parts_out, alphas=[])


def test_save_keeps_rcnets_of_the_same_name_apart_and_never_replaces_a_folder(fitted, tmp_path):
    """A plugin's rcnet_00 beside the default rcnet_00: both are written (the second as
    rcnet_00_2) and both come back; saving over a saved identifier needs overwrite=True."""
    import copy
    import dataclasses
    import json

    ident, structures, _ = fitted
    first = ident.rcnets_[0]
    twin = dataclasses.replace(copy.deepcopy(first), types=[dataclasses.replace(t, name=f"{t.name}-plugin")
                                                            for t in first.types])  # fmt: skip
    both = copy.copy(ident)
    both.rcnets_ = [first, twin]
    index = json.loads(both.save(tmp_path / "two").read_text())
    assert [r["file"] for r in index["rcnets"]] == [first.name, f"{first.name}_2"]
    back = StructureTypeIdentifier.load(tmp_path / "two")
    assert len(back.rcnets_) == 2 and set(back.classes_) == {*ident.classes_, *(t.name for t in twin.types)}
    with pytest.raises(ModelFileError, match="overwrite=True"):
        both.save(tmp_path / "two")
    both.save(tmp_path / "two", overwrite=True)
