"""Background removal for measured diffractograms, a model-input step (see :mod:`.pipeline`).

Measured scans sit on a background (air scatter, fluorescence, sample holder, amorphous
content) that simulated patterns lack. :func:`remove_background` subtracts an estimate row by
row, on the measured span of each row only (the part of a model grid outside the measured
2-theta range is zero and stays zero), and clips at zero. The estimate comes from pybaselines
(a maintained library of the standard algorithms) rather than hand-written code:

- ``"snip"``: statistics-sensitive non-linear iterative peak clipping (Ryan et al. 1988), window
  ``window`` [deg 2-theta] — fast (~2 ms for 2,000 points) and the default;
- ``"arpls"``: asymmetrically reweighted penalised least squares (Baek et al. 2015), an
  asymmetric-least-squares method whose stiffness follows ``window`` (slower, ~10 ms, and
  less sure within a couple of degrees of a scan's ends);
- ``"none"``: rows unchanged.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["BACKGROUND_METHODS", "remove_background", "check_background"]

BACKGROUND_METHODS = ("none", "snip", "arpls")


def check_background(method: str, window: float) -> None:
    """Raise :class:`InvalidParameterError` for an unknown method or a non-positive window [deg]."""
    if method not in BACKGROUND_METHODS:
        raise InvalidParameterError(f"background must be one of {BACKGROUND_METHODS}, got {method!r}")
    if not (isinstance(window, (int, float)) and np.isfinite(window) and window > 0):
        raise InvalidParameterError(f"background_window must be a positive number of degrees, got {window!r}")


def remove_background(rows: NDArray, step: float, method: str = "snip", window: float = 3.0) -> NDArray[np.float32]:
    """Rows (n, n_points) minus their background estimates, clipped at 0.

    Args:
        rows: patterns on a uniform grid; zeros at either end are treated as not measured.
        step: grid step [deg].
        method: one of :data:`BACKGROUND_METHODS`.
        window: the widest feature [deg 2-theta] still treated as a peak, not as background
            (SNIP's half window is half of it).
    """
    check_background(method, window)
    out = np.array(rows, dtype=np.float64, ndmin=2)
    if method == "none":
        return out.astype(np.float32)
    if not step > 0:
        raise InvalidParameterError(f"step must be positive, got {step!r}")
    from pybaselines import Baseline

    half = max(int(round(window / 2 / step)), 1)
    for i, row in enumerate(out):
        nonzero = np.flatnonzero(row)
        if len(nonzero) < 3:
            continue
        lo, hi = nonzero[0], nonzero[-1] + 1
        span = row[lo:hi]
        fitter = Baseline(np.arange(len(span), dtype=np.float64))
        if method == "snip":
            baseline, _ = fitter.snip(span, max_half_window=min(half, (len(span) - 1) // 2))
        else:  # arpls: smoothness penalty = (half window in points)^2, chosen on broad humps vs 0.1-0.3 deg peaks
            baseline, _ = fitter.arpls(span, lam=float(half) ** 2)
        out[i, lo:hi] = np.clip(span - baseline, 0.0, None)
    return out.astype(np.float32)
