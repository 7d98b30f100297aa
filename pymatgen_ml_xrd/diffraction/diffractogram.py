"""Diffractogram: a dense powder pattern on a 2-theta grid, as a pymatgen Spectrum."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pymatgen.core.spectrum import Spectrum

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["Diffractogram", "two_theta_grid"]


def two_theta_grid(start: float = 5.0, stop: float = 90.0, step: float = 0.01) -> NDArray[np.float64]:
    """Uniform 2-theta grid [deg] from ``start`` to ``stop`` inclusive.

    ``two_theta_grid()`` has 8,501 points (5-90 deg, step 0.01 deg), the grid of paper 001.

    Raises:
        InvalidParameterError: non-finite values, start >= stop, a range outside [0, 180) deg, a
            step that is not positive or does not divide the range to 1e-6 of a step.
    """
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        if not np.isfinite(value):
            raise InvalidParameterError(f"two-theta grid {name} must be finite, got {value!r}")
    if not 0 <= start < stop < 180:
        raise InvalidParameterError(
            f"two-theta range must satisfy 0 <= start < stop < 180 deg, got ({start}, {stop})"
        )
    if step <= 0:
        raise InvalidParameterError(f"two-theta step must be positive, got {step}")
    n_steps = (stop - start) / step
    n = int(round(n_steps))
    if n < 1 or abs(n_steps - n) > 1e-6:
        raise InvalidParameterError(
            f"two-theta step {step} does not divide the range ({start}, {stop}) into whole steps"
        )
    return start + step * np.arange(n + 1, dtype=np.float64)


class Diffractogram(Spectrum):
    """A powder diffractogram: intensities ``y`` on an ascending 2-theta grid ``x`` [deg].

    A pymatgen ``Spectrum``, so normalize, smear, copy, +, -, * work as for any spectrum; in
    addition it knows the wavelength it was measured or simulated with.

    Args:
        x: 2-theta values [deg], strictly ascending.
        y: intensities (arbitrary units), same length.
        wavelength: X-ray wavelength [angstrom].
        radiation: the pymatgen radiation name, when there is one (e.g. ``"CuKa"``).
    """

    XLABEL = "2θ (°)"
    YLABEL = "Intensity"

    def __init__(self, x: ArrayLike, y: ArrayLike, wavelength: float = 1.54184, radiation: str | None = None):
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
            raise InvalidParameterError(f"x and y must be 1-D of equal length, got {x.shape} and {y.shape}")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise InvalidParameterError("diffractogram values must be finite (no NaN or inf)")
        if x.size > 1 and not (np.diff(x) > 0).all():
            raise InvalidParameterError("diffractogram 2-theta values must be strictly ascending")
        if not (np.isfinite(wavelength) and wavelength > 0):
            raise InvalidParameterError(f"wavelength must be positive [angstrom], got {wavelength!r}")
        super().__init__(x, y, wavelength=float(wavelength), radiation=radiation)

    @property
    def two_theta(self) -> NDArray[np.float64]:
        """2-theta values [deg] (same array as ``x``)."""
        return self.x

    @property
    def wavelength(self) -> float:
        """X-ray wavelength [angstrom]."""
        return self._kwargs["wavelength"]

    @property
    def radiation(self) -> str | None:
        """pymatgen radiation name, if known."""
        return self._kwargs["radiation"]

    @property
    def d_spacings(self) -> NDArray[np.float64]:
        """Interplanar spacing of each grid point, d = lambda / (2 sin theta) [angstrom]."""
        with np.errstate(divide="ignore"):
            return self.wavelength / (2 * np.sin(np.radians(self.x / 2)))

    def __repr__(self) -> str:
        return (
            f"Diffractogram({len(self.x)} points, 2θ {self.x[0]:.3f}-{self.x[-1]:.3f}°, "
            f"λ={self.wavelength:.5f} Å, max {self.y.max():.4g})"
            if len(self.x)
            else "Diffractogram(empty)"
        )

    __str__ = __repr__
