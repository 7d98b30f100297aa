"""XRDCalculator.get_pattern gives pymatgen's peaks on real and random structures."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pattern_compare import pattern_differences
from pymatgen.analysis.diffraction.core import DiffractionPattern
from pymatgen.analysis.diffraction.xrd import XRDCalculator as PymatgenXRD
from pymatgen.core import Lattice, Structure

from pymatgen_ml_xrd import XRDCalculator
from pymatgen_ml_xrd.diffraction.reflection_kernels import enumerate_reflections


def _compare(structure, **kwargs):
    wavelength = kwargs.pop("wavelength", "CuKa")
    calc_kwargs = {k: kwargs.pop(k) for k in ("debye_waller_factors", "symprec") if k in kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = PymatgenXRD(wavelength, **calc_kwargs).get_pattern(structure, **kwargs)
    ours = XRDCalculator(wavelength, **calc_kwargs).get_pattern(structure, **kwargs)
    return ours, theirs, pattern_differences(ours, theirs)


def test_real_structures_all_crystal_systems(real_table, real_structures):
    assert len(real_structures) >= 300
    assert set(real_table.crystal_system) == {
        "triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic"
    }
    failures = []
    for row, structure in zip(real_table.itertuples(), real_structures):
        ours, _, problems = _compare(structure)
        assert isinstance(ours, DiffractionPattern)
        if problems:
            failures.append(f"{row.id} {structure.formula}: {problems}")
    assert not failures, "\n".join(failures[:20])


def test_unscaled_and_other_ranges_and_wavelengths(real_structures):
    for structure in real_structures[::12]:
        for kwargs in (
            {"scaled": False},
            {"two_theta_range": (10, 70)},
            {"two_theta_range": None, "wavelength": "MoKa"},
            {"two_theta_range": (20, 150), "wavelength": 1.2},
            {"wavelength": "CrKa", "two_theta_range": (0, 180)},
        ):
            _, _, problems = _compare(structure, **dict(kwargs))
            assert not problems, (structure.formula, kwargs, problems)


def test_disordered_real_structures(disordered_structures):
    assert len(disordered_structures) >= 3
    for structure in disordered_structures:
        assert not structure.is_ordered
        _, _, problems = _compare(structure)
        assert not problems, (structure.formula, problems)


def test_substitutionally_disordered_variants(real_structures):
    for structure in real_structures[::15]:
        mixed = structure.copy()
        first = mixed[0].specie.symbol
        partner = "Fe" if first != "Fe" else "Co"
        mixed.replace(0, {first: 0.55, partner: 0.3})
        _, _, problems = _compare(mixed)
        assert not problems, (mixed.formula, problems)


def test_debye_waller_factors_and_symprec(real_structures):
    for structure in real_structures[::20]:
        elements = {sp.symbol for sp in structure.composition}
        dw = {el: 0.3 + 0.1 * i for i, el in enumerate(sorted(elements))}
        _, _, problems = _compare(structure, debye_waller_factors=dw)
        assert not problems, (structure.formula, problems)
    for structure in real_structures[::40]:
        _, _, problems = _compare(structure, symprec=0.1)
        assert not problems, (structure.formula, problems)


def test_anisotropic_displacements_from_site_properties(real_structures):
    rng = np.random.default_rng(1)
    for structure in real_structures[::25]:
        s = structure.copy()
        n = len(s)
        diag = rng.uniform(0.005, 0.03, (n, 3))
        off = rng.uniform(-0.002, 0.002, (n, 3))
        for key, values in zip(("U11_cif", "U22_cif", "U33_cif"), diag.T):
            s.add_site_property(key, values.tolist())
        for key, values in zip(("U23_cif", "U13_cif", "U12_cif"), off.T):
            s.add_site_property(key, values.tolist())
        _, _, problems = _compare(s)
        assert not problems, (s.formula, problems)


def test_reflection_distances_are_bit_identical_to_pymatgen(real_structures):
    for structure in real_structures[::30]:
        max_r = 2 * math.sin(math.radians(45)) / 1.54184
        for r in (max_r, 1.3):  # pymatgen's two code paths: r < 1 and r >= 1
            recip = structure.lattice.reciprocal_lattice_crystallographic
            pts = recip.get_points_in_sphere([[0, 0, 0]], [0, 0, 0], r)
            expected = sorted((pt[1], tuple(np.round(pt[0]).astype(int))) for pt in pts)
            expected = {hkl: d for d, hkl in expected}
            bounds = [int(r * np.linalg.norm(v)) + 1 for v in structure.lattice.matrix]
            hkl, g = enumerate_reflections(np.linalg.inv(structure.lattice.matrix), *bounds, 0.0, r)
            assert len(hkl) * 2 == len(expected) - 1  # one Friedel half, without 000
            for (h, k, l), d in zip(hkl.tolist(), g.tolist()):
                assert expected[(h, k, l)] == d  # bit-identical, not approximately equal


def test_empty_range_gives_empty_pattern():
    nacl = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    pattern = XRDCalculator().get_pattern(nacl, two_theta_range=(0.1, 1.0))
    assert len(pattern.x) == 0 and pattern.hkls == []


def test_pattern_object_behaves_like_pymatgens(real_structures):
    ours, theirs, _ = _compare(real_structures[3])
    copy = ours.copy()
    assert copy.hkls == ours.hkls and copy.d_hkls == ours.d_hkls
    restored = DiffractionPattern.from_dict(ours.as_dict())
    expected = DiffractionPattern.from_dict(theirs.as_dict())  # JSON turns tuples into lists
    assert restored.hkls == expected.hkls and np.allclose(restored.y, ours.y)
    doubled = ours * 2
    assert np.allclose(doubled.y, 2 * ours.y) and doubled.hkls == ours.hkls


_ELEMENTS = ["H", "Li", "C", "O", "F", "Na", "Mg", "Al", "Si", "S", "Cl", "K", "Ti", "Fe", "Cu", "Zn",
             "Sr", "Ag", "Ba", "La", "W", "Pb", "U"]


@st.composite
def random_structures(draw):
    if draw(st.booleans()):
        a = draw(st.floats(2.5, 9))
        lattice = Lattice.hexagonal(a, draw(st.floats(2.5, 12)))
    else:
        abc = [draw(st.floats(2.5, 10)) for _ in range(3)]
        angles = [draw(st.floats(65, 115)) for _ in range(3)]
        lattice = Lattice.from_parameters(*abc, *angles)
        if not lattice.volume > 0.3 * np.prod(abc):
            lattice = Lattice.orthorhombic(*abc)
    n = draw(st.integers(1, 8))
    species = []
    for _ in range(n):
        el = draw(st.sampled_from(_ELEMENTS))
        if draw(st.integers(0, 3)) == 0:  # a disordered site
            other = draw(st.sampled_from(_ELEMENTS))
            occ = draw(st.floats(0.1, 0.5))
            species.append({el: occ, other: occ} if other != el else {el: 2 * occ})
        else:
            species.append(el)
    coords = [[draw(st.floats(0, 1, exclude_max=True)) for _ in range(3)] for _ in range(n)]
    return Structure(lattice, species, coords)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    structure=random_structures(),
    wavelength=st.one_of(st.sampled_from(["CuKa", "MoKa", "CoKa1", "AgKb1"]), st.floats(0.6, 2.4)),
    two_theta_range=st.one_of(
        st.none(),
        st.tuples(st.floats(0, 60), st.floats(65, 179)),
    ),
)
def test_random_structures_match_pymatgen(structure, wavelength, two_theta_range):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            theirs = PymatgenXRD(wavelength).get_pattern(structure, two_theta_range=two_theta_range)
        except ValueError:  # pymatgen fails on a range without reflections; ours returns no peaks
            theirs = None
    ours = XRDCalculator(wavelength).get_pattern(structure, two_theta_range=two_theta_range)
    if theirs is None:
        assert len(ours.x) == 0
        return
    problems = pattern_differences(ours, theirs)
    assert not problems, problems


@pytest.mark.parametrize("name", ["CuKa", "MoKa2", "FeKb1", "AgKa"])
def test_wavelength_names_as_pymatgen(name):
    assert XRDCalculator(name).wavelength == PymatgenXRD(name).wavelength
    assert XRDCalculator(name).radiation == name


def test_reflection_exactly_at_the_limiting_sphere():
    # (4 0 0) of a 2 A cubic cell at 1 A sits at theta = 90 deg, where cos(theta) ~ 6e-17
    structure = Structure(Lattice.cubic(2.0), ["Na"], [[0, 0, 0]])
    ours, _, problems = _compare(structure, wavelength=1.0, two_theta_range=None)
    assert not problems, problems
    assert ours.x[-1] == pytest.approx(180.0)


def test_get_patterns_gives_get_patterns_peaks_and_names_the_bad_structure(real_structures):
    calc = XRDCalculator()
    some = real_structures[::25]
    batch = calc.get_patterns(some, two_theta_range=(10, 80))
    assert len(batch) == len(some)
    for structure, pattern in zip(some, batch):
        single = calc.get_pattern(structure, two_theta_range=(10, 80))
        assert np.array_equal(pattern.x, single.x) and np.array_equal(pattern.y, single.y)
        assert pattern.hkls == single.hkls and pattern.d_hkls == single.d_hkls
    empty = Structure(Lattice.cubic(4.0), [], [])
    with pytest.raises(ValueError, match="structure 2: the structure is empty"):
        calc.get_patterns([some[0], some[1], empty])
    with pytest.raises(ValueError, match="inverted"):
        calc.get_patterns(some, two_theta_range=(80, 10))
    assert calc.get_patterns([]) == []
    with pytest.raises(TypeError, match="for one structure call get_pattern"):
        calc.get_patterns(some[0])  # a Structure iterates over its sites
    with pytest.raises(TypeError, match="list of Structures, got int"):
        calc.get_patterns(3)
    assert len(calc.get_patterns(iter(some[:2]))) == 2  # any iterable


def test_lattice_inverse_is_numpys_bit_for_bit(real_structures):
    from pymatgen_ml_xrd.diffraction.calculator import _inverse

    for structure in real_structures:
        m = np.array(structure.lattice.matrix, dtype=np.float64)
        assert np.array_equal(_inverse(m), np.linalg.inv(m))


def test_hexagonal_test_is_pymatgens():
    from pymatgen_ml_xrd.diffraction.peak_kernel import lattice_is_hexagonal

    rng = np.random.default_rng(3)
    cases = [Lattice.hexagonal(3.0, 5.0), Lattice.cubic(4.0), Lattice.from_parameters(3, 3.005, 5, 90, 90, 120)]
    cases += [Lattice.from_parameters(3, 3.0 + d, 5, 90, 90, 120) for d in (0.0099, 0.0101)]
    cases += [Lattice.from_parameters(3, 3, 5, 90, 90 + t, 120) for t in (4.9, 5.1)]
    for _ in range(300):  # near-hexagonal cells on both sides of the tolerances
        a = rng.uniform(2, 8)
        cases.append(Lattice.from_parameters(
            a, a + rng.normal(0, 0.01), rng.uniform(2, 9), *rng.normal(90, 4, 2), rng.choice([60, 120]) + rng.normal(0, 4)
        ))  # fmt: skip
    answers = [lattice_is_hexagonal(np.array(lat.matrix)) for lat in cases]
    assert answers == [lat.is_hexagonal() for lat in cases]
    assert any(answers) and not all(answers)
