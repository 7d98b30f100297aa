"""Preferred orientation (March-Dollase) in the dense calculator, the effects and the stream."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from pymatgen_ml_xrd import XRDCalculator
from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
from pymatgen_ml_xrd.diffraction.texture import march_dollase, march_dollase_weights
from pymatgen_ml_xrd.errors import InvalidParameterError

NACL = Structure.from_spacegroup(225, Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
ZNO = Structure(Lattice.hexagonal(3.25, 5.21), ["Zn", "Zn", "O", "O"],
                [[1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0.5], [1 / 3, 2 / 3, 0.382], [2 / 3, 1 / 3, 0.882]])  # fmt: skip


@pytest.mark.parametrize("r", [0.5, 0.8, 1.0, 1.3, 2.0])
def test_march_dollase_is_normalised_over_the_sphere(r):
    # cos(alpha) is uniform on [-1, 1] for directions uniform on the sphere
    c = np.linspace(-1, 1, 400_001)
    mean = np.trapezoid([march_dollase(r, x) for x in c[::40]], c[::40]) / 2
    assert mean == pytest.approx(1.0, abs=2e-3)
    assert march_dollase(r, 1.0) == pytest.approx(r**-3)
    assert march_dollase(r, 0.0) == pytest.approx(r**1.5)


def test_weights_follow_the_angle_to_the_plane_normal():
    inv = np.linalg.inv(ZNO.lattice.matrix)
    hkl = np.array([[0, 0, 2], [1, 0, 0], [1, 1, 0], [1, 0, 1]])
    w = march_dollase_weights(hkl, inv, np.array([0.0, 0.0, 1.0]), 0.7)
    recip = ZNO.lattice.reciprocal_lattice_crystallographic.matrix
    g = hkl @ recip
    cos = g[:, 2] / np.linalg.norm(g, axis=1)
    np.testing.assert_allclose(w, (0.49 * cos**2 + (1 - cos**2) / 0.7) ** -1.5, rtol=1e-12)
    assert w[0] == pytest.approx(0.7**-3) and w[1] == pytest.approx(0.7**1.5) and w[2] == pytest.approx(0.7**1.5)


def test_textured_peaks_scale_by_the_family_average_of_the_weight():
    calc = XRDCalculator("CuKa1")
    kwargs = dict(two_theta_range=(20.0, 90.0), step=0.005, crystallite_size=300.0, normalize=False)
    plain = calc.get_diffractogram(NACL, **kwargs)
    r = 0.75
    textured = calc.get_diffractogram(NACL, preferred_orientation=((0, 0, 1), r), **kwargs)
    peaks = calc.get_pattern(NACL, two_theta_range=(20, 90))
    for x, fam in zip(peaks.x, peaks.hkls):
        h, k, l = fam[0]["hkl"]
        members = {p for perm in itertools.permutations((h, k, l)) for p in itertools.product(
            *[(v, -v) for v in perm])}  # fmt: skip
        c = np.array([m[2] for m in members]) / np.linalg.norm(np.array(list(members)), axis=1)
        expected = np.mean([march_dollase(r, v) for v in c])
        i = int(np.argmin(abs(plain.x - x)))
        assert textured.y[i] / plain.y[i] == pytest.approx(expected, rel=1e-6), (h, k, l)


def test_no_texture_changes_nothing_and_lists_per_structure():
    calc = XRDCalculator("CuKa1")
    plain = calc.get_diffractograms([NACL, ZNO], step=0.05)
    same = calc.get_diffractograms([NACL, ZNO], step=0.05, preferred_orientation=((1, 1, 1), 1.0))
    np.testing.assert_array_equal(plain, same)
    mixed = calc.get_diffractograms([NACL, ZNO], step=0.05, preferred_orientation=[None, ((0, 0, 1), 0.6)])
    np.testing.assert_array_equal(mixed[0], plain[0])
    single = calc.get_diffractogram(ZNO, step=0.05, preferred_orientation=((0, 0, 1), 0.6)).y
    np.testing.assert_allclose(mixed[1], single, rtol=1e-6, atol=1e-7)
    assert not np.allclose(mixed[1], plain[1])


@pytest.mark.parametrize("bad, match", [
    (((0, 0, 0), 0.8), "not all zero"),
    (((0, 0, 1), 0.0), "positive"),
    (((0, 0, 1), float("nan")), "positive"),
    (((0, 1), 0.8), "3 finite Miller"),
    ((0, 0, 1), "preferred_orientation must be"),
    ("001", "preferred_orientation must be"),
])  # fmt: skip
def test_bad_preferred_orientation(bad, match):
    with pytest.raises(InvalidParameterError, match=match):
        XRDCalculator().get_diffractogram(NACL, step=0.1, preferred_orientation=bad)


def test_bad_per_structure_list():
    calc = XRDCalculator()
    with pytest.raises(InvalidParameterError, match=r"one of them per structure \(2\)"):
        calc.get_diffractograms([NACL, ZNO], step=0.1, preferred_orientation=[None])
    with pytest.raises(InvalidParameterError, match="structure 1"):
        calc.get_diffractograms([NACL, ZNO], step=0.1, preferred_orientation=[None, ((0, 0, 0), 0.5)])


def test_effects_draw_texture_reproducibly():
    with pytest.raises(InvalidParameterError, match="preferred_orientation"):
        ExperimentalEffects(preferred_orientation=(0.0, 1.2))
    calc = XRDCalculator("CuKa1")
    only_texture = ExperimentalEffects(**{k: None for k in ("impurity_fraction", "zero_shift", "sample_displacement",
                                                             "background_length", "hump_height", "additive_noise",
                                                             "multiplicative_noise", "peak_counts")},
                                       preferred_orientation=(0.5, 0.6))  # fmt: skip
    a = calc.get_diffractogram(ZNO, step=0.05, effects=only_texture, seed=3).y
    b = calc.get_diffractogram(ZNO, step=0.05, effects=only_texture, seed=3).y
    plain = calc.get_diffractogram(ZNO, step=0.05).y
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, plain, atol=1e-3)
    # an explicit texture wins over the drawn one
    fixed = calc.get_diffractogram(ZNO, step=0.05, effects=only_texture, seed=3, preferred_orientation=((0, 0, 1), 1.0))
    np.testing.assert_allclose(fixed.y, plain, atol=1e-6)


@pytest.mark.parametrize("profile", ["gaussian", "pseudo-voigt"])
def test_stream_draws_texture(profile):
    from pymatgen_ml_xrd.streams import BatchConfig, LocalStream

    off = dict.fromkeys(("impurity_fraction", "zero_shift", "sample_displacement", "background_length",
                         "hump_height", "additive_noise", "multiplicative_noise", "peak_counts"))  # fmt: skip
    base = dict(batch_size=8, two_theta=(10.0, 70.0, 0.05), space_groups=(2, 14, 62, 194, 225), profile=profile,
                preprocessing="none")  # fmt: skip
    batches = []
    for extra in ({}, {"preferred_orientation": (0.5, 0.6)}):
        with LocalStream(BatchConfig.build(**base, effects={**off, **extra}), seed=4, n_workers=0) as stream:
            batches.append(next(stream))
    (x0, y0), (x1, y1) = batches
    np.testing.assert_array_equal(y0, y1)  # the same crystals
    assert x0.shape == x1.shape and np.isfinite(x1).all()
    assert not np.allclose(x0, x1, atol=1e-3)
