"""Distances and peak matching between two powder patterns on the same 2-theta grid.

Paper 004 (DeepXRD) eqs. 1-5: MSE, MSLE, cosine, Pearson and Jensen-Shannon distances, plus
dynamic time warping (DTW); and the peak-position match of its section 3: peaks are local maxima
of at least 10% of the pattern maximum, peaks closer than 2 deg are merged into the largest, and a
true peak counts as found when a predicted peak lies within 2 deg. The paper reports the recall of
that match ("match percentage": ABC3 0.68, ternaries 0.63); precision and F1 are added here so
that a prediction cannot win by putting peaks everywhere.

Every function takes 1-D arrays (one pattern each) or 2-D arrays (one pattern per row) of the same
shape; distances are 0 for identical patterns. Patterns are used as given: MSE and MSLE depend on
the intensity scale (the paper's patterns have a maximum of 100), the others do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import find_peaks
from scipy.special import rel_entr

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = [
    "PeakMatch",
    "cosine_distance",
    "dtw_distance",
    "find_pattern_peaks",
    "jensen_shannon_distance",
    "mse",
    "msle",
    "pattern_distances",
    "peak_match",
    "pearson_distance",
    "pearson_score",
]  # fmt: skip


def _pair(s: ArrayLike, t: ArrayLike, nonnegative: bool = False) -> tuple[NDArray, NDArray]:
    a, b = np.asarray(s, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if a.shape != b.shape:
        raise InvalidParameterError(f"patterns must have the same shape, got {a.shape} and {b.shape}")
    if a.ndim not in (1, 2) or a.shape[-1] < 2:
        raise InvalidParameterError(f"patterns must be 1-D or 2-D arrays of at least 2 points, got shape {a.shape}")
    for name, x in (("first", a), ("second", b)):
        if not np.isfinite(x).all():
            raise InvalidParameterError(f"the {name} pattern contains NaN or infinite values")
        if nonnegative and (x < 0).any():
            raise InvalidParameterError(f"the {name} pattern has negative intensities")
    return a, b


def _unflatten(value: NDArray, ndim: int):
    return float(value) if ndim == 1 else value


def mse(s: ArrayLike, t: ArrayLike) -> float | NDArray:
    """Mean squared error (paper 004 eq. 1), in squared intensity units."""
    a, b = _pair(s, t)
    return _unflatten(np.mean((a - b) ** 2, axis=-1), a.ndim)


def msle(s: ArrayLike, t: ArrayLike) -> float | NDArray:
    """Mean squared logarithmic error, mean of (log(s + 1) - log(t + 1))^2 (eq. 2); s, t >= 0."""
    a, b = _pair(s, t, nonnegative=True)
    return _unflatten(np.mean((np.log1p(a) - np.log1p(b)) ** 2, axis=-1), a.ndim)


def _correlation_distance(a: NDArray, b: NDArray) -> NDArray:
    na, nb = np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = 1.0 - np.sum(a * b, axis=-1) / (na * nb)
    # a flat pattern has no direction: it is as far from everything as an orthogonal one
    return np.where((na == 0) | (nb == 0), 1.0, d)


def cosine_distance(s: ArrayLike, t: ArrayLike) -> float | NDArray:
    """1 - cosine similarity (eq. 3); 0 for proportional patterns, 1 for orthogonal ones."""
    a, b = _pair(s, t)
    return _unflatten(_correlation_distance(a, b), a.ndim)


def pearson_distance(s: ArrayLike, t: ArrayLike) -> float | NDArray:
    """1 - Pearson correlation (eq. 4), in [0, 2]; a constant pattern counts as uncorrelated (1)."""
    a, b = _pair(s, t)
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    return _unflatten(_correlation_distance(a, b), a.ndim)



def pearson_score(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Mean Pearson correlation of predicted and true patterns, rows (n, n_points) or one pattern
    (1 is perfect); usable as ``sklearn.metrics.make_scorer(pearson_score)``."""
    d = np.atleast_1d(pearson_distance(y_pred, y_true))
    return float(np.average(1.0 - d, weights=sample_weight))

