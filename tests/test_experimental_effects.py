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
    pure_cfg = BatchConfig.build(**base, preprocessing="none")
    fx_cfg = BatchConfig.build(**base, preprocessing="none", profile="pseudo-voigt", kalpha2=True,
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
        BatchConfig.build(**base, effects={"additive_noise": (1.0, 0.0)})
    with pytest.raises(ValueError, match="profile"):
        BatchConfig.build(**base, profile="lorentzian")


def test_measured_range_masks_the_ends():
    fx = ExperimentalEffects(**(NONE | dict(two_theta_start=(10.0, 20.0), two_theta_stop=(60.0, 70.0))))
    y = np.ones((50, len(X)))
    out = fx.apply(X, y, np.random.default_rng(0))
    assert (out[:, X < 10] == 0).all() and (out[:, X > 70] == 0).all()
    assert (out[:, (X > 20) & (X < 60)] == 1).all()
    first = X[(out > 0).argmax(axis=1)]
    assert first.min() >= 10 and first.max() <= 20 and first.std() > 1  # drawn per row
    assert ExperimentalEffects.measured().two_theta_stop == (60.0, 90.0)
    with pytest.raises(InvalidParameterError, match="must end below"):
        ExperimentalEffects(two_theta_start=(5.0, 70.0), two_theta_stop=(60.0, 90.0))


def test_get_diffractogram_with_effects():
    from dataclasses import replace

    from pymatgen.core import Lattice, Structure

    from pymatgen_ml_xrd import XRDCalculator

    nacl = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    cscl = Structure(Lattice.cubic(4.11), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    calc = XRDCalculator("CuKa1")
    fx = ExperimentalEffects()
    a = calc.get_diffractogram(nacl, step=0.02, effects=fx, seed=3, impurity=cscl)
    b = calc.get_diffractogram(nacl, step=0.02, effects=fx, seed=3, impurity=cscl)
    c = calc.get_diffractogram(nacl, step=0.02, effects=fx, seed=4, impurity=cscl)
    pure = calc.get_diffractogram(nacl, step=0.02)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.allclose(a.y, c.y) and not np.allclose(a.y, pure.y)
    other = calc.get_diffractogram(cscl, step=0.02)
    assert np.corrcoef(a.y, pure.y)[0, 1] > 2 * np.corrcoef(a.y, other.y)[0, 1]  # still NaCl, not the impurity
    unscaled = calc.get_diffractogram(nacl, step=0.02, normalize=False, effects=replace(fx, impurity_fraction=None),
                                      seed=3)  # fmt: skip
    assert unscaled.y.max() > 10  # kept on the pure pattern's own scale
    with pytest.raises(InvalidParameterError, match="impurity="):
        calc.get_diffractogram(nacl, effects=fx)
    with pytest.raises(InvalidParameterError, match="ExperimentalEffects"):
        calc.get_diffractogram(nacl, effects={"zero_shift": (0, 1)})


def test_background_removal():
    from pymatgen_ml_xrd.patterns.background import remove_background

    x = np.arange(5.0, 90.0 + 1e-9, 0.04)
    hump = 0.3 * np.exp(-0.5 * ((x - 25) / 8) ** 2) + 0.1 + 0.001 * x
    sharp = np.exp(-0.5 * ((x - 40) / 0.08) ** 2)
    rows = np.stack([hump + sharp, hump + sharp])
    rows[1, x < 12] = 0.0  # not measured below 12 deg
    for method in ("snip", "arpls"):
        out = remove_background(rows, 0.04, method, window=3.0)
        assert out.dtype == np.float32 and out.shape == rows.shape and out.min() >= 0
        far = (np.abs(x - 40) > 2) & (x > 7) & (x < 88)  # arpls is less sure within 2 deg of the ends
        assert out[0, far].max() < 0.1, method  # the background is gone (it was 0.13-0.4)
        assert abs(out[0, np.argmin(np.abs(x - 40))] - 1.0) < 0.1, method  # the peak stays
        assert (out[1, x < 12] == 0).all()
    np.testing.assert_array_equal(remove_background(rows, 0.04, "none"), rows.astype(np.float32))
    with pytest.raises(InvalidParameterError, match="background must be one of"):
        remove_background(rows, 0.04, "rolling-ball")
    with pytest.raises(InvalidParameterError, match="background_window"):
        remove_background(rows, 0.04, "snip", window=0)


def test_stream_removes_the_background_and_draws_kalpha2():
    from pymatgen_ml_xrd import XRDCalculator
    from pymatgen_ml_xrd.generation import SyntheticStructureGenerator
    from pymatgen_ml_xrd.streams import BatchConfig
    from pymatgen_ml_xrd.streams.batches import make_batch

    groups = (2, 14, 62, 194, 225)
    gen = SyntheticStructureGenerator(space_groups=groups, seed=0)
    base = dict(batch_size=8, two_theta=(10.0, 70.0, 0.05), space_groups=groups, preprocessing="none",
                effects=ExperimentalEffects(additive_noise=None, multiplicative_noise=None, peak_counts=None).to_dict())
    raw, _ = make_batch(BatchConfig.build(**base), gen, XRDCalculator("CuKa1"), np.random.default_rng(1))
    gen = SyntheticStructureGenerator(space_groups=groups, seed=0)
    clean, _ = make_batch(BatchConfig.build(**base, background="snip"), gen, XRDCalculator("CuKa1"),
                          np.random.default_rng(1))  # fmt: skip
    assert np.isfinite(clean).all() and np.allclose(clean.max(axis=1), 1)
    assert np.median(clean) < np.median(raw) / 3  # the background floor is removed
    with pytest.raises(ValueError, match="kalpha2"):
        BatchConfig.build(space_groups=groups, kalpha2=1.5)
    with pytest.raises(InvalidParameterError, match="background"):
        BatchConfig.build(space_groups=groups, background="poly")
    one_crystal = BatchConfig.build(batch_size=2, patterns_per_crystal=2, two_theta=(10.0, 70.0, 0.05), space_groups=groups,
                              kalpha2=0.5, profile="pseudo-voigt", effects=ExperimentalEffects().to_dict())
    x, y = make_batch(one_crystal, gen, XRDCalculator("CuKa1"), np.random.default_rng(2))  # no other crystal: no impurity
    assert x.shape == (2, 1201) and y[0] == y[1]
