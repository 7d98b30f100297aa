"""One training batch from a generator and a calculator (shared by every stream back-end)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.diffraction import XRDCalculator, two_theta_grid
from pymatgen_ml_xrd.generation import SyntheticStructureGenerator
from pymatgen_ml_xrd.preprocessing import preprocess_patterns

__all__ = ["BatchConfig", "make_batch"]


@dataclass(frozen=True)
class BatchConfig:
    """What a batch looks like.

    Attributes:
        batch_size: patterns per batch.
        patterns_per_crystal: patterns simulated from each crystal with different crystallite
            sizes (paper 001 used 2 for parkCNN).
        two_theta: (start, stop, step) of the grid [deg].
        wavelength: radiation name or angstrom (paper 001: Cu K-alpha1).
        crystallite_size: (min, max) [nm], drawn uniformly per pattern (paper 001: 20-100).
        preprocessing: "sqrt" (square root of the max-normalised pattern, paper 001) or "none".
        space_groups: the classes; labels are indices into this sorted tuple.
        real_pool: path of a pool of real crystals (:func:`.real_pool.write_real_pool`).
        real_fraction: share of each batch drawn from ``real_pool`` (the rest is synthetic).
        profile: "gaussian" (Scherrer width, paper 001's pure patterns) or "pseudo-voigt" (paper
            001 SI S4: Caglioti U and W and the Lorentzian share eta drawn per pattern from
            ``caglioti_u``, ``caglioti_w``, ``eta``; V = 0; Scherrer width added in quadrature).
        kalpha2: add the K-alpha2 line (needs a named K-alpha wavelength); True for every
            pattern, or a probability in [0, 1] drawn per pattern (monochromated and synchrotron
            scans have no K-alpha2).
        effects: keyword arguments of :class:`~pymatgen_ml_xrd.diffraction.experimental_effects.
            ExperimentalEffects` applied to every pattern (None: pure patterns); impurity phases
            are simulated from further random crystals.
        background, background_window: background removal applied after the effects, as
            predict() applies it to measured patterns (:func:`~pymatgen_ml_xrd.background.
            remove_background`; "none", "snip" or "arpls"; window in deg).
    """

    batch_size: int = 128
    patterns_per_crystal: int = 2
    two_theta: tuple[float, float, float] = (5.0, 90.0, 0.04)
    wavelength: str | float = "CuKa1"
    crystallite_size: tuple[float, float] = (20.0, 100.0)
    preprocessing: str = "sqrt"
    space_groups: tuple[int, ...] = field(default_factory=tuple)
    real_pool: str | None = None
    real_fraction: float = 0.0
    profile: str = "gaussian"
    caglioti_u: tuple[float, float] = (0.0, 0.01)
    caglioti_w: tuple[float, float] = (0.0, 0.01)
    eta: tuple[float, float] = (0.0, 1.0)
    kalpha2: bool | float = False
    effects: dict | None = None
    background: str = "none"
    background_window: float = 3.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.real_fraction <= 1.0:
            raise ValueError(f"real_fraction must lie in [0, 1], got {self.real_fraction}")
        if self.real_fraction > 0 and not self.real_pool:
            raise ValueError("real_fraction > 0 needs a real_pool file")
        if self.profile not in ("gaussian", "pseudo-voigt"):
            raise ValueError(f"profile must be 'gaussian' or 'pseudo-voigt', got {self.profile!r}")
        if not (isinstance(self.kalpha2, (bool, int, float)) and 0.0 <= float(self.kalpha2) <= 1.0):
            raise ValueError(f"kalpha2 must be a bool or a probability in [0, 1], got {self.kalpha2!r}")
        from pymatgen_ml_xrd.background import check_background

        check_background(self.background, self.background_window)
        if self.effects is not None:
            from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects

            ExperimentalEffects(**self.effects)  # validates the ranges now, not in a worker

    def to_dict(self) -> dict:
        return asdict(self)


def make_batch(config: BatchConfig, generator: SyntheticStructureGenerator, calculator: XRDCalculator,
               rng: np.random.Generator, real_pool=None) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
    """(X float32 [batch, n_points], y int32 indices into ``config.space_groups``).

    ``real_pool``: (CrystalArrays list, space groups) from :func:`.real_pool.load_real_pool`;
    ``round(real_fraction * batch_size)`` patterns of the batch come from it, drawn with
    replacement, after the synthetic ones.
    """
    n_real = int(round(config.real_fraction * config.batch_size)) if real_pool is not None else 0
    n_synthetic = config.batch_size - n_real
    n_crystals = -(-n_synthetic // config.patterns_per_crystal)
    crystals = generator.generate_arrays(n_crystals) if n_crystals else []
    arrays = [c.to_crystal_arrays() for c in crystals for _ in range(config.patterns_per_crystal)]
    labels = [c.space_group for c in crystals for _ in range(config.patterns_per_crystal)]
    arrays, labels = arrays[:n_synthetic], labels[:n_synthetic]
    if n_real:
        picks = rng.integers(len(real_pool[0]), size=n_real)
        arrays += [real_pool[0][i] for i in picks]
        labels += [int(real_pool[1][i]) for i in picks]
    x = _render(config, arrays, calculator, rng)
    if config.effects is not None:
        from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects

        effects = ExperimentalEffects(**config.effects)
        impurities = None
        if effects.impurity_fraction is not None:  # another crystal of the same batch (no extra simulation)
            if len(x) > config.patterns_per_crystal:
                impurities = np.roll(x, config.patterns_per_crystal, axis=0)
            else:  # a batch of one crystal has no other crystal to mix in
                effects = replace(effects, impurity_fraction=None)
        x = effects.apply(two_theta_grid(*config.two_theta), x, rng, impurities=impurities)
    if config.background != "none":
        from pymatgen_ml_xrd.background import remove_background

        x = remove_background(x, config.two_theta[2], config.background, config.background_window)
    index = {sg: i for i, sg in enumerate(config.space_groups)}
    y = np.array([index[sg] for sg in labels], dtype=np.int32)
    return preprocess_patterns(x, config.preprocessing, allow_zero_rows=True), y


def _render(config: BatchConfig, arrays: list, calculator: XRDCalculator, rng: np.random.Generator) -> NDArray:
    """Dense patterns (n, n_points), maxima 1, with the profile settings of ``config``."""
    sizes = rng.uniform(*config.crystallite_size, size=len(arrays))
    start, stop, step = config.two_theta
    if isinstance(config.kalpha2, bool):
        with_ka2 = np.full(len(arrays), config.kalpha2)
    else:
        with_ka2 = rng.random(len(arrays)) < float(config.kalpha2)
    r_range = (config.effects or {}).get("preferred_orientation")
    if r_range is not None:  # March-Dollase texture acts on reflections, so it is drawn here
        from pymatgen_ml_xrd.diffraction.texture import random_preferred_orientation

        textures = [random_preferred_orientation(rng, r_range) for _ in arrays]
        textures = [(tuple(d), r) for d, r in textures]
    else:
        textures = [None] * len(arrays)
    if config.profile == "gaussian":
        out = np.empty((len(arrays), len(two_theta_grid(start, stop, step))), dtype=np.float32)
        for flag in (False, True):
            rows = np.flatnonzero(with_ka2 == flag)
            if len(rows):
                out[rows] = calculator.get_diffractograms([arrays[i] for i in rows], two_theta_range=(start, stop),
                                                          step=step, crystallite_size=sizes[rows], kalpha2=flag,
                                                          preferred_orientation=[textures[i] for i in rows])
        return out
    u = rng.uniform(*config.caglioti_u, size=len(arrays))
    w = rng.uniform(*config.caglioti_w, size=len(arrays))
    eta = rng.uniform(*config.eta, size=len(arrays))
    return np.stack([
        calculator.get_diffractogram(a, two_theta_range=(start, stop), step=step, profile="pseudo-voigt",
                                     crystallite_size=sizes[i], caglioti=(u[i], 0.0, w[i]), eta=eta[i],
                                     kalpha2=bool(with_ka2[i]), preferred_orientation=textures[i]).y
        for i, a in enumerate(arrays)
    ]).astype(np.float32)  # fmt: skip
