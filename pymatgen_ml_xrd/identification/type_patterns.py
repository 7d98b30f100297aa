"""Training patterns of structure types: members and their variants, simulated like real scans.

:func:`type_training_set` draws, for every type, ``n_per_type`` patterns: each from a real
member or a synthetic variant (:class:`~.variants.VariantMaker`; the real members are used as
they are with probability ``real_share``), simulated with a pseudo-Voigt profile whose
crystallite size (20-100 nm) and Caglioti widths are drawn per pattern, optionally with
experimental effects, then background-removed and preprocessed as the identifier's predict does
(paper 003, "Dataset of Simulated XRD Patterns": substitution, strain, crystallite size, noise).
Preferred orientation (March-Dollase) comes with ``effects.preferred_orientation``.
:func:`outlier_patterns` renders random synthetic crystals the same way: the patterns an RCNet
learns to be unsure about (outlier exposure).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.background import remove_background
from pymatgen_ml_xrd.diffraction import XRDCalculator
from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
from pymatgen_ml_xrd.identification.variants import VariantMaker
from pymatgen_ml_xrd.preprocessing import preprocess_patterns

__all__ = ["outlier_patterns", "render_patterns", "type_training_set"]


def render_patterns(structures: list, two_theta: tuple[float, float, float], rng: np.random.Generator,
                    wavelength: str = "CuKa1", effects: ExperimentalEffects | None = None,
                    background: str = "none", background_window: float = 3.0,
                    preprocessing: str = "sqrt") -> NDArray[np.float32]:
    """(n, n_points) model-input rows of ``structures`` with drawn profiles (and effects)."""
    calc = XRDCalculator(wavelength)
    start, stop, step = two_theta
    rows = np.empty((len(structures), int(round((stop - start) / step)) + 1), dtype=np.float32)
    for i, s in enumerate(structures):
        kwargs = dict(two_theta_range=(start, stop), step=step, profile="pseudo-voigt",
                      crystallite_size=float(rng.uniform(20, 100)),
                      caglioti=(float(rng.uniform(0, 0.01)), 0.0, float(rng.uniform(0, 0.01))),
                      eta=float(rng.uniform(0, 1)))  # fmt: skip
        if effects is not None:
            impurity = structures[int(rng.integers(len(structures)))] if effects.impurity_fraction else None
            rows[i] = calc.get_diffractogram(s, effects=effects, seed=rng, impurity=impurity, **kwargs).y
        else:
            rows[i] = calc.get_diffractogram(s, **kwargs).y
    if background != "none":
        rows = remove_background(rows, step, background, background_window)
    return preprocess_patterns(rows, preprocessing, allow_zero_rows=True)


def type_training_set(members: list[list], keys: list[str], n_per_type: int, two_theta: tuple[float, float, float],
                      rng: np.random.Generator, maker: VariantMaker | None = None, real_share: float = 0.3,
                      **render_options) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """(X, y): ``n_per_type`` rows per type; ``members[t]`` are Structures of type ``t`` (at least
    one), ``keys[t]`` its type key (variants must keep it)."""
    maker = maker or VariantMaker()
    structures, labels = [], []
    for t, (group, key) in enumerate(zip(members, keys)):
        if not group:
            raise ValueError(f"type {t} ({key}) has no member structure")
        n_real = int(round(real_share * n_per_type))
        picks = [group[int(i)] for i in rng.integers(len(group), size=n_real)]
        sources = rng.integers(len(group), size=n_per_type - n_real)
        for i in np.unique(sources):
            picks += maker.variants(group[int(i)], int((sources == i).sum()), rng, key=key)
        structures += picks
        labels += [t] * len(picks)
    x = render_patterns(structures, two_theta, rng, **render_options)
    return x, np.asarray(labels, dtype=np.int64)


def outlier_patterns(n: int, two_theta: tuple[float, float, float], rng: np.random.Generator, seed: int = 0,
                     **render_options) -> NDArray[np.float32]:
    """(n, n_points) rows of random crystals of :class:`SyntheticStructureGenerator` (the shipped
    statistics: 94 space groups, ICSD-like compositions), rendered as :func:`render_patterns`."""
    if n == 0:
        start, stop, step = two_theta
        return np.empty((0, int(round((stop - start) / step)) + 1), dtype=np.float32)
    from pymatgen_ml_xrd.generation.generator import SyntheticStructureGenerator

    crystals = SyntheticStructureGenerator(seed=seed).generate(n)
    return render_patterns(crystals, two_theta, rng, **render_options)
