"""PatternSpec: what a pattern must look like before a model or a fit sees it, said once.

A :class:`PatternSpec` fixes the model-input contract of a trained model — the 2-theta grid, the
wavelength of that grid, the background removal and the preprocessing — and the random ranges
from which training patterns are drawn (peak-profile family and widths, crystallite sizes,
K-alpha2, experimental effects). Training streams, the structure-type training sets and every
estimator's predict call the same functions of :mod:`pymatgen_ml_xrd.patterns` with one spec, a
model's metadata stores it, and loading reads it back, so training and prediction cannot drift
apart. A checkpoint is resumed (or a model initialised from another) only when the specs agree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["PatternSpec", "ProfileDraws", "INPUT_FIELDS", "PROFILES"]

PROFILES = ("gaussian", "pseudo-voigt")
#: the fields a prediction depends on (the rest only shape the training draws)
INPUT_FIELDS = ("two_theta", "wavelength", "preprocessing", "background", "background_window")

Range = tuple[float, float]


@dataclass(frozen=True)
class ProfileDraws:
    """Per-pattern profile settings drawn from a spec for a batch of ``n`` patterns.

    Attributes:
        crystallite_size: (n,) [nm]. kalpha2: (n,) bool. texture: n March-Dollase
        ``((h, k, l), r)`` or None. caglioti_u, caglioti_w: (n,) [deg^2] and eta: (n,) Lorentzian
        fraction, only for the pseudo-Voigt profile (None otherwise).
    """

    crystallite_size: NDArray[np.float64]
    kalpha2: NDArray[np.bool_]
    texture: list
    caglioti_u: NDArray[np.float64] | None = None
    caglioti_w: NDArray[np.float64] | None = None
    eta: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class PatternSpec:
    """The input contract of a model and the ranges of its training draws.

    Attributes:
        two_theta: (start, stop, step) [deg] of the model's input grid.
        wavelength: radiation name (pymatgen's table) or angstrom of that grid; patterns at other
            wavelengths are converted through d-spacing.
        preprocessing: "sqrt" (square root of the max-normalised pattern, paper 001) or "none".
        background: background removal before the model, "none", "snip" or "arpls"
            (:mod:`~pymatgen_ml_xrd.patterns.background`).
        background_window: the widest feature [deg] the background removal keeps as a peak.
        profile: peak shape of the training patterns, "gaussian" (Scherrer width, paper 001) or
            "pseudo-voigt" (Caglioti U, W and the Lorentzian share eta drawn per pattern; V = 0;
            the Scherrer width added in quadrature; paper 001 SI S4).
        crystallite_size: (min, max) [nm] drawn uniformly per training pattern (paper 001: 20-100).
        caglioti_u, caglioti_w: (min, max) [deg^2] of the pseudo-Voigt draws.
        eta: (min, max) Lorentzian fraction of the pseudo-Voigt draws.
        kalpha2: K-alpha2 lines in training patterns: True, False or a probability per pattern.
        effects: keyword arguments of :class:`~pymatgen_ml_xrd.diffraction.experimental_effects.
            ExperimentalEffects` applied to training patterns (None: pure patterns).
        effects_fraction: share of training patterns that get ``effects`` (drawn per pattern;
            the rest stay clean), so that one model learns clean and measured-like input.
    """

    two_theta: tuple[float, float, float] = (5.0, 90.0, 0.04)
    wavelength: str | float = "CuKa1"
    preprocessing: str = "sqrt"
    background: str = "none"
    background_window: float = 3.0
    profile: str = "gaussian"
    crystallite_size: Range = (20.0, 100.0)
    caglioti_u: Range = (0.0, 0.01)
    caglioti_w: Range = (0.0, 0.01)
    eta: Range = (0.0, 1.0)
    kalpha2: bool | float = False
    effects: dict | None = field(default=None, hash=False)
    effects_fraction: float = 1.0

    def __post_init__(self) -> None:
        from pymatgen_ml_xrd.diffraction import two_theta_grid
        from pymatgen_ml_xrd.diffraction.wavelengths import resolve_wavelength
        from pymatgen_ml_xrd.patterns.background import check_background
        from pymatgen_ml_xrd.patterns.preprocessing import PREPROCESSING

        try:
            start, stop, step = (float(v) for v in self.two_theta)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"two_theta must be (start, stop, step) in deg, got {self.two_theta!r}") from None
        object.__setattr__(self, "two_theta", (start, stop, step))
        two_theta_grid(start, stop, step)  # validates the grid
        resolve_wavelength(self.wavelength)
        if self.preprocessing not in PREPROCESSING:
            raise InvalidParameterError(f"preprocessing must be one of {PREPROCESSING}, got {self.preprocessing!r}")
        check_background(self.background, self.background_window)
        object.__setattr__(self, "background_window", float(self.background_window))
        if self.profile not in PROFILES:
            raise InvalidParameterError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        for name in ("crystallite_size", "caglioti_u", "caglioti_w", "eta"):
            object.__setattr__(self, name, _range(name, getattr(self, name), positive=name == "crystallite_size"))
        if self.eta[1] > 1:
            raise InvalidParameterError(f"eta must lie within [0, 1], got {self.eta!r}")
        if isinstance(self.kalpha2, bool):
            pass
        elif isinstance(self.kalpha2, (int, float)) and 0.0 <= float(self.kalpha2) <= 1.0:
            object.__setattr__(self, "kalpha2", float(self.kalpha2))
        else:
            raise InvalidParameterError(f"kalpha2 must be a bool or a probability in [0, 1], got {self.kalpha2!r}")
        if self.effects is not None:
            object.__setattr__(self, "effects", _effects_dict(self.effects))
        if (isinstance(self.effects_fraction, bool) or not isinstance(self.effects_fraction, (int, float))
                or not 0.0 <= float(self.effects_fraction) <= 1.0):
            raise InvalidParameterError(f"effects_fraction must be a share in [0, 1], got {self.effects_fraction!r}")
        object.__setattr__(self, "effects_fraction", float(self.effects_fraction))

    # ------------------------------------------------------------------ derived
    @property
    def grid(self) -> NDArray[np.float64]:
        """The input grid [deg] (:func:`~pymatgen_ml_xrd.diffraction.two_theta_grid`)."""
        from pymatgen_ml_xrd.diffraction import two_theta_grid

        return two_theta_grid(*self.two_theta)

    @property
    def n_points(self) -> int:
        """Points of :attr:`grid`."""
        start, stop, step = self.two_theta
        return int(round((stop - start) / step)) + 1

    @property
    def step(self) -> float:
        """Grid step [deg]."""
        return self.two_theta[2]

    @property
    def wavelength_angstrom(self) -> float:
        """The grid's wavelength [angstrom]."""
        from pymatgen_ml_xrd.diffraction.wavelengths import resolve_wavelength

        return resolve_wavelength(self.wavelength)[0]

    @property
    def measured(self) -> bool:
        """True when the background is removed (measured scans: negative intensities are raised)."""
        return self.background != "none"

    def experimental_effects(self):
        """The :class:`ExperimentalEffects` of the training draws, or None."""
        if self.effects is None:
            return None
        from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects

        return ExperimentalEffects(**_tuples(self.effects))

    # ------------------------------------------------------------------ draws
    def draw_profiles(self, rng: np.random.Generator, n: int) -> ProfileDraws:
        """Profile settings of ``n`` training patterns (crystallite sizes, K-alpha2 flags, textures,
        then Caglioti widths and eta for the pseudo-Voigt profile), drawn in that order."""
        sizes = rng.uniform(*self.crystallite_size, size=n)
        if isinstance(self.kalpha2, bool):
            with_ka2 = np.full(n, self.kalpha2)
        else:
            with_ka2 = rng.random(n) < float(self.kalpha2)
        r_range = (self.effects or {}).get("preferred_orientation")
        if r_range is not None:  # March-Dollase texture acts on reflections, so it is drawn here
            from pymatgen_ml_xrd.diffraction.texture import random_preferred_orientation

            textures = [random_preferred_orientation(rng, tuple(r_range)) for _ in range(n)]
            textures = [(tuple(d), r) for d, r in textures]
        else:
            textures = [None] * n
        if self.profile == "gaussian":
            return ProfileDraws(sizes, with_ka2, textures)
        u = rng.uniform(*self.caglioti_u, size=n)
        w = rng.uniform(*self.caglioti_w, size=n)
        eta = rng.uniform(*self.eta, size=n)
        return ProfileDraws(sizes, with_ka2, textures, u, w, eta)

    def draw_pseudo_voigt(self, rng: np.random.Generator) -> dict:
        """One pattern's pseudo-Voigt settings as keyword arguments of
        :meth:`XRDCalculator.get_diffractogram` (crystallite size, Caglioti (U, 0, W), eta; drawn
        in that order)."""
        return dict(profile="pseudo-voigt", crystallite_size=float(rng.uniform(*self.crystallite_size)),
                    caglioti=(float(rng.uniform(*self.caglioti_u)), 0.0, float(rng.uniform(*self.caglioti_w))),
                    eta=float(rng.uniform(*self.eta)))  # fmt: skip

    # ------------------------------------------------------------------ comparison and files
    def differences(self, other: PatternSpec, fields: tuple[str, ...] | None = None) -> list[str]:
        """``"name: mine != other's"`` for every field (of ``fields``, default all) that differs."""
        names = fields or tuple(f.name for f in dataclasses.fields(self))
        return [f"{n}: {getattr(self, n)!r} != {getattr(other, n)!r}" for n in names
                if _canonical(getattr(self, n)) != _canonical(getattr(other, n))]  # fmt: skip

    def require_same(self, other: PatternSpec, what: str, fields: tuple[str, ...] | None = None) -> None:
        """Raise :class:`InvalidParameterError` naming every differing field unless ``other`` agrees."""
        diff = self.differences(other, fields)
        if diff:
            raise InvalidParameterError(f"{what} has another PatternSpec ({'; '.join(diff)})")

    def replace(self, **changes) -> PatternSpec:
        """A copy with ``changes`` (validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-ready fields (tuples as lists)."""
        return {f.name: _canonical(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> PatternSpec:
        """The spec :meth:`to_dict` wrote (lists back to tuples); unknown fields are refused."""
        if not isinstance(data, dict):
            raise InvalidParameterError(f"a PatternSpec must be read from a dict, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidParameterError(f"unknown PatternSpec fields {unknown}")
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()})


def _range(name: str, value, positive: bool = False) -> Range:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a (min, max) pair, got {value!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi) or (positive and lo <= 0):
        raise InvalidParameterError(f"{name} must satisfy {'0 <' if positive else '0 <='} min <= max, got {value!r}")
    return (lo, hi)


def _effects_dict(effects) -> dict:
    from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects

    if isinstance(effects, ExperimentalEffects):
        return effects.to_dict()
    if isinstance(effects, dict):
        try:
            return ExperimentalEffects(**_tuples(effects)).to_dict()  # validates names and ranges
        except TypeError as err:
            raise InvalidParameterError(f"effects: {err}") from None
    raise InvalidParameterError(f"effects must be a dict, an ExperimentalEffects or None, got {effects!r}")


def _tuples(d: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def _canonical(value):
    """Tuples as lists, recursively (what JSON gives back), for comparison and saving."""
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # e.g. ExperimentalEffects
        return _canonical(dataclasses.asdict(value))
    return value
