"""The forward model of a powder scan: phases with refined lattices, peak widths and shifts.

One phase's contribution on a uniform grid x0 + i step [deg] is

    sum_k  f2m_k LP(2theta_k) pV(2theta - 2theta_k - shift(2theta_k); FWHM_k, eta)

with 2theta_k from the reflection's d-spacing in the refined cell (Bragg's law at K-alpha1 and,
for a doublet, K-alpha2 with half the intensity), the Lorentz-polarisation factor of pymatgen,
FWHM_k^2 = U tan^2 theta_k + W (Caglioti with V = 0) and the Lorentzian fraction eta; the shift
is a zero-point error plus a sample displacement s, -2 s cos(theta) / R [rad] (R: goniometer
radius). With texture, each reflection's intensity is multiplied by its March-Dollase factor
along a given plane normal (averaged over the family's members), and with an overall
displacement B by the Debye-Waller factor exp(-B / (2 d^2)). Peaks are rendered, area-normalised, by the calculator's numba kernel
(:func:`~pymatgen_ml_xrd.diffraction.reflection_kernels.render_profiles`). The phase's scale
multiplies this pattern; background and scales are solved linearly by the refinement.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.phases.references import LATTICE_FREE, PeakTable, lorentz_polarisation

__all__ = ["GONIOMETER_RADIUS_MM", "d_spacings", "full_lattice", "phase_pattern", "texture_factors"]

GONIOMETER_RADIUS_MM = 240.0


def full_lattice(free: NDArray, start: NDArray, crystal_system: str) -> NDArray[np.float64]:
    """(a, b, c, alpha, beta, gamma) from the free parameters of ``crystal_system`` (the rest
    tied or kept at ``start``)."""
    indices, ties = LATTICE_FREE[crystal_system]
    out = np.array(start, dtype=np.float64)
    out[list(indices)] = free
    for target, source in ties.items():
        out[target] = out[source]
    return out


def d_spacings(hkl: NDArray, parameters: NDArray) -> NDArray[np.float64]:
    """d-spacings [angstrom] of Miller indices (n, 3) in the cell (a, b, c, alpha, beta, gamma)."""
    a, b, c = parameters[:3]
    al, be, ga = np.radians(parameters[3:])
    ca, cb, cg = math.cos(al), math.cos(be), math.cos(ga)
    metric = np.array([[a * a, a * b * cg, a * c * cb], [a * b * cg, b * b, b * c * ca], [a * c * cb, b * c * ca, c * c]])
    inverse = np.linalg.inv(metric)
    h = hkl.astype(np.float64)
    inv_d2 = np.einsum("ni,ij,nj->n", h, inverse, h)
    return 1.0 / np.sqrt(np.maximum(inv_d2, 1e-12))


def texture_factors(families: NDArray, parameters: NDArray, direction: NDArray, r: float) -> NDArray[np.float64]:
    """(n_reflections,) March-Dollase factor of each reflection: the mean over its family's
    members (``families`` from :meth:`ReferencePhase.families`, zero rows are padding) of the
    calculator's weight (:func:`~pymatgen_ml_xrd.diffraction.texture.march_dollase_weights`) for
    the plane normal ``direction`` (h, k, l) in the cell ``parameters``."""
    from pymatgen.core import Lattice

    from pymatgen_ml_xrd.diffraction.texture import march_dollase_weights

    valid = np.abs(families).sum(axis=2) > 0
    members = np.ascontiguousarray(families[valid], dtype=np.float64)
    inverse = np.linalg.inv(Lattice.from_parameters(*parameters).matrix)
    weights = march_dollase_weights(members, inverse, np.asarray(direction, dtype=np.float64), float(r))
    sums = np.bincount(np.nonzero(valid)[0], weights=weights, minlength=len(families))
    return sums / np.maximum(valid.sum(axis=1), 1)


def phase_pattern(x0: float, step: float, n: int, table: PeakTable, parameters: NDArray, lines: tuple,
                  zero: float, displacement: float, u: float, w: float, eta: float,
                  texture: NDArray | None = None, f2m: NDArray | None = None,
                  b_iso: float = 0.0) -> NDArray[np.float64]:  # fmt: skip
    """(n,) unit-scale pattern of one phase (see the module docstring).

    Args:
        table: the phase's reflections; parameters: its refined cell (a, b, c, alpha, beta, gamma).
        lines: ((wavelength [angstrom], relative intensity), ...) e.g. K-alpha1 and K-alpha2.
        zero: zero-point error [deg]; displacement: sample displacement [mm].
        u, w: Caglioti U and W [deg^2]; eta: Lorentzian fraction in [0, 1].
        texture: (n_reflections,) intensity factors (March-Dollase, :func:`texture_factors`), or None.
        f2m: (n_reflections,) intensities / LP to use instead of the table's (moved atoms:
            :class:`~pymatgen_ml_xrd.phases.coordinates.CoordinateModel`), or None.
        b_iso: overall isotropic displacement (Debye-Waller) B [angstrom^2]: intensities times
            exp(-2 B (sin(theta) / lambda)^2) = exp(-B / (2 d^2)); 0: the reference's as they are.
    """
    from pymatgen_ml_xrd.diffraction.reflection_kernels import render_profiles

    out = np.zeros(n)
    d = d_spacings(table.hkl, parameters) if len(table.hkl) else np.empty(0)
    f2m = table.f2m if f2m is None else f2m
    f2m = f2m if texture is None else f2m * texture
    if b_iso:
        f2m = f2m * np.exp(-b_iso / (2.0 * d * d))
    x_end = x0 + (n - 1) * step
    for lam, weight in lines:
        sin_t = lam / (2.0 * d)
        ok = sin_t < 0.9999
        theta = np.arcsin(sin_t[ok])
        tt = np.degrees(2.0 * theta)
        shift = zero - np.degrees(2.0 * displacement * np.cos(theta) / GONIOMETER_RADIUS_MM)
        pos = tt + shift
        fwhm = np.sqrt(np.maximum(u * np.tan(theta) ** 2 + w, (0.5 * step) ** 2))
        inside = (pos > x0 - 10 * fwhm) & (pos < x_end + 10 * fwhm)
        if not inside.any():
            continue
        area = weight * f2m[ok][inside] * lorentz_polarisation(tt[inside])
        render_profiles(out, float(x0), float(step), np.ascontiguousarray(pos[inside]), np.ascontiguousarray(area),
                        np.ascontiguousarray(fwhm[inside]), float(min(max(eta, 0.0), 1.0)), 4.0, 15.0)  # fmt: skip
    return out
