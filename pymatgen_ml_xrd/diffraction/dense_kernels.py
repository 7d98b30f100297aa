"""Numba kernel that turns a crystal into a dense, profiled diffractogram in one call.

Used by ``XRDCalculator.get_diffractogram(s)`` and by the training streams; inputs are validated
arrays (see :class:`~pymatgen_ml_xrd.diffraction.crystal_arrays.CrystalArrays`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pymatgen_ml_xrd.diffraction.reflection_kernels import (
    distinct_shells,
    enumerate_reflections,
    form_factor_exponentials,
    merged_peaks,
    render_profiles,
    structure_factors_squared,
)
from pymatgen_ml_xrd.diffraction.texture import march_dollase_weights

__all__ = ["PROFILE_GAUSSIAN", "PROFILE_PSEUDO_VOIGT", "peak_fwhm", "dense_pattern"]

PROFILE_GAUSSIAN = 0
PROFILE_PSEUDO_VOIGT = 1
#: reflections closer than this in 2-theta [deg] are merged before rendering (pymatgen's tolerance)
MERGE_TOL_DEG = 1e-5


@njit(cache=True)
def peak_fwhm(two_theta, wavelength, profile, scherrer_k, size_angstrom, u, v, w):
    """FWHM [deg] of peaks at ``two_theta`` [deg].

    Gaussian profile: Scherrer, beta = K lambda / (L cos theta) [rad].
    Pseudo-Voigt: Caglioti, FWHM^2 = U tan^2 theta + V tan theta + W [deg^2], plus the Scherrer
    width in quadrature when ``size_angstrom`` > 0.
    """
    out = np.empty(two_theta.shape[0])
    for p in range(two_theta.shape[0]):
        theta = math.radians(two_theta[p] / 2.0)
        scherrer = 0.0
        if size_angstrom > 0.0:
            scherrer = math.degrees(scherrer_k * wavelength / (size_angstrom * math.cos(theta)))
        if profile == PROFILE_GAUSSIAN:
            out[p] = scherrer
        else:
            t = math.tan(theta)
            out[p] = math.sqrt(max(u * t * t + v * t + w, 0.0) + scherrer * scherrer)
    return out


@njit(cache=True)
def dense_pattern(
    inv_lattice, hmax, kmax, lmax, r_min, r_max,
    frac, occ, atom_element, element_rows, dw_b, ustar,
    wavelength, wavelength2, ratio2,
    x0, step, out,
    profile, scherrer_k, size_angstrom, u, v, w, eta, cutoff_gauss, cutoff_lorentz,
    po_direction, po_r,
):  # fmt: skip
    """Render the diffractogram of one crystal into ``out`` (not normalised); returns its maximum.

    ``wavelength2`` > 0 adds a K-alpha2 copy of every peak at that wavelength, scaled by ``ratio2``.
    ``po_r`` != 1 weighs every reflection by the March-Dollase function of its angle to the plane
    normal ``po_direction`` (Miller indices, see :mod:`.texture`).
    """
    hkl, g = enumerate_reflections(inv_lattice, hmax, kmax, lmax, r_min, r_max)
    s2, shell = distinct_shells(g)
    expo = form_factor_exponentials(s2, element_rows, dw_b)
    f2 = structure_factors_squared(hkl, shell, s2, expo, frac, occ, atom_element, element_rows, ustar)
    if po_r != 1.0:
        f2 = f2 * march_dollase_weights(hkl, inv_lattice, po_direction, po_r)
    out[:] = 0.0
    for line in range(2):
        lam = wavelength if line == 0 else wavelength2
        if lam <= 0.0:
            continue
        tt, inten = merged_peaks(g, f2, lam, MERGE_TOL_DEG)
        if line == 1:
            inten *= ratio2
        fwhm = peak_fwhm(tt, lam, profile, scherrer_k, size_angstrom, u, v, w)
        render_profiles(out, x0, step, tt, inten, fwhm, eta, cutoff_gauss, cutoff_lorentz)
    peak = 0.0
    for i in range(out.shape[0]):
        peak = max(peak, out[i])
    return peak
