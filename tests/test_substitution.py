"""Composition-guided candidates: a formula's elements on the prototypes of structure types."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from measured_scans import lab_scan
from pymatgen.core import Lattice, Structure

from pymatgen_ml_xrd import PhaseIdentifier
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.generation.atomic_volumes import atomic_volumes
from pymatgen_ml_xrd.identification.records import StructureType
from pymatgen_ml_xrd.identification.substitution import parse_formula, substitutions, type_candidates

CAF2 = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.46), ["Ca", "F"], [[0, 0, 0], [0.25, 0.25, 0.25]])
NACL = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def test_elements_go_on_the_sites_of_their_amount_and_the_volume_follows_atomic_volumes():
    (mg2si,) = substitutions(CAF2, "Mg2Si")
    assert mg2si.composition.reduced_formula == "Mg2Si"
    si_site = next(site for site in mg2si if site.specie.symbol == "Si")
    assert np.allclose(si_site.frac_coords % 1, 0.0)  # Si where Ca was (the 4a site), Mg on the F sites
    v = atomic_volumes()
    expected = CAF2.volume * (4 * v[14] + 8 * v[12]) / (4 * v[20] + 8 * v[9])
    assert mg2si.volume == pytest.approx(expected, rel=1e-9)
    assert mg2si.lattice.abc[0] == pytest.approx(mg2si.lattice.abc[2])  # the shape is kept


def test_elements_of_equal_amount_are_permuted_and_other_stoichiometries_give_nothing():
    made = substitutions(NACL, "KBr")
    assert len(made) == 2
    assert {next(s for s in m if s.specie.symbol == "K").frac_coords.round(3).tolist()[0] for m in made} == {0.0, 0.5}
    assert substitutions(NACL, "CaF2") == []


@pytest.mark.parametrize("bad", ["Xy2", "Fe0.5O", "", "Mg2Si-"])
def test_bad_formulas_are_refused_by_name(bad):
    with pytest.raises(InvalidParameterError, match="composition"):
        parse_formula(bad)


def test_type_candidates_take_every_type_of_the_stoichiometry():
    fluorite = StructureType(name="Fluorite", space_group=225, anonymized_formula="AB2", prototypes=(CAF2.to(fmt="cif"),))
    rocksalt = StructureType(name="Rock salt", space_group=225, anonymized_formula="AB", prototypes=(NACL.to(fmt="cif"),))
    out = type_candidates("Mg2Si", [fluorite, rocksalt])
    assert [(name, kind) for name, _, kind in out] == [("Fluorite [Mg2Si from CaF2]", "Fluorite")]
    kept = type_candidates("CaF2", [fluorite])  # a prototype of the formula itself is kept as it is
    assert kept[0][1].volume == pytest.approx(CAF2.volume)


def test_a_composition_names_the_type_whose_prototype_is_of_other_chemistry():
    """Antifluorite Mg2Si (a = 6.35 A) against a library without it: with the formula, the
    fluorite prototype carries Mg and Si and refines to the measured lattice."""
    truth = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.35), ["Si", "Mg"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pid = PhaseIdentifier({"NaCl": NACL}, max_phases=1)
        result = pid.identify(lab_scan(truth), composition="Mg2Si")
    assert result.phases and result.phases[0].structure_type == "Fluorite-CaF2"
    assert result.phases[0].structure.composition.reduced_formula == "Mg2Si"
    assert result.phases[0].lattice[0] == pytest.approx(6.35, rel=1e-3)
    assert result.rwp < 0.1


def test_a_composition_without_candidates_is_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pid = PhaseIdentifier({"NaCl": NACL}, max_phases=1)
        with pytest.raises(InvalidParameterError, match="stoichiometry"):
            pid.identify(lab_scan(NACL), composition="Na7Cl11")
        with pytest.raises(InvalidParameterError, match="priors must be a list"):
            pid.identify(lab_scan(NACL), priors="NaCl")


def test_structure_type_identifier_verifies_its_answer_by_a_fit():
    """verify=True: the answer is the type of the best fit, "unknown" above max_rwp; a Mg2Si scan
    (a type whose shipped prototypes hold other elements) is named with its formula."""
    from pymatgen_ml_xrd import StructureTypeIdentifier

    truth = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.35), ["Si", "Mg"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    scan = lab_scan(truth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        verified = StructureTypeIdentifier(plugins=False, verify=True)
        assert list(verified.predict([scan], compositions=["Mg2Si"])) == ["Fluorite-CaF2"]
        strict = StructureTypeIdentifier(plugins=False, verify=True, max_rwp=1e-6)
        assert list(strict.predict([scan], compositions=["Mg2Si"])) == ["unknown"]
        with pytest.raises(InvalidParameterError, match="one formula"):
            verified.predict([scan, scan], compositions=["Mg2Si"])
        with pytest.raises(InvalidParameterError, match="verify=True"):
            StructureTypeIdentifier(plugins=False).predict([scan], compositions=["Mg2Si"])


def test_command_line_takes_a_composition(tmp_path, capsys):
    import json

    from pymatgen_ml_xrd import cli

    truth = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.35), ["Si", "Mg"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    x, y, _ = lab_scan(truth)
    scan = tmp_path / "mg2si.xy"
    np.savetxt(scan, np.column_stack([x, y]))
    refs = tmp_path / "refs"
    refs.mkdir()
    NACL.to(filename=str(refs / "NaCl.cif"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        argv = ["phases", str(scan), "--references", str(refs), "--wavelength", "CuKa1", "--composition", "Mg2Si",
                "--max-phases", "1", "--json"]  # fmt: skip
        assert cli.main(argv) == 0
        out = json.loads(capsys.readouterr().out)[0]
        assert out["phases"][0]["structure_type"] == "Fluorite-CaF2" and out["phases"][0]["formula"] == "Mg2Si"
        argv = ["identify", str(scan), "--wavelength", "CuKa1", "--composition", "Mg2Si", "--no-plugins", "--json"]
        assert cli.main(argv) == 0
        out = json.loads(capsys.readouterr().out)[0]
        assert out["type"] == "Fluorite-CaF2" and out["verified"] is True
        with pytest.raises(SystemExit, match="one --composition"):
            cli.main(["identify", str(scan), str(scan), str(scan), "--composition", "Mg2Si", "CaF2"])