def jensen_shannon_distance(s: ArrayLike, t: ArrayLike) -> float | NDArray:
    """Jensen-Shannon divergence (eq. 5, natural log) of the patterns normalised to unit sum.

    In [0, ln 2]; s, t >= 0 and not all zero.
    """
    a, b = _pair(s, t, nonnegative=True)
    sa, sb = a.sum(axis=-1, keepdims=True), b.sum(axis=-1, keepdims=True)
    if (sa == 0).any() or (sb == 0).any():
        raise InvalidParameterError("Jensen-Shannon distance needs patterns with some intensity (all zeros given)")
    p, q = a / sa, b / sb
    m = 0.5 * (p + q)
    return _unflatten(0.5 * rel_entr(p, m).sum(axis=-1) + 0.5 * rel_entr(q, m).sum(axis=-1), a.ndim)


@numba.njit(cache=True, nogil=True)
def _dtw_kernel(a: NDArray, b: NDArray, window: int) -> float:  # pragma: no cover - numba
    n, m = a.shape[0], b.shape[0]
    inf = np.inf
    prev = np.full(m + 1, inf)
    cur = np.full(m + 1, inf)
    prev[0] = 0.0
    for i in range(1, n + 1):
        cur[:] = inf
        lo = max(1, i - window)
        hi = min(m, i + window)
        for j in range(lo, hi + 1):
            cost = abs(a[i - 1] - b[j - 1])
            best = prev[j - 1]
            best = min(best, prev[j])
            best = min(best, cur[j - 1])
            cur[j] = cost + best
        prev, cur = cur, prev
    return prev[m]


def dtw_distance(s: ArrayLike, t: ArrayLike, window: int | None = None) -> float | NDArray:
    """Dynamic time warping distance: least total |s_i - t_j| along a monotone alignment.

    Args:
        window: Sakoe-Chiba band half-width in grid points (the largest peak shift allowed);
            None aligns freely. With a step of 0.083 deg, ``window=24`` allows 2 deg.

    Written as a small numba kernel rather than taken from tslearn/dtaidistance: one O(n*window)
    loop does not justify another compiled dependency.
    """
    a, b = _pair(s, t)
    n = a.shape[-1]
    if window is None:
        w = n
    elif isinstance(window, (int, np.integer)) and not isinstance(window, bool) and window >= 0:
        w = int(window)
    else:
        raise InvalidParameterError(f"window must be a non-negative number of grid points or None, got {window!r}")
    rows_a, rows_b = np.atleast_2d(a), np.atleast_2d(b)
    out = np.array([_dtw_kernel(np.ascontiguousarray(x), np.ascontiguousarray(y), w)
                    for x, y in zip(rows_a, rows_b)])  # fmt: skip
    return _unflatten(out if a.ndim == 2 else out[0], a.ndim)


def pattern_distances(s: ArrayLike, t: ArrayLike, dtw_window: int | None = None) -> dict[str, float | NDArray]:
    """All distances of this module at once: ``{"mse", "msle", "cosine", "pearson", "jsd", "dtw"}``."""
    return {
        "mse": mse(s, t), "msle": msle(s, t), "cosine": cosine_distance(s, t),
        "pearson": pearson_distance(s, t), "jsd": jensen_shannon_distance(s, t),
        "dtw": dtw_distance(s, t, window=dtw_window),
    }  # fmt: skip


