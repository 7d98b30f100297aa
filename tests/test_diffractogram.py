"""Dense diffractograms: grid, normalisation, profile widths and areas, K-alpha2, batches."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymatgen.analysis.diffraction.xrd import WAVELENGTHS
from pymatgen.analysis.diffraction.xrd import XRDCalculator as PymatgenXRD
from pymatgen.core import Lattice, Structure
from pymatgen.core.spectrum import Spectrum

from pymatgen_ml_xrd import CrystalArrays, Diffractogram, XRDCalculator
from pymatgen_ml_xrd.diffraction import two_theta_grid

# simple cubic polonium: one atom, well separated peaks
PO = Structure(Lattice.cubic(3.35), ["Po"], [[0, 0, 0]])


PO_PEAKS = PymatgenXRD("CuKa1").get_pattern(PO, two_theta_range=(5, 90))


def _fwhm(x, y, centre):
    """Full width at half maximum [deg] of the peak within 0.05 deg of ``centre`` (linear interpolation)."""
    near = np.flatnonzero(np.abs(x - centre) < 0.05)
    i = int(near[np.argmax(y[near])])
    half = y[i] / 2
    lo = i
    while y[lo] > half:
        lo -= 1
    hi = i
    while y[hi] > half:
        hi += 1
    left = x[lo] + (half - y[lo]) / (y[lo + 1] - y[lo]) * (x[lo + 1] - x[lo])
    right = x[hi - 1] + (half - y[hi - 1]) / (y[hi] - y[hi - 1]) * (x[hi] - x[hi - 1])
    return right - left, x[i]


def test_default_grid_and_normalisation(real_structures):
    dg = XRDCalculator().get_diffractogram(real_structures[0])
    assert isinstance(dg, Diffractogram) and isinstance(dg, Spectrum)
    assert len(dg.x) == 8501 and dg.x[0] == 5.0 and math.isclose(dg.x[-1], 90.0)
    assert math.isclose(dg.y.max(), 1.0) and dg.y.min() >= 0
    assert dg.wavelength == WAVELENGTHS["CuKa"] and dg.radiation == "CuKa"


def test_strongest_peak_where_pymatgen_puts_it(real_structures):
    calc = XRDCalculator()
    for structure in real_structures[::25]:
        peaks = PymatgenXRD().get_pattern(structure, two_theta_range=(5, 90))
        dg = calc.get_diffractogram(structure, crystallite_size=200.0)
        # the strongest rendered maximum lies on a peak pymatgen lists
        top = dg.x[np.argmax(dg.y)]
        assert np.min(np.abs(peaks.x - top)) < 0.02, structure.formula


@pytest.mark.parametrize("size_nm", [20.0, 50.0, 100.0])
def test_gaussian_width_is_scherrer(size_nm):
    dg = XRDCalculator("CuKa1").get_diffractogram(PO, crystallite_size=size_nm, step=0.005)
    for centre in PO_PEAKS.x[[0, 3, 6]]:
        fwhm, at = _fwhm(dg.x, dg.y, centre)
        expected = math.degrees(0.9 * WAVELENGTHS["CuKa1"] / (size_nm * 10 * math.cos(math.radians(at / 2))))
        assert fwhm == pytest.approx(expected, rel=0.02)


def test_peak_areas_follow_pymatgen_intensities():
    peaks = PymatgenXRD("CuKa1").get_pattern(PO, scaled=False, two_theta_range=(5, 90))
    dg = XRDCalculator("CuKa1").get_diffractogram(PO, crystallite_size=80.0, step=0.005, normalize=False)
    areas = []
    for centre in peaks.x[:3]:
        window = np.abs(dg.x - centre) < 1.0
        areas.append(dg.y[window].sum() * 0.005)
    assert np.allclose(np.array(areas) / areas[0], peaks.y[:3] / peaks.y[0], rtol=0.01)


def test_pseudo_voigt_caglioti_width_and_lorentzian_tails():
    u, v, w = 0.01, -0.002, 0.004
    calc = XRDCalculator("CuKa1")
    for eta in (0.0, 0.5, 1.0):
        dg = calc.get_diffractogram(PO, profile="pseudo-voigt", caglioti=(u, v, w), eta=eta, crystallite_size=None,
                                    step=0.002)
        fwhm, at = _fwhm(dg.x, dg.y, PO_PEAKS.x[3])
        t = math.tan(math.radians(at / 2))
        assert fwhm == pytest.approx(math.sqrt(u * t * t + v * t + w), rel=0.03), eta
    gauss = calc.get_diffractogram(PO, profile="pseudo-voigt", eta=0.0, crystallite_size=None)
    lorentz = calc.get_diffractogram(PO, profile="pseudo-voigt", eta=1.0, crystallite_size=None)
    far = np.abs(lorentz.x - PO_PEAKS.x[3]) > 1.0
    near_peak = far & (np.abs(lorentz.x - PO_PEAKS.x[3]) < 2.0)
    assert lorentz.y[near_peak].mean() > 50 * max(gauss.y[near_peak].mean(), 1e-12)


def test_scherrer_adds_in_quadrature_for_pseudo_voigt():
    calc = XRDCalculator("CuKa1")
    dg = calc.get_diffractogram(PO, profile="pseudo-voigt", caglioti=(0, 0, 0.01), eta=0.0, crystallite_size=30.0,
                                step=0.002)
    fwhm, at = _fwhm(dg.x, dg.y, PO_PEAKS.x[3])
    scherrer = math.degrees(0.9 * WAVELENGTHS["CuKa1"] / (300 * math.cos(math.radians(at / 2))))
    assert fwhm == pytest.approx(math.hypot(0.1, scherrer), rel=0.03)


def test_kalpha2_doublet_position_and_ratio():
    calc = XRDCalculator("CuKa")
    dg = calc.get_diffractogram(PO, kalpha2=True, crystallite_size=500.0, step=0.002, normalize=False)
    assert dg.wavelength == WAVELENGTHS["CuKa1"] and dg.radiation == "CuKa1"
    d = PO_PEAKS.d_hkls[6]  # a high-angle peak, where the doublet is well split
    tt1 = 2 * math.degrees(math.asin(WAVELENGTHS["CuKa1"] / (2 * d)))
    tt2 = 2 * math.degrees(math.asin(WAVELENGTHS["CuKa2"] / (2 * d)))
    assert tt2 - tt1 > 0.2
    _, at1 = _fwhm(dg.x, dg.y, tt1)
    _, at2 = _fwhm(dg.x, dg.y, tt2)
    assert at1 == pytest.approx(tt1, abs=0.003) and at2 == pytest.approx(tt2, abs=0.003)
    i1 = dg.y[np.abs(dg.x - tt1) < 0.01].max()
    i2 = dg.y[np.abs(dg.x - tt2) < 0.01].max()
    assert i2 / i1 == pytest.approx(0.5, rel=0.05)  # LP factor changes little over 0.25 deg
    single = XRDCalculator("CuKa1").get_diffractogram(PO, crystallite_size=500.0, step=0.002, normalize=False)
    assert single.y[np.abs(single.x - tt2) < 0.01].max() < 0.01 * i1


def test_batch_equals_single_and_float32(real_structures):
    calc = XRDCalculator()
    subset = real_structures[:6]
    sizes = [20.0, 35.0, 50.0, 65.0, 80.0, 100.0]
    batch = calc.get_diffractograms(subset, crystallite_size=sizes)
    assert batch.dtype == np.float32 and batch.shape == (6, 8501)
    for row, s, size in zip(batch, subset, sizes):
        single = calc.get_diffractogram(s, crystallite_size=size)
        np.testing.assert_allclose(row, single.y, atol=1e-6)


def test_arrays_fast_path_equals_structure_path(real_structures):
    s = real_structures[10]
    arrays = CrystalArrays.from_arrays(s.lattice.matrix, s.frac_coords, [site.specie.Z for site in s])
    calc = XRDCalculator()
    np.testing.assert_allclose(calc.get_diffractogram(arrays).y, calc.get_diffractogram(s).y, atol=1e-12)


def test_tails_from_peaks_outside_the_range_are_included():
    calc = XRDCalculator("CuKa1")
    full = calc.get_diffractogram(PO, two_theta_range=(20, 40), crystallite_size=5.0, normalize=False)
    cut = calc.get_diffractogram(PO, two_theta_range=(27.5, 40), crystallite_size=5.0, normalize=False)
    overlap = full.x >= 27.5 - 1e-9
    np.testing.assert_allclose(cut.y, full.y[overlap], rtol=1e-9)


def test_grid_helper():
    assert len(two_theta_grid()) == 8501
    x = two_theta_grid(10, 80, 0.02)
    assert len(x) == 3501 and x[-1] == pytest.approx(80)


def test_diffractogram_spectrum_behaviour():
    dg = XRDCalculator("MoKa").get_diffractogram(PO, two_theta_range=(5, 40), step=0.05)
    twice = dg * 2
    assert isinstance(twice, Diffractogram) and twice.wavelength == dg.wavelength
    np.testing.assert_allclose(twice.y, 2 * dg.y)
    copy = dg.copy()
    assert copy.radiation == "MoKa" and np.array_equal(copy.x, dg.x)
    np.testing.assert_allclose(dg.d_spacings, dg.wavelength / (2 * np.sin(np.radians(dg.x / 2))))
    assert "MoKa" not in repr(dg) and "Diffractogram(701 points" in repr(dg)
    with pytest.raises(ValueError, match="ascending"):
        Diffractogram([2, 1], [0, 1])
    with pytest.raises(ValueError, match="finite"):
        Diffractogram([1, 2], [0, math.nan])


def test_vectorised_exp_matches_numpy_to_1e_15():
    from pymatgen_ml_xrd.diffraction.vector_exp import EXP_CLAMP, exp_into

    x = np.concatenate([np.linspace(-EXP_CLAMP, EXP_CLAMP, 100_001), -np.random.default_rng(0).uniform(0, 40, 50_000)])
    out = np.empty_like(x)
    exp_into(x, out, np.empty(len(x), dtype=np.int64))
    assert np.max(np.abs(out / np.exp(x) - 1)) < 1e-15
    beyond = np.array([-1e4, 1e4])
    exp_into(beyond, out[:2], np.empty(2, dtype=np.int64))
    assert np.allclose(out[:2], np.exp([-EXP_CLAMP, EXP_CLAMP]), rtol=1e-15)  # clamped, still finite
