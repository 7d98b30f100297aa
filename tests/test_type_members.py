"""Members of the default structure types with their common chemistry (identification.type_members)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from pymatgen_ml_xrd import PhaseIdentifier, XRDCalculator
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.identification.substitution import closest_substitution
from pymatgen_ml_xrd.identification.type_members import elemental_members, member_formulas, member_structures

# calcite, Markgraf & Reeder (1985)
CALCITE = Structure.from_spacegroup("R-3c", Lattice.hexagonal(4.988, 17.061), ["Ca", "C", "O"],
                                    [[0, 0, 0], [0, 0, 0.25], [0.2578, 0, 0.25]])  # fmt: skip
# siderite FeCO3 (Effenberger, Mereiter & Zemann 1981): a 6 % and c 10 % shorter than calcite's
SIDERITE = Structure.from_spacegroup("R-3c", Lattice.hexagonal(4.6916, 15.3796), ["Fe", "C", "O"],
                                     [[0, 0, 0], [0, 0, 0.25], [0.2748, 0, 0.25]])  # fmt: skip


def test_the_closest_substitution_puts_cations_on_cation_sites():
    made = closest_substitution(CALCITE, "MnCO3")
    assert made.composition.reduced_formula == "MnCO3"
    for old, new in zip(CALCITE, made):  # Mn where Ca was, C and O kept
        assert new.specie.symbol == {"Ca": "Mn", "C": "C", "O": "O"}[old.specie.symbol]
    assert closest_substitution(CALCITE, "CaF2") is None  # another stoichiometry


def test_the_shipped_table_matches_the_types_it_lists():
    from pymatgen_ml_xrd.identification.plugins import all_structure_types

    table = member_formulas()
    records = {r.name: r for r in all_structure_types()}
    assert set(table) <= set(records) and sum(map(len, table.values())) > 1000
    for name, formulas in table.items():
        assert len(set(formulas)) == len(formulas)
        for formula in formulas:
            assert Composition(formula).anonymized_formula == records[name].anonymized_formula, (name, formula)
    calcite = table["Perovskite-NdAlO3"]  # the calcite type's key
    assert {"CaCO3", "NaNO3", "CoCO3"} <= set(calcite)
    # FeCO3 scatters like CoCO3, MgCO3 like NaNO3 (isoelectronic): the table spans, not repeats
    assert not {"FeCO3", "MgCO3"} & set(calcite)


def test_members_keep_the_host_symmetry_and_skip_the_prototypes_own_formulas():
    disordered = CALCITE.copy()
    disordered.replace_species({"Ca": {"Ca": 0.5, "Mg": 0.5}})
    made = member_structures({"Perovskite-NdAlO3": [disordered, CALCITE]}, per_type=6)
    formulas = [s.composition.reduced_formula for _, s, _, _ in made]
    expected = [f for f in member_formulas()["Perovskite-NdAlO3"][:6] if f != "CaCO3"]
    assert formulas == expected  # CaCO3 is the prototype itself
    for name, structure, type_name, host in made:
        assert host == 1 and type_name == "Perovskite-NdAlO3"  # never the disordered prototype
        assert name == f"Perovskite-NdAlO3 [{structure.composition.reduced_formula} from CaCO3]"
        assert SpacegroupAnalyzer(structure, symprec=0.1).get_space_group_number() == 167


@pytest.fixture(scope="module")
def blind():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return PhaseIdentifier("default", max_phases=1)


def _lab_scan(structure, seed=0):
    dg = XRDCalculator("CuKa").get_diffractogram(structure, two_theta_range=(15, 90), step=0.02,
                                                 profile="pseudo-voigt", kalpha2=True, caglioti=(0.01, 0.0, 0.004),
                                                 eta=0.4, crystallite_size=None, normalize=False)  # fmt: skip
    return dg.x, np.random.default_rng(seed).poisson(dg.y / dg.y.max() * 2e4 + 200).astype(float), "CuKa1"


def test_a_blind_search_names_a_member_whose_chemistry_no_prototype_has(blind):
    pid = blind
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = pid.identify(_lab_scan(SIDERITE))
    assert result.phases and result.phases[0].structure_type == "Perovskite-NdAlO3"
    assert pid.reference(result.phases[0].name).source == "member"  # a member of like scattering
    assert np.allclose(result.phases[0].lattice[:3], SIDERITE.lattice.abc, rtol=0.01)
    assert all(p.source == "member" for p in pid.members_)
    assert PhaseIdentifier({"NaCl": CALCITE}).members_ == []  # members belong to the default library only


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_members_must_be_a_count(bad):
    with pytest.raises(InvalidParameterError, match="members"):
        PhaseIdentifier({"calcite": CALCITE}, members=bad)


def test_command_line_members_must_be_a_count(capsys):
    from pymatgen_ml_xrd import cli

    with pytest.raises(SystemExit):
        cli.main(["phases", "scan.xy", "--members", "-1"])
    assert "expected a whole number >= 0, got -1" in capsys.readouterr().err


def test_elemental_types_get_the_elements_of_their_structure_on_real_cells():
    cu = Structure(Lattice.cubic(3.615), ["Cu"] * 4, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    w = Structure(Lattice.cubic(3.165), ["W"] * 2, [[0, 0, 0], [0.5, 0.5, 0.5]])
    mg = Structure(Lattice.hexagonal(3.209, 5.211), ["Mg"] * 2, [[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]])
    made = {name: structure for name, structure, _, _ in elemental_members({"fcc": [cu], "bcc": [w], "hcp": [mg]})}
    au, fe, zn = made["fcc [Au from Cu]"], made["bcc [Fe from W]"], made["hcp [Zn from Mg]"]
    assert au.composition.reduced_formula == "Au" and abs(au.lattice.a - 4.08) < 0.01  # ASE's measured cells
    assert abs(fe.lattice.a - 2.87) < 0.01 and abs(zn.lattice.c / zn.lattice.a - 1.856) < 0.01
    assert "fcc [Cu from Cu]" not in made and "fcc [Fe from Cu]" not in made and "bcc [Au from W]" not in made
    assert SpacegroupAnalyzer(zn, symprec=0.1).get_space_group_number() == 194
    assert not any(name.startswith("hcp [Se") or name.startswith("hcp [Te") for name in made)  # chains, not hcp


@pytest.mark.parametrize(("structure", "type_name"), [
    # KCl: K+ and Cl- scatter alike, so the odd reflections nearly vanish, and its cell is 11 % beyond
    # the NaCl prototype's (beyond an atomic-volume estimate's +-10 %: the cubic factors reach it)
    (Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.293), ["K", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]), "NaCl"),
    # gold: 13 % beyond the fcc prototype (Cu), beyond the scales screened for it: found as an element member
    (Structure(Lattice.cubic(4.078), ["Au"] * 4, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]),
     "fcc(ccp)-Cu"),
])  # fmt: skip
def test_a_blind_search_names_cubic_members_far_from_their_prototypes_cell(blind, structure, type_name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = blind.identify(_lab_scan(structure))
    assert result.phases and result.phases[0].structure_type == type_name, result.names
    assert np.allclose(result.phases[0].lattice[:3], structure.lattice.abc, rtol=0.002)
    assert result.rwp < 0.1  # a member of like scattering (CaS for KCl), not the compound itself