def find_pattern_peaks(two_theta: ArrayLike, y: ArrayLike, min_height: float = 0.1,
                       merge_within: float = 2.0) -> NDArray[np.float64]:
    """Peak positions [deg] of one pattern, after paper 004.

    Local maxima (scipy.signal.find_peaks) of at least ``min_height`` times the pattern maximum;
    then, from the highest down, a peak closer than ``merge_within`` [deg] to a higher kept peak is
    merged into it. Returns the kept positions in increasing 2-theta (empty for a flat pattern).
    """
    x, yy = np.asarray(two_theta, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or yy.shape != x.shape:
        raise InvalidParameterError(f"two_theta and y must be 1-D arrays of one length, got {x.shape} and {yy.shape}")
    if not (np.isfinite(x).all() and np.isfinite(yy).all()):
        raise InvalidParameterError("two_theta and y must be finite")
    if not (0 < min_height <= 1) or merge_within < 0:
        raise InvalidParameterError(f"need 0 < min_height <= 1 and merge_within >= 0, got {min_height}, {merge_within}")
    top = yy.max()
    if top <= 0:
        return np.empty(0)
    idx, _ = find_peaks(yy, height=min_height * top)
    # a maximum on the first or last point is a peak too (find_peaks skips the ends)
    ends = [i for i in (0, len(yy) - 1) if yy[i] >= min_height * top
            and yy[i] > yy[1 if i == 0 else len(yy) - 2]]  # fmt: skip
    idx = np.concatenate([idx, np.array(ends, dtype=np.intp)])
    kept: list[float] = []
    for i in idx[np.argsort(-yy[idx], kind="stable")]:
        if all(abs(x[i] - k) >= merge_within for k in kept):
            kept.append(float(x[i]))
    return np.sort(np.array(kept))


@dataclass(frozen=True)
class PeakMatch:
    """Peak-position agreement of a predicted with a true pattern (see :func:`peak_match`)."""

    recall: float  #: share of true peaks with a predicted peak within the tolerance
    precision: float  #: share of predicted peaks with a true peak within the tolerance
    f1: float
    n_true: int
    n_predicted: int


def peak_match(two_theta: ArrayLike, true: ArrayLike, predicted: ArrayLike, tolerance: float = 2.0,
               min_height: float = 0.1, merge_within: float = 2.0) -> PeakMatch:
    """Peak-position match of paper 004 between a true and a predicted pattern on one grid.

    ``tolerance`` [deg]: a true peak is found when a predicted peak lies within it (the paper's
    recall, "match percentage"), and a predicted peak is right when a true peak lies within it.
    A pattern without peaks gives recall (or precision) 0.
    """
    t = find_pattern_peaks(two_theta, true, min_height, merge_within)
    p = find_pattern_peaks(two_theta, predicted, min_height, merge_within)
    if len(t) == 0 or len(p) == 0:
        return PeakMatch(0.0, 0.0, 0.0, len(t), len(p))
    gap = np.abs(t[:, None] - p[None, :])
    recall = float(np.mean(gap.min(axis=1) <= tolerance))
    precision = float(np.mean(gap.min(axis=0) <= tolerance))
    f1 = 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)
    return PeakMatch(recall, precision, f1, len(t), len(p))


def pattern_scores(two_theta: ArrayLike, true: ArrayLike, predicted: ArrayLike, dtw_window: int | None = None,
                   tolerance: float = 2.0) -> dict[str, NDArray]:
    """Per-pattern distances and peak match for rows of ``true`` and ``predicted`` (n, n_points).

    Keys: mse, msle, cosine, pearson, jsd, dtw, and peak_recall, peak_precision, peak_f1.
    """
    t, p = _pair(np.atleast_2d(true), np.atleast_2d(predicted), nonnegative=True)
    out = {k: np.atleast_1d(v) for k, v in pattern_distances(t, p, dtw_window=dtw_window).items()}
    return {**out, **peak_scores(two_theta, t, p, tolerance)}


def peak_scores(two_theta: ArrayLike, true: ArrayLike, predicted: ArrayLike, tolerance: float = 2.0) -> dict[str, NDArray]:
    """Per-pattern ``peak_recall``, ``peak_precision``, ``peak_f1`` (:func:`peak_match`) of rows
    (n, n_points), without the distances (cheap enough to scan many settings)."""
    t, p = _pair(np.atleast_2d(true), np.atleast_2d(predicted), nonnegative=True)
    matches = [peak_match(two_theta, a, b, tolerance=tolerance) for a, b in zip(t, p)]
    return {
        "peak_recall": np.array([m.recall for m in matches]),
        "peak_precision": np.array([m.precision for m in matches]),
        "peak_f1": np.array([m.f1 for m in matches]),
    }


def evaluate_patterns(two_theta: ArrayLike, true: ArrayLike, predicted: ArrayLike, dtw_window: int | None = None,
                      tolerance: float = 2.0) -> dict[str, float]:
    """Means over patterns of :func:`pattern_scores`, plus ``n``."""
    scores = pattern_scores(two_theta, true, predicted, dtw_window, tolerance)
    return {"n": len(scores["mse"]), **{k: float(np.mean(v)) for k, v in scores.items()}}
