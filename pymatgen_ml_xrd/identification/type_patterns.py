"""Training patterns of structure types: members and their variants, simulated like real scans.

:func:`type_training_set` draws, for every type, ``n_per_type`` patterns: each from a real
member or a synthetic variant (:class:`~.variants.VariantMaker`; the real members are used as
they are with probability ``real_share``), rendered from a :class:`~pymatgen_ml_xrd.patterns.
PatternSpec` by :func:`training_rows`: pseudo-Voigt peaks whose crystallite size and Caglioti
widths are drawn per pattern (:func:`~pymatgen_ml_xrd.patterns.rendering.render_structures`),
the spec's experimental effects, then the spec's background removal and preprocessing
(:func:`~pymatgen_ml_xrd.patterns.pipeline.model_input`) — what the identifier's predict applies
to user input (paper 003, "Dataset of Simulated XRD Patterns": substitution, strain, crystallite
size, noise). Preferred orientation (March-Dollase) comes with ``effects.preferred_orientation``.
:func:`outlier_patterns` renders random synthetic crystals the same way: the patterns an RCNet
learns to be unsure about (outlier exposure).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.identification.variants import VariantMaker
from pymatgen_ml_xrd.patterns.pipeline import model_input
from pymatgen_ml_xrd.patterns.rendering import render_structures
from pymatgen_ml_xrd.patterns.spec import PatternSpec

__all__ = ["outlier_patterns", "training_rows", "type_training_set"]


def training_rows(structures: list, spec: PatternSpec, rng: np.random.Generator) -> NDArray[np.float32]:
    """(n, spec.n_points) model-input rows of ``structures``: profiles (and effects) drawn from
    ``spec`` structure by structure, then the spec's background removal and preprocessing
    (rows left empty by the effects stay zero)."""
    return model_input(render_structures(structures, spec, rng), spec, allow_zero_rows=True)


def type_training_set(members: list[list], keys: list[str], n_per_type: int, spec: PatternSpec,
                      rng: np.random.Generator, maker: VariantMaker | None = None,
                      real_share: float = 0.3) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """(X, y): ``n_per_type`` rows per type (:func:`training_rows`); ``members[t]`` are Structures
    of type ``t`` (at least one), ``keys[t]`` its type key (variants must keep it).

    Raises:
        InvalidParameterError: a type without member structures (named by index and key).
    """
    maker = maker or VariantMaker()
    structures, labels = [], []
    for t, (group, key) in enumerate(zip(members, keys)):
        if not group:
            raise InvalidParameterError(f"type {t} ({key}) has no member structure")
        n_real = int(round(real_share * n_per_type))
        picks = [group[int(i)] for i in rng.integers(len(group), size=n_real)]
        sources = rng.integers(len(group), size=n_per_type - n_real)
        for i in np.unique(sources):
            picks += maker.variants(group[int(i)], int((sources == i).sum()), rng, key=key)
        structures += picks
        labels += [t] * len(picks)
    x = training_rows(structures, spec, rng)
    return x, np.asarray(labels, dtype=np.int64)


def outlier_patterns(n: int, spec: PatternSpec, rng: np.random.Generator, seed: int = 0) -> NDArray[np.float32]:
    """(n, spec.n_points) rows of random crystals of :class:`SyntheticStructureGenerator` (the
    shipped statistics: 94 space groups, ICSD-like compositions; ``seed`` seeds the generator),
    rendered as :func:`training_rows`."""
    if n == 0:
        return np.empty((0, spec.n_points), dtype=np.float32)
    from pymatgen_ml_xrd.generation.generator import SyntheticStructureGenerator

    crystals = SyntheticStructureGenerator(seed=seed).generate(n)
    return training_rows(crystals, spec, rng)
