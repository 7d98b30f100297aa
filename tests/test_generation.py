"""Wyckoff tables, GeneratorStatistics and SyntheticStructureGenerator."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import spglib
from pymatgen.core import Lattice
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from pymatgen_ml_xrd import GeneratorStatistics, SyntheticStructureGenerator
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.generation import GenerationError, StatisticsFileError, crystal_system, wyckoff_table

_GENERIC = {  # a lattice of each crystal system with no accidental extra symmetry
    "triclinic": (4.1, 5.3, 6.2, 81, 97, 104),
    "monoclinic": (4.1, 5.3, 6.2, 90, 103, 90),
    "orthorhombic": (4.1, 5.3, 6.2, 90, 90, 90),
    "tetragonal": (4.1, 4.1, 6.2, 90, 90, 90),
    "trigonal": (4.1, 4.1, 6.2, 90, 90, 120),
    "hexagonal": (4.1, 4.1, 6.2, 90, 90, 120),
    "cubic": (5.0, 5.0, 5.0, 90, 90, 90),
}


@pytest.mark.parametrize("sg", range(1, 231))
def test_general_position_orbit_has_the_space_group(sg):
    table = wyckoff_table(sg)
    rng = np.random.default_rng(sg)
    orbit = table.orbit(0, rng.random(3))
    assert len(orbit) == table.multiplicities[0]
    assert len(np.unique(np.round(orbit, 6), axis=0)) == len(orbit)  # distinct members
    # three general orbits of different elements: no accidental extra symmetry (one atom in P1 is P-1)
    orbits = [orbit, table.orbit(0, rng.random(3)), table.orbit(0, rng.random(3))]
    numbers = np.repeat([6, 7, 8], len(orbit))
    lattice = Lattice.from_parameters(*_GENERIC[crystal_system(sg)]).matrix
    assert spglib.get_symmetry_dataset((lattice, np.concatenate(orbits), numbers), symprec=1e-3).number == sg


def test_special_positions_have_their_multiplicity():
    table = wyckoff_table(225)
    for w, letter in enumerate(table.letters):
        orbit = table.orbit(w, np.array([0.1234, 0.2345, 0.3456]))
        assert len(np.unique(np.round(orbit, 8), axis=0)) == table.multiplicities[w], letter
    assert table.letters[-1] == "a" and table.dof[-1] == 0


def test_bad_space_group_numbers():
    for bad in (0, 231, 2.5, "12", True):
        with pytest.raises(InvalidParameterError, match="1-230"):
            wyckoff_table(bad)


@pytest.fixture(scope="module")
def fitted(real_structures):
    return GeneratorStatistics.from_structures(real_structures, symprec=0.1)


def test_statistics_from_structures(fitted, real_structures):
    assert sum(fitted.structure_counts.values()) == len(real_structures)
    assert sum(fitted.space_group_counts.values()) == len(real_structures)
    for sg, counts in fitted.wyckoff.items():
        assert set(counts) <= set(wyckoff_table(sg).letters)
    # one repetition count per element of the asymmetric unit: at least one per structure
    assert sum(sum(v.values()) for v in fitted.repetitions.values()) >= len(real_structures)
    assert set(fitted.lattices) == {"triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal",
                                    "hexagonal", "cubic"}
    assert fitted.lattices["monoclinic"].shape[1] == 4
    for sg, data in fitted.volumes.items():
        assert data.shape == (fitted.structure_counts[sg], 2) and (data > 0).all()
    cubic = fitted.lattices["cubic"]
    assert np.allclose(cubic, 1.0)  # unit volume


def test_statistics_from_formula_index():
    index = {
        "Na-Cl": [["NaCl", "1", 225, 0.0], ["NaCl", "2", 225, None]],
        "Ba-O-Ti": [["BaTiO3", "3", 99, 0.0], ["BaTiO3", "4", 221, 0.0]],
        "weird": [["Xx2O", "5", 12, 0.0], ["NaCl", "6", 999, 0.0]],
    }
    stats = GeneratorStatistics.from_formula_index(index)
    assert stats.space_group_counts == {225: 2, 99: 1, 221: 1}
    assert stats.elements[225] == {"Na": 2, "Cl": 2}
    assert stats.n_elements[99] == {3: 1}
    assert stats.stoichiometries[221] == {"1:1:3": 1}
    assert sum(stats.provenance["skipped_formulas"].values()) == 2


def test_save_load_round_trip(fitted, tmp_path):
    json_path, npz_path = fitted.save(tmp_path / "stats.json")
    loaded = GeneratorStatistics.load(tmp_path / "stats")
    assert loaded.space_group_counts == fitted.space_group_counts
    assert loaded.wyckoff == fitted.wyckoff and loaded.repetitions == fitted.repetitions
    for key in fitted.lattices:
        np.testing.assert_array_equal(loaded.lattices[key], fitted.lattices[key])
    for key in fitted.volumes:
        np.testing.assert_array_equal(loaded.volumes[key], fitted.volumes[key])
    meta = json.loads(json_path.read_text())
    assert meta["format_version"] == 1 and "space_group_counts" in meta


def test_damaged_and_foreign_files(fitted, tmp_path):
    json_path, npz_path = fitted.save(tmp_path / "s")
    blob = bytearray(npz_path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    npz_path.write_bytes(bytes(blob))
    with pytest.raises(StatisticsFileError, match="checksum"):
        GeneratorStatistics.load(json_path)
    json_path, npz_path = fitted.save(tmp_path / "v")
    meta = json.loads(json_path.read_text())
    meta["format_version"] = 99
    json_path.write_text(json.dumps(meta))
    with pytest.raises(StatisticsFileError, match="format version 99"):
        GeneratorStatistics.load(json_path)
    json_path.write_text("{not json")
    with pytest.raises(StatisticsFileError, match="not valid JSON"):
        GeneratorStatistics.load(json_path)
    json_path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(StatisticsFileError, match="not a pymatgen_ml_xrd"):
        GeneratorStatistics.load(json_path)
    with pytest.raises(StatisticsFileError, match="does not exist"):
        GeneratorStatistics.load(tmp_path / "missing")


def test_default_statistics_cover_many_groups():
    stats = GeneratorStatistics.default()
    groups = stats.space_groups(min_structures=10)
    assert len(groups) >= 90
    assert stats.provenance["command"].startswith("python benchmarks/build_generator_statistics.py")
    assert (Path(__file__).resolve().parents[1] / "benchmarks" / "build_generator_statistics.py").is_file()
    assert sum(stats.space_group_counts.values()) > 100_000  # the ICSD index


@pytest.fixture(scope="module")
def default_stats():
    return GeneratorStatistics.default()


def test_generated_crystals_have_their_space_group(default_stats):
    gen = SyntheticStructureGenerator(default_stats, seed=3)
    structures = gen.generate(40)
    for s in structures:
        sg = s.properties["space_group"]
        assert SpacegroupAnalyzer(s, symprec=0.01).get_space_group_number() == sg
        assert s.lattice.volume < 7000
        assert len(s.properties["wyckoff_letters"]) < 100
        assert set(s.properties["wyckoff_letters"]) <= set(wyckoff_table(sg).letters)


def test_fixed_positions_hold_one_atom(default_stats):
    gen = SyntheticStructureGenerator(default_stats, seed=5)
    for crystal in gen.generate_arrays(60):
        table = wyckoff_table(crystal.space_group)
        fixed = [x for x in crystal.wyckoff_letters if table.dof[table.index(x)] == 0]
        assert len(fixed) == len(set(fixed))


def test_same_seed_same_crystals_and_independent_streams(default_stats):
    a = SyntheticStructureGenerator(default_stats, seed=11).generate_arrays(5)
    b = SyntheticStructureGenerator(default_stats, seed=11).generate_arrays(5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.frac_coords, y.frac_coords)
        np.testing.assert_array_equal(x.lattice, y.lattice)
    workers = SyntheticStructureGenerator(default_stats, seed=11).spawn(2)
    again = SyntheticStructureGenerator(default_stats, seed=11).spawn(2)
    w0, w1 = workers[0].generate_arrays(3), workers[1].generate_arrays(3)
    assert not np.array_equal(w0[0].lattice, w1[0].lattice)
    np.testing.assert_array_equal(again[1].generate_arrays(3)[2].frac_coords, w1[2].frac_coords)


def test_requested_space_group(default_stats):
    gen = SyntheticStructureGenerator(default_stats, seed=2)
    for s in gen.generate(3, space_group=225):
        assert s.properties["space_group"] == 225
        assert crystal_system(225) == "cubic" and math.isclose(s.lattice.a, s.lattice.c)


def test_bad_requests(default_stats):
    gen = SyntheticStructureGenerator(default_stats, seed=0)
    with pytest.raises(InvalidParameterError, match="1-230"):
        gen.generate(1, space_group=300)
    uncovered = next(sg for sg in range(1, 231) if sg not in gen.space_groups)
    with pytest.raises(InvalidParameterError, match=f"space group {uncovered} is not among"):
        gen.generate(1, space_group=uncovered)
    with pytest.raises(InvalidParameterError, match=f"space group {uncovered} is not covered"):
        SyntheticStructureGenerator(default_stats, space_groups=[uncovered])
    with pytest.raises(InvalidParameterError, match="non-negative integer"):
        gen.generate(-1)
    with pytest.raises(TypeError, match="GeneratorStatistics"):
        SyntheticStructureGenerator({"not": "stats"})


def test_impossible_composition_raises_generation_error(default_stats):
    stats = GeneratorStatistics(**{k: getattr(default_stats, k) for k in default_stats.__dataclass_fields__})
    stats.n_elements = {**stats.n_elements, 225: {12: 1}}  # 12 distinct elements ...
    stats.elements = {**stats.elements, 225: {"Na": 1, "Cl": 1}}  # ... from two
    gen = SyntheticStructureGenerator(stats, space_groups=[225], seed=0)
    with pytest.raises(GenerationError, match="space group 225"):
        gen.generate(1)


def test_fast_path_feeds_the_calculator(default_stats):
    from pymatgen_ml_xrd import XRDCalculator

    crystals = SyntheticStructureGenerator(default_stats, seed=8).generate_arrays(4)
    calc = XRDCalculator("CuKa1")
    from_arrays = calc.get_diffractograms([c.to_crystal_arrays() for c in crystals])
    from_structures = calc.get_diffractograms([c.to_structure() for c in crystals])
    np.testing.assert_allclose(from_arrays, from_structures, atol=1e-6)
    assert from_arrays.shape == (4, 8501) and np.allclose(from_arrays.max(axis=1), 1)

def test_all_230_groups_from_pooled_statistics():
    """coverage="all": every group, thin ones drawn from pooled estimates, still spglib-verified."""
    from pymatgen_ml_xrd.generation.generator import SyntheticStructureGenerator as Gen
    from pymatgen_ml_xrd.generation.spglib_dataset import symmetry_dataset
    from pymatgen_ml_xrd.generation.statistics import GeneratorStatistics

    stats = GeneratorStatistics.default()
    gen = Gen(stats, coverage="all", seed=5)
    assert gen.space_groups == list(range(1, 231))
    absent = [sg for sg in range(1, 231) if stats.structure_counts.get(sg, 0) == 0]
    rich = max(stats.structure_counts, key=stats.structure_counts.get)
    assert absent and stats.group_tables(absent[0])["pooled"] and not stats.group_tables(rich)["pooled"]
    assert stats.group_tables(rich)["wyckoff"] == {k: float(v) for k, v in
                                                   {**dict.fromkeys(stats.group_tables(rich)["wyckoff"], 0),
                                                    **stats.wyckoff[rich]}.items()}  # fmt: skip
    for sg in absent[:3] + [230]:
        for crystal in gen.generate_arrays(2, space_group=sg):
            dataset = symmetry_dataset((crystal.lattice, crystal.frac_coords, crystal.atomic_numbers), 0.01)
            assert dataset.number == sg == crystal.space_group
    with pytest.raises(ValueError, match="coverage"):
        Gen(stats, coverage="everything")
    data_only = Gen(stats, seed=0)
    assert set(data_only.space_groups) < set(gen.space_groups)


def test_symmetry_check_agrees_with_spglib_on_every_candidate_cell(default_stats, monkeypatch):
    """Every cell the generator asks about (accepted or not): moyopy + the overlap rule = spglib."""
    import pymatgen_ml_xrd.generation.generator as generator_module
    from pymatgen_ml_xrd.generation.spglib_dataset import symmetry_dataset
    from pymatgen_ml_xrd.generation.symmetry_check import atoms_overlap, space_group_number

    cells = []

    def recording(lattice, frac, numbers, symprec):
        cells.append((lattice.copy(), frac.copy(), numbers.copy()))
        return space_group_number(lattice, frac, numbers, symprec)

    monkeypatch.setattr(generator_module, "space_group_number", recording)
    gen = SyntheticStructureGenerator(default_stats, seed=0)
    gen.generate_arrays(600)
    assert len(cells) >= 600
    answers = [space_group_number(*cell, gen.symprec) for cell in cells]
    spglib_answers = [getattr(symmetry_dataset(cell, gen.symprec), "number", None) for cell in cells]
    # spglib refuses overlapping atoms of one element only; the check refuses any overlap
    expected = [None if atoms_overlap(c[0], c[1], gen.symprec) else a for c, a in zip(cells, spglib_answers)]
    assert answers == expected
    assert all(a is None for a, s in zip(answers, spglib_answers) if s is None)


def test_overlapping_atoms_are_refused_as_spglib_does():
    from pymatgen_ml_xrd.generation.spglib_dataset import symmetry_dataset
    from pymatgen_ml_xrd.generation.symmetry_check import atoms_overlap, space_group_number

    lattice = np.eye(3) * 4.0
    frac = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.999, 0.0, 0.001]])  # 0.006 A from the first, across the cell edge
    numbers = np.array([11, 17, 11])
    assert atoms_overlap(lattice, frac, 0.01) and not atoms_overlap(lattice, frac, 0.005)
    assert space_group_number(lattice, frac, numbers, 0.01) is None
    assert symmetry_dataset((lattice, frac, numbers), 0.01) is None
    assert space_group_number(lattice, frac[:2], numbers[:2], 0.01) == 221  # CsCl-type
