"""One training batch from a generator and a calculator (shared by every stream back-end)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.diffraction import XRDCalculator
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
    """

    batch_size: int = 128
    patterns_per_crystal: int = 2
    two_theta: tuple[float, float, float] = (5.0, 90.0, 0.04)
    wavelength: str | float = "CuKa1"
    crystallite_size: tuple[float, float] = (20.0, 100.0)
    preprocessing: str = "sqrt"
    space_groups: tuple[int, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return asdict(self)


def make_batch(config: BatchConfig, generator: SyntheticStructureGenerator, calculator: XRDCalculator,
               rng: np.random.Generator) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
    """(X float32 [batch, n_points], y int32 indices into ``config.space_groups``)."""
    n_crystals = -(-config.batch_size // config.patterns_per_crystal)
    crystals = generator.generate_arrays(n_crystals)
    arrays = [c.to_crystal_arrays() for c in crystals for _ in range(config.patterns_per_crystal)]
    labels = [c.space_group for c in crystals for _ in range(config.patterns_per_crystal)]
    arrays, labels = arrays[: config.batch_size], labels[: config.batch_size]
    sizes = rng.uniform(*config.crystallite_size, size=len(arrays))
    start, stop, step = config.two_theta
    x = calculator.get_diffractograms(arrays, two_theta_range=(start, stop), step=step, crystallite_size=sizes)
    index = {sg: i for i, sg in enumerate(config.space_groups)}
    y = np.array([index[sg] for sg in labels], dtype=np.int32)
    return preprocess_patterns(x, config.preprocessing), y
