"""Pattern distances (paper 004 eqs. 1-5, DTW) and the peak-position match."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.patterns.metrics import (
    cosine_distance,
    dtw_distance,
    evaluate_patterns,
    find_pattern_peaks,
    jensen_shannon_distance,
    mse,
    msle,
    pattern_distances,
    peak_match,
    pearson_distance,
)

X = np.linspace(5, 90, 1024)


def gauss(*centres, heights=None, width=0.3):
    heights = heights or [1.0] * len(centres)
    return sum(h * np.exp(-0.5 * ((X - c) / width) ** 2) for c, h in zip(centres, heights))


def test_identical_patterns_are_at_distance_zero():
    s = gauss(20, 33, 61)
    for name, d in pattern_distances(s, s.copy(), dtw_window=10).items():
        assert d == pytest.approx(0.0, abs=1e-12), name


def test_distances_against_hand_values():
    a, b = np.array([1.0, 0.0, 3.0]), np.array([0.0, 2.0, 1.0])
    assert mse(a, b) == pytest.approx((1 + 4 + 4) / 3)
    assert msle(a, b) == pytest.approx(np.mean((np.log([2, 1, 4]) - np.log([1, 3, 2])) ** 2))
    assert cosine_distance(a, b) == pytest.approx(1 - 3 / (math.sqrt(10) * math.sqrt(5)))
    assert pearson_distance(a, -a) == pytest.approx(2.0)
    assert pearson_distance(a, 3 * a + 7) == pytest.approx(0.0)
    assert cosine_distance([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    # disjoint supports: the Jensen-Shannon divergence reaches its maximum ln 2
    assert jensen_shannon_distance([1.0, 0.0], [0.0, 5.0]) == pytest.approx(math.log(2))
    assert jensen_shannon_distance(a, 2 * a) == pytest.approx(0.0, abs=1e-12)


def test_rows_are_scored_separately():
    s = np.stack([gauss(20), gauss(40)])
    t = np.stack([gauss(20), gauss(60)])
    d = pearson_distance(s, t)
    assert d.shape == (2,) and d[0] == pytest.approx(0) and d[1] > 0.9


def _dtw_reference(a, b, window):
    n, m = len(a), len(b)
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(max(1, i - window), min(m, i + window) + 1):
            cost[i, j] = abs(a[i - 1] - b[j - 1]) + min(cost[i - 1, j - 1], cost[i - 1, j], cost[i, j - 1])
    return cost[n, m]


@pytest.mark.parametrize("window", [0, 2, 5, 40])
def test_dtw_matches_the_textbook_recursion(window):
    rng = np.random.default_rng(window)
    a, b = rng.random(40), rng.random(40)
    assert dtw_distance(a, b, window=window) == pytest.approx(_dtw_reference(a, b, window))
    if window == 0:  # no warping: the L1 distance
        assert dtw_distance(a, b, window=0) == pytest.approx(np.abs(a - b).sum())


def test_dtw_forgives_a_shift_that_the_band_allows():
    s, t = gauss(30), gauss(31)  # 1 deg = 12 grid points
    assert dtw_distance(s, t, window=20) < 0.05 * dtw_distance(s, t, window=0)


def test_peaks_threshold_and_merging():
    y = gauss(20, 21.5, 40, 70, heights=[1.0, 0.6, 0.5, 0.05])
    # 21.5 is merged into 20 (closer than 2 deg), 70 is below 10% of the maximum
    np.testing.assert_allclose(find_pattern_peaks(X, y), [20, 40], atol=0.05)
    np.testing.assert_allclose(find_pattern_peaks(X, y, merge_within=1.0), [20, 21.5, 40], atol=0.05)
    assert find_pattern_peaks(X, np.zeros_like(X)).size == 0
    # a pattern that is highest on its first point has a peak there
    assert find_pattern_peaks(X, np.exp(-(X - 5)))[0] == pytest.approx(5.0)


def test_peak_match_recall_precision_f1():
    true = gauss(20, 40, 60)
    pred = gauss(21, 41.5, 80, 85)
    m = peak_match(X, true, pred)
    assert (m.n_true, m.n_predicted) == (3, 4)
    assert m.recall == pytest.approx(2 / 3)
    assert m.precision == pytest.approx(2 / 4)
    assert m.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert peak_match(X, true, true).f1 == 1.0
    assert peak_match(X, true, np.zeros_like(X)).recall == 0.0


def test_evaluate_patterns_averages_rows():
    true = np.stack([gauss(20, 40), gauss(30)])
    pred = np.stack([gauss(20, 40), gauss(60)])
    out = evaluate_patterns(X, true, pred, dtw_window=24)
    assert out["n"] == 2
    assert out["peak_recall"] == pytest.approx(0.5)
    assert out["pearson"] == pytest.approx(pearson_distance(true, pred).mean())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mse([1.0, 2.0], [1.0, 2.0, 3.0]), "same shape"),
        (lambda: pearson_distance([1.0, np.nan], [1.0, 2.0]), "NaN"),
        (lambda: msle([1.0, -2.0], [1.0, 2.0]), "negative"),
        (lambda: jensen_shannon_distance([0.0, 0.0], [1.0, 2.0]), "all zeros"),
        (lambda: dtw_distance([1.0, 2.0], [1.0, 2.0], window=-1), "window"),
        (lambda: mse([1.0], [1.0]), "at least 2 points"),
        (lambda: find_pattern_peaks(X, X[:10]), "one length"),
    ],
)
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(InvalidParameterError, match=message):
        call()
