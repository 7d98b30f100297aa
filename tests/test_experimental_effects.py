"""Experimental effects on simulated diffractograms (paper 001 SI S4 and beyond)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects, gp_background
from pymatgen_ml_xrd.errors import InvalidParameterError

X = np.arange(5.0, 90.0 + 1e-9, 0.01)
NONE = dict(impurity_fraction=None, zero_shift=None, sample_displacement=None, background_length=None,
            hump_height=None, additive_noise=None, multiplicative_noise=None, peak_counts=None)  # fmt: skip


def peak(centre, width=0.05):
    return np.exp(-0.5 * ((X - centre) / width) ** 2)


def test_nothing_switched_on_changes_nothing():
    y = np.stack([peak(30), peak(50)])
    out = ExperimentalEffects(**NONE).apply(X, y, np.random.default_rng(0))
    np.testing.assert_allclose(out, y, atol=1e-6)


def test_same_seed_same_result_and_rows_differ():
    fx = ExperimentalEffects()
    y = np.stack([peak(30), peak(30)])
    imp = np.stack([peak(60), peak(60)])
    a = fx.apply(X, y, np.random.default_rng(7), impurities=imp)
    b = fx.apply(X, y, np.random.default_rng(7), impurities=imp)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[0], a[1]) and (a >= 0).all() and a.dtype == np.float32


def test_impurity_mixture_follows_equation_6():
    fx = ExperimentalEffects(**{**NONE, "impurity_fraction": (0.05, 0.05)})
    out = fx.apply(X, peak(30)[None], np.random.default_rng(0), impurities=peak(60)[None])
    np.testing.assert_allclose(out[0], 0.95 * peak(30) + 0.05 * peak(60), atol=1e-6)
    with pytest.raises(InvalidParameterError, match="pass impurities"):
        fx.apply(X, peak(30)[None], np.random.default_rng(0))


def test_zero_shift_and_displacement_move_peaks():
    fx = ExperimentalEffects(**{**NONE, "zero_shift": (0.0, 0.1)})
    rng = np.random.default_rng(3)
    expected = np.random.default_rng(3).uniform(-0.1, 0.1)
    out = fx.apply(X, peak(40)[None], rng)
    assert X[out[0].argmax()] - 40 == pytest.approx(expected, abs=0.006)
    # displacement: the shift shrinks with angle as cos(theta)
    fx = ExperimentalEffects(**{**NONE, "sample_displacement": (0.0, 0.2)})
    y = np.stack([peak(20) + peak(80)])
    s = np.random.default_rng(5).uniform(-0.2, 0.2)
    out = fx.apply(X, y, np.random.default_rng(5))[0]
    for centre in (20, 80):
        window = np.abs(X - centre) < 1
        moved = X[window][out[window].argmax()] - centre
        assert moved == pytest.approx(-math.degrees(2 * s / 240) * math.cos(math.radians(centre / 2)), abs=0.006)


def test_background_is_smooth_and_scaled_like_the_paper():
    b = gp_background(X, 20.0, np.random.default_rng(0))
    assert b.min() == pytest.approx(0.0, abs=1e-12) and b.sum() == pytest.approx(1.0)
    assert np.abs(np.diff(b, 2)).max() < 1e-6  # no kinks at the 1-deg lattice
    coarse = np.arange(5.0, 90.0 + 1e-9, 0.04)
    assert gp_background(coarse, 20.0, np.random.default_rng(0)).sum() == pytest.approx(len(coarse) / 8501)
    fx = ExperimentalEffects(**{**NONE, "background_length": (7.0, 40.0)})
    out = fx.apply(X, np.zeros((200, len(X))), np.random.default_rng(1))
    totals = out.sum(axis=1)
    assert totals.max() <= 150 + 1e-3 and 40 < totals.mean() < 80  # half-normal(75) on [0, 150]: mean ~ 53


def test_noise_levels():
    fx = ExperimentalEffects(**{**NONE, "additive_noise": (0.02, 0.02)})
    out = fx.apply(X, np.full((1, len(X)), 0.5), np.random.default_rng(0))
    assert out.std() == pytest.approx(0.02, rel=0.05)
    fx = ExperimentalEffects(**{**NONE, "peak_counts": (100.0, 100.0)})
    out = fx.apply(X, np.full((1, len(X)), 1.0), np.random.default_rng(0))
    assert out.std() == pytest.approx(0.1, rel=0.05)  # Poisson: sqrt(100) / 100


def test_paper_preset_and_bad_ranges():
    paper = ExperimentalEffects.paper()
    assert paper.zero_shift is None and paper.background_length == (7.0, 40.0)
    assert paper.to_dict()["additive_noise"] == (0.0, 0.02)
    with pytest.raises(InvalidParameterError, match="additive_noise"):
        ExperimentalEffects(additive_noise=(0.1, 0.0))
    with pytest.raises(InvalidParameterError, match="impurity_fraction"):
        ExperimentalEffects(impurity_fraction=(0.0, 2.0))
    with pytest.raises(InvalidParameterError, match=r"shape \(n, 8501\)"):
        ExperimentalEffects().apply(X, np.ones((2, 10)), np.random.default_rng(0))


def test_stream_with_effects_and_pseudo_voigt():
    from pymatgen_ml_xrd.streams import BatchConfig, LocalStream

    base = dict(batch_size=8, two_theta=(10.0, 70.0, 0.05), space_groups=(2, 14, 62, 194, 225))
    pure_cfg = BatchConfig(**base, preprocessing="none")
    fx_cfg = BatchConfig(**base, preprocessing="none", profile="pseudo-voigt", kalpha2=True,
                         effects=ExperimentalEffects.paper().to_dict())  # fmt: skip
    with LocalStream(pure_cfg, seed=4, n_workers=0) as s:
        pure, y_pure = next(s)
    with LocalStream(fx_cfg, seed=4, n_workers=0) as s:
        noisy, y_noisy = next(s)
        noisy2, _ = next(s)
    np.testing.assert_array_equal(y_pure, y_noisy)  # the same crystals, labels unchanged
    assert noisy.shape == pure.shape and np.isfinite(noisy).all() and noisy.min() >= 0
    # the pure patterns are zero far from peaks; with noise and background they are not
    assert (pure < 1e-6).mean() > 0.2 and (noisy < 1e-6).mean() < (pure < 1e-6).mean() / 2
    assert not np.allclose(noisy, noisy2)
    with pytest.raises(InvalidParameterError, match="additive_noise"):
        BatchConfig(**base, effects={"additive_noise": (1.0, 0.0)})
    with pytest.raises(ValueError, match="profile"):
        BatchConfig(**base, profile="lorentzian")
