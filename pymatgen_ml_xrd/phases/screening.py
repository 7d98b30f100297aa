"""Screening: every reference against a scan, with its lattice scaled, in one numba kernel.

For each reference and each isotropic lattice scale s (d -> s d), the kernel renders the
reference's reflections (Gaussian peaks of one width, K-alpha2 included when the scan has it,
intensities |F|^2 m times the Lorentz-polarisation factor at the moved angle) onto the scan's
grid and scores the match as the cosine between the two patterns, as they are (the strong
peaks decide) and between their square roots (weak peaks weigh more, as an analyst's eye
does), from one rendering. The kernel sees only arrays:
the reflections of all references concatenated, with their offsets.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["screen_scores"]


@njit(cache=True)
def _screen(y1, y2, x0, step, d, f2m, starts, scales, lam1, lam2, ratio2, fwhm, out1, out2):
    n = y1.shape[0]
    buf = np.zeros(n)
    sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    half = int(math.ceil(2.5 * fwhm / step))
    inv2s2 = 1.0 / (2.0 * sigma * sigma)
    c_step = math.exp(-2.0 * step * step * inv2s2)
    x_end = x0 + (n - 1) * step
    n_lines = 2 if ratio2 > 0.0 else 1
    for r in range(starts.shape[0] - 1):
        for si in range(scales.shape[0]):
            s = scales[si]
            lo_touch, hi_touch = n, -1
            for k in range(starts[r], starts[r + 1]):
                beyond = False
                dk = d[k] * s
                for line in range(n_lines):
                    lam = lam1 if line == 0 else lam2
                    sin_t = lam / (2.0 * dk)
                    if sin_t >= 1.0:
                        continue
                    theta = math.asin(sin_t)
                    tt = 2.0 * math.degrees(theta)
                    if tt < x0 - 3.0 * fwhm or tt > x_end + 3.0 * fwhm:
                        if line == 0 and tt > x_end + 3.0 * fwhm:
                            beyond = True  # d descending: every further reflection lies beyond too
                        continue
                    c2 = math.cos(2.0 * theta)
                    lp = (1.0 + c2 * c2) / (sin_t * sin_t * math.cos(theta))
                    area = f2m[k] * lp * (1.0 if line == 0 else ratio2)
                    amp = area / (sigma * math.sqrt(2.0 * math.pi))
                    centre = int(round((tt - x0) / step))
                    a = max(centre - half, 0)
                    b = min(centre + half, n - 1)
                    # Gaussian by a two-term multiplicative recurrence: three exponentials per peak
                    dx = x0 + a * step - tt
                    v = amp * math.exp(-dx * dx * inv2s2)
                    q = math.exp(-(2.0 * dx * step + step * step) * inv2s2)
                    for i in range(a, b + 1):
                        buf[i] += v
                        v *= q
                        q *= c_step
                    if a < lo_touch:
                        lo_touch = a
                    if b > hi_touch:
                        hi_touch = b
                if beyond:
                    break
            dot1, total1, dot2, total2 = 0.0, 0.0, 0.0, 0.0
            for i in range(lo_touch, hi_touch + 1):
                v = buf[i]
                if v > 0.0:
                    dot1 += v * y1[i]
                    total1 += v * v
                    dot2 += math.sqrt(v) * y2[i]
                    total2 += v
                buf[i] = 0.0
            out1[r, si] = dot1 / math.sqrt(total1) if total1 > 0.0 else 0.0
            out2[r, si] = dot2 / math.sqrt(total2) if total2 > 0.0 else 0.0


def screen_scores(y: NDArray, x0: float, step: float, tables: list, scales: NDArray, wavelength: float,
                  wavelength2: float = 0.0, ratio2: float = 0.0, fwhm: float = 0.1,
                  min_intensity: float = 1e-3) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two (n_references, n_scales) arrays of cosine scores in [0, 1] of ``tables`` against the scan
    ``y``: of the intensities as they are, and of their square roots (one rendering for both).

    Args:
        y: (n,) background-free scan on the uniform grid x0 + i step [deg], non-negative.
        tables: :class:`~pymatgen_ml_xrd.phases.references.PeakTable` per reference.
        scales: isotropic lattice scale factors (d -> s d), e.g. 0.97-1.03.
        wavelength, wavelength2, ratio2: K-alpha1 [angstrom] and, for a doublet, K-alpha2 and
            its intensity ratio (0: no second line).
        fwhm: Gaussian width of the rendered peaks [deg].
        min_intensity: reflections weaker than this share of a reference's strongest are left out
            (they cannot change a score but cost most of the time for large cells).
    """
    y = np.ascontiguousarray(y, dtype=np.float64)
    scales = np.ascontiguousarray(scales, dtype=np.float64)
    if y.ndim != 1 or len(y) < 10 or not np.isfinite(y).all() or (y < 0).any():
        raise InvalidParameterError("the screened scan must be a finite, non-negative 1-D array of >= 10 points")
    if not (step > 0 and fwhm > 0 and wavelength > 0) or scales.ndim != 1 or not (scales > 0).all():
        raise InvalidParameterError("screening needs a positive step, width, wavelength and lattice scales")
    if not y.max() > 0:
        raise InvalidParameterError("the scan has no intensity above its background")
    y1 = y / math.sqrt(float(np.sum(y**2)))
    y2 = np.sqrt(y) / math.sqrt(float(np.sum(y)))
    kept = [_strong(t, wavelength, min_intensity) for t in tables]
    lengths = np.array([len(dk) for dk, _ in kept], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    d = np.concatenate([dk for dk, _ in kept]) if kept else np.empty(0)
    f2m = np.concatenate([fk for _, fk in kept]) if kept else np.empty(0)
    out1, out2 = np.zeros((len(tables), len(scales))), np.zeros((len(tables), len(scales)))
    _screen(y1, y2, float(x0), float(step), np.ascontiguousarray(d, dtype=np.float64),
            np.ascontiguousarray(f2m, dtype=np.float64), starts, scales, float(wavelength), float(wavelength2),
            float(ratio2), float(fwhm), out1, out2)  # fmt: skip
    return out1, out2


def _strong(table, wavelength: float, min_intensity: float) -> tuple[NDArray, NDArray]:
    """(d, f2m) of the reflections of ``table`` at least ``min_intensity`` of its strongest
    (intensity with the Lorentz-polarisation factor of the unstrained cell at ``wavelength``), d
    descending (the kernel stops at the first reflection beyond the scan)."""
    from pymatgen_ml_xrd.phases.references import lorentz_polarisation

    order = np.argsort(-table.d, kind="stable")
    d, f2m = table.d[order], table.f2m[order]
    if len(d) == 0 or min_intensity <= 0:
        return d, f2m
    sin_t = np.clip(wavelength / (2.0 * d), 0.0, 0.9999)
    intensity = f2m * lorentz_polarisation(2.0 * np.degrees(np.arcsin(sin_t)))
    keep = intensity >= min_intensity * intensity.max()
    return d[keep], f2m[keep]
