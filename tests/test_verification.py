"""Answers checked by fitting (estimators/verification.py): the space group of a kept fit first."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from measured_scans import lab_scan
from pymatgen.core import Lattice, Structure

from pymatgen_ml_xrd import SpaceGroupClassifier
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.estimators.verification import check_max_rwp, fitted_first, pattern_items

MG2SI = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.35), ["Si", "Mg"], [[0, 0, 0], [0.25, 0.25, 0.25]])


def test_fitted_answer_moves_to_the_front_and_the_rest_keep_their_order():
    order = np.array([[14, 62, 225, 2], [1, 2, 3, 4], [5, 6, 7, 8]])
    out = fitted_first(order, [225, None, 166])
    assert out.tolist() == [[225, 14, 62, 2], [1, 2, 3, 4], [166, 5, 6, 7]]  # 166 enters, 8 leaves
    assert order.tolist()[0] == [14, 62, 225, 2]  # the input is not changed
    assert fitted_first(np.array([["a", "b"]], dtype=object), ["b"]).tolist() == [["b", "a"]]
    with pytest.raises(InvalidParameterError, match="one fitted answer"):
        fitted_first(order, [225])


@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), "0.3", True])
def test_max_rwp_must_be_a_positive_number(bad):
    with pytest.raises(InvalidParameterError, match="max_rwp"):
        check_max_rwp(bad)
    check_max_rwp(None)
    check_max_rwp(0.31)


def test_verify_must_be_a_flag_and_compositions_one_per_pattern():
    from pymatgen_ml_xrd import StructureTypeIdentifier
    from pymatgen_ml_xrd.estimators.verification import check_compositions

    x = np.linspace(10, 90, 50)
    for estimator in (SpaceGroupClassifier(pretrained="v2", verify="no"), StructureTypeIdentifier(verify="no")):
        with pytest.raises(InvalidParameterError, match="verify must be True or False"):
            estimator.predict([(x, x)])
    with pytest.raises(InvalidParameterError, match="verify must be True or False"):
        SpaceGroupClassifier(pretrained="v2", verify=1).predict_top_k([(x, x)])
    assert check_compositions(None, 2) == [None, None] and check_compositions(("KCl", None), 2) == ["KCl", None]
    for bad in ("KCl", ["KCl"]):
        with pytest.raises(InvalidParameterError, match="one formula"):
            check_compositions(bad, 2)


def test_pattern_items_split_batches_not_scans():
    x = np.linspace(10, 90, 50)
    assert len(pattern_items((x, x))) == 1  # one (x, y) scan
    assert len(pattern_items([(x, x), (x, x, "CuKa1")])) == 2
    assert len(pattern_items(np.zeros((3, 50)))) == 3


def test_space_group_classifier_puts_the_group_of_a_kept_fit_first():
    """verify=True on a measured-looking antifluorite Mg2Si scan with its formula: the fluorite
    prototype carrying Mg and Si fits, so Fm-3m (225) is the answer and leads the top-k, the
    network's ranking following; with an unreachable max_rwp the network's answers stand."""
    scan = lab_scan(MG2SI)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network = SpaceGroupClassifier(pretrained="v2")
        verified = SpaceGroupClassifier(pretrained="v2", verify=True)
        fit = verified.verified_fits([scan], compositions=["Mg2Si"])[0]
        assert fit.phases[0].space_group == 225 and fit.as_dict()["phases"][0]["space_group"] == 225
        assert fit.rwp < 0.1
        assert verified.predict([scan], compositions=["Mg2Si"]).tolist() == [225]
        top = verified.predict_top_k([scan], k=5, compositions=["Mg2Si"])
        plain = network.predict_top_k([scan], k=5)
        assert top[0, 0] == 225 and top.shape == (1, 5)
        assert top[0, 1:].tolist() == [g for g in plain[0] if g != 225][:4]
        strict = SpaceGroupClassifier(pretrained="v2", verify=True, max_rwp=1e-6)
        assert strict.predict([scan], compositions=["Mg2Si"]).tolist() == network.predict([scan]).tolist()
        with pytest.raises(InvalidParameterError, match="verify=True"):
            network.predict([scan], compositions=["Mg2Si"])
        with pytest.raises(InvalidParameterError, match="one formula"):
            verified.predict([scan, scan], compositions=["Mg2Si"])
        with pytest.raises(InvalidParameterError, match="max_rwp"):
            SpaceGroupClassifier(pretrained="v2", verify=True, max_rwp=-1).predict([scan], compositions=["Mg2Si"])
        with pytest.raises(InvalidParameterError, match="composition"):  # not a formula at all
            verified.predict([scan], compositions=["Xy2"])
    # a real formula whose stoichiometry no catalogue type has: nothing to verify, the network answers
    with pytest.warns(UserWarning, match="pattern 1: no reference has the formula Na7Cl11.*not verified"):
        answers = verified.predict([scan, scan], compositions=["Mg2Si", "Na7Cl11"])
    assert answers[0] == 225 and answers[1] == network.predict([scan])[0]


def test_command_line_classify_verifies_measured_patterns_and_with_a_composition(tmp_path, capsys):
    import json

    from pymatgen_ml_xrd import cli

    x, y, _ = lab_scan(MG2SI)
    scan = tmp_path / "mg2si.xy"
    np.savetxt(scan, np.column_stack([x, y]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        argv = ["classify", str(scan), "--wavelength", "CuKa1", "--model", "v2", "--composition", "Mg2Si", "--json"]
        assert cli.main(argv) == 0
        out = json.loads(capsys.readouterr().out)[0]
        assert out["verified"]["space_group"] == 225 and out["verified"]["rwp"] < 0.1
        assert out["top"][0]["space_group"] == 225 and len(out["top"]) == 5 and out["model"] == "v2"
        assert cli.main(["classify", str(scan), "--wavelength", "CuKa1", "--model", "v2", "--json", "--no-verify"]) == 0
        assert "verified" not in json.loads(capsys.readouterr().out)[0]
        # a measured pattern is checked by a fit unless --no-verify says otherwise
        assert cli.main(["classify", str(scan), "--wavelength", "CuKa1", "--model", "v2", "--json"]) == 0
        captured = capsys.readouterr()
        out = json.loads(captured.out)[0]
        assert out["verified"]["space_group"] == 225 and out["top"][0]["space_group"] == 225
        assert "checking the answers by fitting" in captured.err and "--no-verify" in captured.err
        with pytest.raises(SystemExit, match="--no-verify contradicts"):
            cli.main(["classify", str(scan), "--no-verify", "--composition", "Mg2Si"])
        with pytest.raises(SystemExit, match="one --composition"):
            cli.main(["classify", str(scan), str(scan), str(scan), "--composition", "Mg2Si", "CaF2"])
