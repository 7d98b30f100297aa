"""Stick patterns smoothed with one fixed Gaussian width onto any uniform 2-theta grid.

Paper 004 samples every computed pattern with "a Gaussian smoothing procedure" onto 1,024
points; a width that does not depend on angle or crystallite size keeps the targets of a
composition-to-pattern model free of sample effects. Unlike :meth:`XRDCalculator.get_diffractogram`
the grid may span the full 0-180 deg and have any number of points.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from pymatgen.core import IStructure

from pymatgen_ml_xrd.diffraction.calculator import XRDCalculator
from pymatgen_ml_xrd.errors import InvalidParameterError, InvalidStructureError

__all__ = ["smooth_sticks", "smoothed_patterns", "uniform_grid"]


def uniform_grid(two_theta_range: tuple[float, float], n_points: int) -> NDArray[np.float64]:
    """``n_points`` equally spaced 2-theta values [deg] from start to stop inclusive, in [0, 180]."""
    try:
        lo, hi = (float(v) for v in two_theta_range)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"two_theta_range must be a (start, stop) pair, got {two_theta_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi <= 180):
        raise InvalidParameterError(f"two_theta_range must satisfy 0 <= start < stop <= 180 deg, got {two_theta_range!r}")
    if not isinstance(n_points, (int, np.integer)) or isinstance(n_points, bool) or n_points < 2:
        raise InvalidParameterError(f"n_points must be an integer >= 2, got {n_points!r}")
    return np.linspace(lo, hi, int(n_points))


def smooth_sticks(two_theta: NDArray, positions: NDArray, intensities: NDArray, fwhm: float) -> NDArray[np.float64]:
    """Sum of unit-height Gaussians of ``fwhm`` [deg] at ``positions`` [deg] with ``intensities``.

    Each peak is evaluated on the grid points within 5 standard deviations (exact to 4e-6 of the
    peak height). Returns an array on ``two_theta`` (not normalised).
    """
    x = np.asarray(two_theta, dtype=np.float64)
    if not (math.isfinite(fwhm) and fwhm > 0):
        raise InvalidParameterError(f"fwhm must be a positive width in deg, got {fwhm!r}")
    out = np.zeros(len(x))
    if len(positions) == 0:
        return out
    step = (x[-1] - x[0]) / (len(x) - 1)
    sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    half = math.ceil(5.0 * sigma / step) + 1
    centre = np.rint((np.asarray(positions) - x[0]) / step).astype(np.int64)
    idx = centre[:, None] + np.arange(-half, half + 1)[None, :]
    inside = (idx >= 0) & (idx < len(x))
    idx = np.clip(idx, 0, len(x) - 1)
    values = np.asarray(intensities)[:, None] * np.exp(-0.5 * ((x[idx] - np.asarray(positions)[:, None]) / sigma) ** 2)
    np.add.at(out, idx[inside], values[inside])
    return out


def smoothed_patterns(structures, two_theta_range: tuple[float, float] = (5.0, 90.0), n_points: int = 1024,
                      fwhm: float = 0.25, calculator: XRDCalculator | None = None) -> NDArray[np.float32]:
    """Gaussian-smoothed powder patterns of ``structures`` as an array (n, n_points), maxima 1.

    Args:
        structures: pymatgen Structures.
        two_theta_range: first and last grid point [deg], within [0, 180].
        n_points: grid points (paper 004: 1,024).
        fwhm: Gaussian full width at half maximum [deg].
        calculator: the XRDCalculator for the peaks (default: Cu K-alpha, pymatgen's default).

    Raises:
        InvalidStructureError: a structure without reflections in the range (named by index).
    """
    x = uniform_grid(two_theta_range, n_points)
    calc = calculator or XRDCalculator()
    structures = list(structures)
    out = np.empty((len(structures), len(x)), dtype=np.float32)
    margin = 3.0 * fwhm
    search = (max(0.0, x[0] - margin), min(180.0, x[-1] + margin))
    for i, s in enumerate(structures):
        if not isinstance(s, IStructure):
            raise InvalidStructureError(f"structure {i} is a {type(s).__name__}, not a pymatgen Structure")
        try:
            peaks = calc.get_pattern(s, scaled=False, two_theta_range=search)
        except (InvalidStructureError, InvalidParameterError) as err:
            raise type(err)(f"structure {i}: {err}") from None
        y = smooth_sticks(x, np.asarray(peaks.x), np.asarray(peaks.y), fwhm)
        if y.max() <= 0:
            raise InvalidStructureError(f"structure {i} has no reflection in 2-theta {x[0]:g}-{x[-1]:g} deg")
        out[i] = y / y.max()
    return out
