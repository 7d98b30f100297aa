"""One training batch from a generator and a calculator (shared by every stream back-end)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.diffraction import XRDCalculator
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.generation import SyntheticStructureGenerator
from pymatgen_ml_xrd.patterns import PatternSpec, model_input
from pymatgen_ml_xrd.patterns.rendering import render_batch

__all__ = ["BatchConfig", "check_stream", "make_batch"]


@dataclass(frozen=True)
class BatchConfig:
    """What a batch looks like.

    Attributes:
        spec: the patterns (grid, wavelength, profile draws, effects, background,
            preprocessing): :class:`~pymatgen_ml_xrd.patterns.PatternSpec`.
        batch_size: patterns per batch.
        patterns_per_crystal: patterns simulated from each crystal with different profile draws
            (paper 001 used 2 for parkCNN).
        space_groups: the classes; labels are indices into this sorted tuple.
        real_pool: path of a pool of real crystals (:func:`.real_pool.write_real_pool`).
        real_fraction: share of each batch drawn from ``real_pool`` (the rest is synthetic).
        coverage: the generator's space-group coverage, "data" or "all"
            (:class:`~pymatgen_ml_xrd.generation.SyntheticStructureGenerator`).
    """

    spec: PatternSpec = field(default_factory=PatternSpec)
    batch_size: int = 128
    patterns_per_crystal: int = 2
    space_groups: tuple[int, ...] = field(default_factory=tuple)
    real_pool: str | None = None
    real_fraction: float = 0.0
    coverage: str = "data"

    def __post_init__(self) -> None:
        if not isinstance(self.spec, PatternSpec):
            raise InvalidParameterError(f"spec must be a PatternSpec, got {type(self.spec).__name__}")
        for name in ("batch_size", "patterns_per_crystal"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise InvalidParameterError(f"{name} must be a positive integer, got {value!r}")
        if not 0.0 <= self.real_fraction <= 1.0:
            raise InvalidParameterError(f"real_fraction must lie in [0, 1], got {self.real_fraction}")
        from pymatgen_ml_xrd.generation.generator import COVERAGES

        if self.coverage not in COVERAGES:
            raise InvalidParameterError(f"coverage must be one of {COVERAGES}, got {self.coverage!r}")
        if self.real_fraction > 0 and not self.real_pool:
            raise InvalidParameterError("real_fraction > 0 needs a real_pool file")

    @classmethod
    def build(cls, **options) -> BatchConfig:
        """A config from flat keyword arguments: the batch fields of this class and the fields of
        :class:`~pymatgen_ml_xrd.patterns.PatternSpec` (e.g. ``BatchConfig.build(batch_size=8,
        two_theta=(10, 70, 0.05), profile="pseudo-voigt", space_groups=(2, 225))``)."""
        import dataclasses

        spec_fields = {f.name for f in dataclasses.fields(PatternSpec)}
        spec = {k: options.pop(k) for k in list(options) if k in spec_fields}
        unknown = sorted(set(options) - {f.name for f in dataclasses.fields(cls)} - {"spec"})
        if unknown:
            raise InvalidParameterError(f"unknown BatchConfig options {unknown}")
        if spec and "spec" in options:
            raise InvalidParameterError(f"give either spec= or the PatternSpec fields {sorted(spec)}, not both")
        return cls(spec=options.pop("spec", None) or PatternSpec(**spec), **options)

    def to_dict(self) -> dict:
        """JSON-ready (the spec as :meth:`PatternSpec.to_dict`, the real pool by file name only)."""
        from pathlib import Path

        return asdict(self) | {"spec": self.spec.to_dict(), "space_groups": [int(g) for g in self.space_groups],
                               "real_pool": Path(self.real_pool).name if self.real_pool else None}  # no machine path


def check_stream(config: BatchConfig, n_workers: int, min_workers: int, start_batch: int = 0,
                 stall_timeout: float = 600.0) -> None:  # fmt: skip
    """Raise :class:`InvalidParameterError` unless a stream of ``config`` with ``n_workers``
    producers (at least ``min_workers``) starting at batch ``start_batch``, giving up on a
    producer after ``stall_timeout`` seconds without a batch, can run."""
    if isinstance(stall_timeout, bool) or not isinstance(stall_timeout, (int, float)) or not stall_timeout > 0:
        raise InvalidParameterError(f"stall_timeout must be a positive number of seconds, got {stall_timeout!r}")
    if isinstance(start_batch, bool) or not isinstance(start_batch, (int, np.integer)) or start_batch < 0:
        raise InvalidParameterError(f"start_batch must be a non-negative integer, got {start_batch!r}")
    if not isinstance(config, BatchConfig):
        raise InvalidParameterError(f"a stream needs a BatchConfig, got {type(config).__name__}")
    if not config.space_groups:
        raise InvalidParameterError("config.space_groups is empty: the stream needs its classes")
    if not isinstance(n_workers, (int, np.integer)) or isinstance(n_workers, bool) or n_workers < min_workers:
        raise InvalidParameterError(f"n_workers must be an integer >= {min_workers}, got {n_workers!r}")


def make_batch(config: BatchConfig, generator: SyntheticStructureGenerator, calculator: XRDCalculator,
               rng: np.random.Generator, real_pool=None) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
    """(X float32 [batch, n_points], y int32 indices into ``config.space_groups``).

    ``real_pool``: (CrystalArrays list, space groups) from :func:`.real_pool.load_real_pool`;
    ``round(real_fraction * batch_size)`` patterns of the batch come from it, drawn with
    replacement, after the synthetic ones. Rows are rendered by
    :func:`~pymatgen_ml_xrd.patterns.rendering.render_batch` and finished by
    :func:`~pymatgen_ml_xrd.patterns.model_input`, as predict finishes user input.
    """
    n_real = int(round(config.real_fraction * config.batch_size)) if real_pool is not None else 0
    n_synthetic = config.batch_size - n_real
    n_crystals = -(-n_synthetic // config.patterns_per_crystal)
    crystals = generator.generate_arrays(n_crystals) if n_crystals else []
    converted = [c.to_crystal_arrays() for c in crystals]
    arrays = [a for a in converted for _ in range(config.patterns_per_crystal)]
    labels = [c.space_group for c in crystals for _ in range(config.patterns_per_crystal)]
    arrays, labels = arrays[:n_synthetic], labels[:n_synthetic]
    if n_real:
        picks = rng.integers(len(real_pool[0]), size=n_real)
        arrays += [real_pool[0][i] for i in picks]
        labels += [int(real_pool[1][i]) for i in picks]
    x = render_batch(config.spec, arrays, calculator, rng, impurity_shift=config.patterns_per_crystal)
    index = {sg: i for i, sg in enumerate(config.space_groups)}
    y = np.array([index[sg] for sg in labels], dtype=np.int32)
    return model_input(x, config.spec), y
