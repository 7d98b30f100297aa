"""Experimental effects added to simulated diffractograms (paper 001, SI S4, and beyond).

:class:`ExperimentalEffects` holds the ranges each effect is drawn from; ``apply(x, patterns,
rng)`` draws one set of values per pattern and returns new rows. Every effect can be switched
off (``None``) and the same seed gives the same result. Order, as a measurement builds up:

1. impurity phase (paper 001 eq. 6): ``(1 - a) I_pure + a I_impurity``, a ~ U[0, 0.05]; the
   impurity patterns come from the caller (the stream simulates a second random crystal);
2. peak shifts: a zero shift ``dz`` [deg] and a sample displacement ``s`` [mm] on a goniometer of
   radius R [mm] move every point by ``dz - (360/pi) (s/R) cos(theta)`` [deg] (the usual
   Bragg-Brentano displacement error), applied by resampling the pattern;
3. background: a Gaussian-process sample with an RBF kernel of length l ~ U[7, 40] deg, minus its
   minimum, divided by its sum over the grid (in 8,501-point units, as the paper), times a scale
   drawn from a normal of mean 0 and standard deviation 75 truncated to [0, 150] (SI S4 steps
   1-5); the GP is sampled exactly on a 1-deg lattice and interpolated with a cubic spline (it
   is smooth on scales of 7 deg and more);
4. an amorphous hump: a broad Gaussian (centre 15-35 deg, FWHM 5-15 deg, height 0-0.15 of the
   pattern maximum), as glass holders, capillaries and amorphous content give;
5. additive Gaussian noise (standard deviation ~ U[0, 0.02]) and multiplicative Gaussian noise
   (mean 1, standard deviation ~ U[0, 0.16]) (SI S4 steps 6-7);
6. counting statistics: the pattern scaled to a peak count N ~ log-uniform in [1e3, 1e5] and
   Poisson-sampled;
7. the measured range: points below a first angle drawn from ``two_theta_start`` and above a
   last angle drawn from ``two_theta_stop`` [deg] are set to zero, as predict() masks the part
   of the model grid a scan did not cover (off by default).

Intensities are relative to the pure pattern's maximum of 1; results are clipped at 0.

``preferred_orientation`` (a range of the March-Dollase r, off by default) is the one effect that
acts on single reflections, so it is applied while the pattern is rendered, before all of the
above: ``XRDCalculator.get_diffractogram(effects=...)`` and the training streams draw a
low-index plane normal and r log-uniformly in the range for every pattern
(:mod:`~pymatgen_ml_xrd.diffraction.texture`); ``apply`` leaves it to them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import CubicSpline
from scipy.stats import truncnorm

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["ExperimentalEffects", "gp_background"]

Range = tuple[float, float]


def _check_range(name: str, value, lower: float = 0.0) -> None:
    if value is None:
        return
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a (low, high) pair or None, got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lower <= lo <= hi):
        raise InvalidParameterError(f"{name} must satisfy {lower:g} <= low <= high, got {value!r}")


@dataclass(frozen=True)
class ExperimentalEffects:
    """Ranges of the experimental effects (None switches one off); see the module docstring.

    Attributes:
        impurity_fraction: a of the impurity phase (paper 001: [0, 0.05]).
        zero_shift: zero-point error [deg 2-theta], drawn uniformly in [-v, v] from (0, v).
        sample_displacement: displacement s [mm], drawn uniformly in [-v, v] from (0, v).
        goniometer_radius: R [mm] for the displacement error.
        background_length: GP kernel length l [deg] (paper 001: [7, 40]).
        background_scale_max: upper truncation of the background scale (paper 001: 150; the
            normal has mean 0 and standard deviation half of it).
        hump_height, hump_centre, hump_fwhm: amorphous hump (height relative to the maximum).
        additive_noise, multiplicative_noise: standard deviation ranges (paper: [0, 0.02], [0, 0.16]).
        peak_counts: (min, max) counts at the pattern maximum for Poisson statistics (log-uniform).
        two_theta_start, two_theta_stop: ranges [deg] of the first and last measured angle;
            the rest of the grid is set to zero (None: the whole grid is measured).
        preferred_orientation: range of the March-Dollase r (e.g. (0.6, 1.4); 1 = random
            powder), drawn log-uniformly with a random low-index direction at rendering time.
    """

    impurity_fraction: Range | None = (0.0, 0.05)
    zero_shift: Range | None = (0.0, 0.1)
    sample_displacement: Range | None = (0.0, 0.1)
    goniometer_radius: float = 240.0
    background_length: Range | None = (7.0, 40.0)
    background_scale_max: float = 150.0
    hump_height: Range | None = (0.0, 0.15)
    hump_centre: Range = (15.0, 35.0)
    hump_fwhm: Range = (5.0, 15.0)
    additive_noise: Range | None = (0.0, 0.02)
    multiplicative_noise: Range | None = (0.0, 0.16)
    peak_counts: Range | None = (1e3, 1e5)
    two_theta_start: Range | None = None
    two_theta_stop: Range | None = None
    preferred_orientation: Range | None = None

    def __post_init__(self) -> None:
        for name in ("impurity_fraction", "zero_shift", "sample_displacement", "hump_height",
                     "additive_noise", "multiplicative_noise"):  # fmt: skip
            _check_range(name, getattr(self, name))
        _check_range("background_length", self.background_length, lower=1e-6)
        _check_range("hump_centre", self.hump_centre)
        _check_range("hump_fwhm", self.hump_fwhm, lower=1e-6)
        _check_range("peak_counts", self.peak_counts, lower=1.0)
        _check_range("two_theta_start", self.two_theta_start)
        _check_range("two_theta_stop", self.two_theta_stop)
        _check_range("preferred_orientation", self.preferred_orientation, lower=1e-3)
        if self.two_theta_start is not None and self.two_theta_stop is not None \
                and self.two_theta_start[1] >= self.two_theta_stop[0]:
            raise InvalidParameterError(f"two_theta_start {self.two_theta_start!r} must end below two_theta_stop "
                                        f"{self.two_theta_stop!r}")  # fmt: skip
        if self.impurity_fraction is not None and self.impurity_fraction[1] > 1:
            raise InvalidParameterError(f"impurity_fraction must lie within [0, 1], got {self.impurity_fraction!r}")
        for name in ("goniometer_radius", "background_scale_max"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InvalidParameterError(f"{name} must be positive, got {value!r}")

    @classmethod
    def paper(cls) -> ExperimentalEffects:
        """Only what paper 001 (SI S4) adds: impurity, GP background, additive and multiplicative noise."""
        return cls(zero_shift=None, sample_displacement=None, hump_height=None, peak_counts=None)

    @classmethod
    def measured(cls) -> ExperimentalEffects:
        """Everything on, with measured ranges that start at 5-15 deg and stop at 60-90 deg (the
        settings of the shipped experimental SpaceGroupClassifier)."""
        return cls(two_theta_start=(5.0, 15.0), two_theta_stop=(60.0, 90.0))

    def to_dict(self) -> dict:
        return asdict(self)

    def apply(self, two_theta: NDArray, patterns: NDArray, rng: np.random.Generator,
              impurities: NDArray | None = None) -> NDArray[np.float32]:
        """New rows (n, n_points) with the effects drawn independently for every row.

        Args:
            two_theta: the uniform grid [deg] of the patterns.
            patterns: (n, n_points) pure patterns, each with maximum 1 (as the calculator gives).
            rng: numpy Generator (the source of every random draw).
            impurities: (n, n_points) impurity patterns (maximum 1); needed when
                ``impurity_fraction`` is set.
        """
        x = np.asarray(two_theta, dtype=np.float64)
        y = np.array(patterns, dtype=np.float64, ndmin=2)
        if y.ndim != 2 or y.shape[1] != len(x):
            raise InvalidParameterError(f"patterns must have shape (n, {len(x)}), got {np.shape(patterns)}")
        if not np.isfinite(y).all():
            raise InvalidParameterError("patterns contain NaN or infinite values")
        n = len(y)
        if self.impurity_fraction is not None:
            if impurities is None or np.shape(impurities) != y.shape:
                raise InvalidParameterError(f"impurity_fraction is set: pass impurities of shape {y.shape}")
            a = rng.uniform(*self.impurity_fraction, size=(n, 1))
            y = (1 - a) * y + a * np.asarray(impurities, dtype=np.float64)
        if self.zero_shift is not None or self.sample_displacement is not None:
            cos_theta = np.cos(np.radians(x / 2))
            for i in range(n):
                dz = rng.uniform(-self.zero_shift[1], self.zero_shift[1]) if self.zero_shift else 0.0
                s = rng.uniform(-self.sample_displacement[1], self.sample_displacement[1]) if self.sample_displacement else 0.0
                shift = dz - math.degrees(2 * s / self.goniometer_radius) * cos_theta
                y[i] = np.interp(x - shift, x, y[i], left=y[i, 0], right=y[i, -1])  # a peak at p moves to p + shift
        if self.background_length is not None:
            scale = truncnorm.rvs(0.0, 2.0, loc=0.0, scale=self.background_scale_max / 2, size=n, random_state=rng)
            for i in range(n):
                b = gp_background(x, rng.uniform(*self.background_length), rng)
                y[i] += b * scale[i]
        if self.hump_height is not None:
            h = rng.uniform(*self.hump_height, size=(n, 1))
            c = rng.uniform(*self.hump_centre, size=(n, 1))
            sigma = rng.uniform(*self.hump_fwhm, size=(n, 1)) / (2 * math.sqrt(2 * math.log(2)))
            y += h * np.exp(-0.5 * ((x[None, :] - c) / sigma) ** 2)
        if self.additive_noise is not None:
            y += rng.normal(size=y.shape) * rng.uniform(*self.additive_noise, size=(n, 1))
        if self.multiplicative_noise is not None:
            y *= 1 + rng.normal(size=y.shape) * rng.uniform(*self.multiplicative_noise, size=(n, 1))
        np.clip(y, 0.0, None, out=y)
        if self.peak_counts is not None:
            lo, hi = np.log(self.peak_counts[0]), np.log(self.peak_counts[1])
            counts = np.exp(rng.uniform(lo, hi, size=(n, 1)))
            top = y.max(axis=1, keepdims=True)
            top[top == 0] = 1.0
            y = rng.poisson(y / top * counts) / counts * top
        if self.two_theta_start is not None:
            y[x[None, :] < rng.uniform(*self.two_theta_start, size=(n, 1))] = 0.0
        if self.two_theta_stop is not None:
            y[x[None, :] > rng.uniform(*self.two_theta_stop, size=(n, 1))] = 0.0
        return y.astype(np.float32)


def gp_background(two_theta: NDArray, length: float, rng: np.random.Generator) -> NDArray[np.float64]:
    """One background on ``two_theta``: a GP sample (RBF kernel, amplitude 1, ``length`` [deg])
    minus its minimum, divided by its sum over 8,501 points of the 5-90 deg range (SI S4 steps
    1-3), so that the result integrates like the paper's on any grid."""
    x = np.asarray(two_theta, dtype=np.float64)
    lattice = np.arange(math.floor(x[0]) - 1.0, math.ceil(x[-1]) + 2.0, 1.0)
    d = lattice[:, None] - lattice[None, :]
    k = np.exp(-0.5 * (d / length) ** 2) + 1e-6 * np.eye(len(lattice))
    f = np.linalg.cholesky(k) @ rng.normal(size=len(lattice))
    b = CubicSpline(lattice, f)(x)
    b -= b.min()
    total = b.sum() * (8501 / len(x))
    return b / total if total > 0 else b
