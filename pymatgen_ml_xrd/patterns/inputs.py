"""Turn what users pass to predict() or fit() into rows on a model's 2-theta grid.

Accepted: Diffractogram (any grid, any wavelength: converted through d-spacing), pymatgen
DiffractionPattern (peaks: rendered with Gaussians), pymatgen Structure (simulated), an (x, y) or
(x, y, wavelength) tuple, an array already on the model grid (1-D or 2-D), or a list of these.
The part of the model grid outside the measured range is set to zero (masked).
With ``offset_negative`` (measured scans that were background-subtracted or are noisy near
zero), a pattern with negative intensities is raised by its most negative value first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pymatgen.analysis.diffraction.core import DiffractionPattern
from pymatgen.core import IStructure

from pymatgen_ml_xrd.diffraction import Diffractogram, XRDCalculator
from pymatgen_ml_xrd.errors import InvalidInputTypeError, InvalidParameterError

__all__ = ["measured_looking", "patterns_on_grid"]

#: a pattern whose 10th-percentile intensity exceeds this share of its maximum has a background
#: (measured scans: every refined_xy, autoanalyzer and precursor-mixture scan, 60 % of the
#: pdCIF scans, 44 % of the background-subtracted RRUFF scans; this package's simulated
#: patterns, Gaussian or pseudo-Voigt, stay below 1e-4)
BASELINE_SHARE = 0.003


def _check_row(y: NDArray, what: str) -> None:
    if not np.isfinite(y).all():
        raise InvalidParameterError(f"{what} contains NaN or inf intensities")
    if (y < 0).any():
        raise InvalidParameterError(f"{what} has negative intensities (subtract the background differently)")
    if not (y > 0).any():
        raise InvalidParameterError(f"{what} is all zero on the model's 2-theta range")


def _offset(y: NDArray, offset_negative: bool) -> NDArray:
    if offset_negative and np.isfinite(y).all() and len(y) and y.min() < 0:
        return y - y.min()
    return y


def measured_looking(data) -> list[int]:
    """Indices of the items of ``data`` (as :func:`patterns_on_grid` takes it) whose intensities
    have a background: their 10th percentile above ``BASELINE_SHARE`` of their maximum.
    Structures and peak lists are never measured; unreadable items are left to
    :func:`patterns_on_grid` to report."""
    if isinstance(data, np.ndarray) and data.dtype != object:
        items = list(np.atleast_2d(data)) if np.ndim(data) <= 2 else []
    else:
        items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Diffractogram):
            y = item.y
        elif isinstance(item, tuple) and len(item) in (2, 3):
            y = item[1]
        elif isinstance(item, np.ndarray) and item.dtype != object:
            y = item
        else:
            continue
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if y.ndim == 1 and y.size > 10 and np.isfinite(y).all() and y.max() > 0:
            if np.percentile(y, 10) > BASELINE_SHARE * y.max():
                out.append(i)
    return out


def _resample(x: NDArray, y: NDArray, wavelength: float, grid: NDArray, grid_wavelength: float, what: str,
              offset_negative: bool = False) -> NDArray:
    x = np.asarray(x, dtype=np.float64)
    y = _offset(np.asarray(y, dtype=np.float64), offset_negative)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise InvalidParameterError(f"{what}: x and y must be 1-D of equal length >= 2, got {x.shape} and {y.shape}")
    if not np.isfinite(x).all() or not (np.diff(x) > 0).all():
        raise InvalidParameterError(f"{what}: 2-theta values must be finite and strictly ascending")
    if wavelength != grid_wavelength:  # same d-spacing: sin(theta') = sin(theta) * lambda' / lambda
        s = np.sin(np.radians(x / 2)) * grid_wavelength / wavelength
        keep = s < 1
        x, y = 2 * np.degrees(np.arcsin(s[keep])), y[keep]
    _check_row(y, what)
    out = np.interp(grid, x, y, left=0.0, right=0.0)  # outside the measured range: masked to 0
    _check_row(out, what)
    return out


def patterns_on_grid(data, grid: NDArray, wavelength: float, calculator: XRDCalculator | None = None,
                     crystallite_size: float = 50.0, offset_negative: bool = False) -> NDArray[np.float64]:
    """(n, len(grid)) float64 patterns on ``grid`` [deg] at ``wavelength`` [angstrom].

    Structures are simulated by ``calculator`` (default: one at ``wavelength``; its wavelength
    must be ``wavelength``) with Gaussian Scherrer peaks of ``crystallite_size`` [nm]; peak lists
    (pymatgen DiffractionPatterns, given at ``wavelength``) are broadened the same way by the
    calculator's profile kernel.

    ``offset_negative``: raise patterns with negative intensities by their minimum instead of
    refusing them (for measured scans that go on to background removal).

    Raises:
        InvalidParameterError: wrong shapes, NaN, negative or all-zero patterns (the message names
            the item), TypeError: unsupported objects.
    """
    if isinstance(data, np.ndarray) and data.dtype != object:
        rows = np.atleast_2d(np.asarray(data, dtype=np.float64))
        if rows.ndim == 2:
            rows = np.stack([_offset(r, offset_negative) for r in rows]) if len(rows) else rows
        if rows.ndim != 2 or rows.shape[1] != len(grid):
            raise InvalidParameterError(
                f"an array must be on the model grid of {len(grid)} points ({grid[0]:g}-{grid[-1]:g} deg); got shape "
                f"{np.shape(data)}. Pass a Diffractogram or an (x, y) tuple to resample another grid"
            )
        for i, row in enumerate(rows):
            _check_row(row, f"pattern {i}")
        return rows
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InvalidParameterError("no patterns given")
    if calculator is not None and abs(calculator.wavelength - wavelength) > 1e-4 * wavelength:
        raise InvalidParameterError(f"the calculator's wavelength {calculator.wavelength} A is not the grid's "
                                    f"{wavelength} A")  # fmt: skip
    out = np.empty((len(items), len(grid)))
    step = float(grid[1] - grid[0])
    for i, item in enumerate(items):
        what = f"item {i} ({type(item).__name__})"
        if isinstance(item, Diffractogram):
            out[i] = _resample(item.x, item.y, item.wavelength, grid, wavelength, what, offset_negative)
        elif isinstance(item, DiffractionPattern):
            out[i] = _render_peaks(item, grid, wavelength, step, crystallite_size, what)
        elif isinstance(item, IStructure):
            if calculator is None:  # one calculator for all the structures of this call
                calculator = XRDCalculator(wavelength)
            out[i] = calculator.get_diffractogram(item, two_theta_range=(float(grid[0]), float(grid[-1])), step=step,
                                            crystallite_size=crystallite_size).y
        elif isinstance(item, tuple) and len(item) in (2, 3):
            lam = _tuple_wavelength(item[2], what) if len(item) == 3 else wavelength
            out[i] = _resample(item[0], item[1], lam, grid, wavelength, what, offset_negative)
        elif isinstance(item, np.ndarray) and item.shape == (len(grid),):
            row = _offset(item.astype(np.float64), offset_negative)
            _check_row(row, what)
            out[i] = row
        else:
            raise InvalidInputTypeError(
                f"{what}: expected a Diffractogram, DiffractionPattern, Structure, (x, y[, wavelength]) tuple or an "
                f"array of {len(grid)} points"
            )
    return out


def _tuple_wavelength(value, what: str) -> float:
    """The wavelength [angstrom] of an (x, y, wavelength) tuple: a number or a radiation name."""
    from pymatgen_ml_xrd.diffraction.wavelengths import resolve_wavelength

    try:
        return float(resolve_wavelength(value)[0])
    except (InvalidParameterError, InvalidInputTypeError, TypeError, ValueError) as err:
        raise InvalidParameterError(f"{what}: the wavelength {value!r} is neither angstrom nor a radiation name "
                                    f"({err})") from None  # fmt: skip


def _render_peaks(pattern: DiffractionPattern, grid, wavelength, step, size_nm, what) -> NDArray:
    """Gaussian (Scherrer) rendering of a peak list given at the model's wavelength, by the
    calculator's profile kernel (area-normalised peaks cut at 4 FWHM)."""
    from pymatgen_ml_xrd.diffraction.dense_kernels import PROFILE_GAUSSIAN, peak_fwhm
    from pymatgen_ml_xrd.diffraction.reflection_kernels import render_profiles

    x = np.asarray(pattern.x, dtype=np.float64)
    y = np.asarray(pattern.y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or len(x) == 0:
        raise InvalidParameterError(f"{what} has no peaks")
    _check_row(y, what)
    if not (np.isfinite(x).all() and ((x > 0) & (x < 180)).all()):
        raise InvalidParameterError(f"{what}: peak positions must lie in (0, 180) deg")
    fwhm = peak_fwhm(x, float(wavelength), PROFILE_GAUSSIAN, 0.9, float(size_nm) * 10.0, 0.0, 0.0, 0.0)
    out = np.zeros(len(grid))
    render_profiles(out, float(grid[0]), float(step), x, y, fwhm, 0.0, 4.0, 4.0)
    _check_row(out, what)
    return out
