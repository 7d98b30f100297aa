"""Screening: every reference against a scan, with its lattice scaled, in one numba kernel.

For each reference and each isotropic lattice scale s (d -> s d), the kernel renders the
reference's reflections (Gaussian peaks of one width, K-alpha2 included when the scan has it,
intensities |F|^2 m times the Lorentz-polarisation factor at the moved angle) onto the scan's
grid and scores the match as the cosine between the square roots of the two patterns
(square roots weigh weak peaks up, as an analyst's eye does). The kernel sees only arrays:
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
def _screen(y, x0, step, d, f2m, starts, scales, lam1, lam2, ratio2, fwhm, power, out):
    n = y.shape[0]
    buf = np.zeros(n)
    sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    half = int(math.ceil(2.5 * fwhm / step))
    x_end = x0 + (n - 1) * step
    n_lines = 2 if ratio2 > 0.0 else 1
    for r in range(starts.shape[0] - 1):
        for si in range(scales.shape[0]):
            s = scales[si]
            lo_touch, hi_touch = n, -1
            for k in range(starts[r], starts[r + 1]):
                dk = d[k] * s
                for line in range(n_lines):
                    lam = lam1 if line == 0 else lam2
                    sin_t = lam / (2.0 * dk)
                    if sin_t >= 1.0:
                        continue
                    theta = math.asin(sin_t)
                    tt = 2.0 * math.degrees(theta)
                    if tt < x0 - 3.0 * fwhm or tt > x_end + 3.0 * fwhm:
                        continue
                    c2 = math.cos(2.0 * theta)
                    lp = (1.0 + c2 * c2) / (sin_t * sin_t * math.cos(theta))
                    area = f2m[k] * lp * (1.0 if line == 0 else ratio2)
                    amp = area / (sigma * math.sqrt(2.0 * math.pi))
                    centre = int(round((tt - x0) / step))
                    a = max(centre - half, 0)
                    b = min(centre + half, n - 1)
                    for i in range(a, b + 1):
                        dx = x0 + i * step - tt
                        buf[i] += amp * math.exp(-0.5 * dx * dx / (sigma * sigma))
                    if a < lo_touch:
                        lo_touch = a
                    if b > hi_touch:
                        hi_touch = b
            dot, total = 0.0, 0.0
            for i in range(lo_touch, hi_touch + 1):
                v = buf[i]
                if v > 0.0:
                    vp = math.sqrt(v) if power == 0.5 else v ** power
                    dot += vp * y[i]
                    total += vp * vp
                buf[i] = 0.0
            out[r, si] = dot / math.sqrt(total) if total > 0.0 else 0.0


def screen_scores(y: NDArray, x0: float, step: float, tables: list, scales: NDArray, wavelength: float,
                  wavelength2: float = 0.0, ratio2: float = 0.0, fwhm: float = 0.1, power: float = 0.5
                  ) -> NDArray[np.float64]:  # fmt: skip
    """(n_references, n_scales) cosine scores in [0, 1] of ``tables`` against the scan ``y``.

    Args:
        y: (n,) background-free scan on the uniform grid x0 + i step [deg], non-negative.
        tables: :class:`~pymatgen_ml_xrd.phases.references.PeakTable` per reference.
        scales: isotropic lattice scale factors (d -> s d), e.g. 0.97-1.03.
        wavelength, wavelength2, ratio2: K-alpha1 [angstrom] and, for a doublet, K-alpha2 and
            its intensity ratio (0: no second line).
        fwhm: Gaussian width of the rendered peaks [deg].
        power: both patterns are raised to it before the cosine (0.5: square roots; 1: as they are).
    """
    y = np.ascontiguousarray(y, dtype=np.float64)
    scales = np.ascontiguousarray(scales, dtype=np.float64)
    if y.ndim != 1 or len(y) < 10 or not np.isfinite(y).all() or (y < 0).any():
        raise InvalidParameterError("the screened scan must be a finite, non-negative 1-D array of >= 10 points")
    if not (step > 0 and fwhm > 0 and wavelength > 0) or scales.ndim != 1 or not (scales > 0).all():
        raise InvalidParameterError("screening needs a positive step, width, wavelength and lattice scales")
    y_power = y**power
    norm = math.sqrt(float(np.sum(y_power**2)))
    if norm == 0:
        raise InvalidParameterError("the scan has no intensity above its background")
    y_power = y_power / norm
    lengths = np.array([len(t.d) for t in tables], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    d = np.concatenate([t.d for t in tables]) if len(tables) else np.empty(0)
    f2m = np.concatenate([t.f2m for t in tables]) if len(tables) else np.empty(0)
    out = np.zeros((len(tables), len(scales)))
    _screen(y_power, float(x0), float(step), np.ascontiguousarray(d, dtype=np.float64),
            np.ascontiguousarray(f2m, dtype=np.float64), starts, scales, float(wavelength), float(wavelength2),
            float(ratio2), float(fwhm), float(power), out)  # fmt: skip
    return out
