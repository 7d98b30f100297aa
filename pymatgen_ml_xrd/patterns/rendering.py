"""Training patterns drawn from a PatternSpec: crystals in, rows on the spec's grid out.

Two ways of drawing, one set of ranges (the spec's):

- :func:`render_batch` draws a whole batch at once (:meth:`PatternSpec.draw_profiles`), renders
  it with the calculator's batch kernel and applies the experimental effects row-wise, the
  impurity phase of a row being another crystal of the same batch (the training streams);
- :func:`render_structures` draws and renders structure by structure, pseudo-Voigt peaks with
  the effects applied by :meth:`XRDCalculator.get_diffractogram` and an impurity drawn from the
  same list (the structure-type training sets).

Both return rows before the model-input tail; pass them to
:func:`~pymatgen_ml_xrd.patterns.pipeline.model_input`. :func:`measured_like` gives
measured-looking Diffractograms of real structures for validation sets.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.diffraction import Diffractogram, XRDCalculator
from pymatgen_ml_xrd.patterns.spec import PatternSpec

__all__ = ["measured_like", "render_batch", "render_structures"]


def render_batch(spec: PatternSpec, arrays: list, calculator: XRDCalculator, rng: np.random.Generator,
                 impurity_shift: int = 1) -> NDArray[np.float32]:
    """(n, spec.n_points) patterns of ``arrays`` (CrystalArrays), maxima 1, with profiles drawn from
    ``spec`` and its experimental effects; row i's impurity phase is row i - ``impurity_shift``
    (cyclically), e.g. the previous crystal when each crystal gives ``impurity_shift`` rows."""
    start, stop, step = spec.two_theta
    draws = spec.draw_profiles(rng, len(arrays))
    if spec.profile == "gaussian":
        x = np.empty((len(arrays), spec.n_points), dtype=np.float32)
        for flag in (False, True):
            rows = np.flatnonzero(draws.kalpha2 == flag)
            if len(rows):
                x[rows] = calculator.get_diffractograms([arrays[i] for i in rows], two_theta_range=(start, stop),
                                                        step=step, crystallite_size=draws.crystallite_size[rows],
                                                        kalpha2=flag, preferred_orientation=[draws.texture[i] for i in rows])  # fmt: skip
    else:
        x = np.stack([
            calculator.get_diffractogram(a, two_theta_range=(start, stop), step=step, profile="pseudo-voigt",
                                         crystallite_size=draws.crystallite_size[i],
                                         caglioti=(draws.caglioti_u[i], 0.0, draws.caglioti_w[i]), eta=draws.eta[i],
                                         kalpha2=bool(draws.kalpha2[i]), preferred_orientation=draws.texture[i]).y
            for i, a in enumerate(arrays)
        ]).astype(np.float32)  # fmt: skip
    effects = spec.experimental_effects()
    if effects is None:
        return x
    impurities = None
    if effects.impurity_fraction is not None:  # another crystal of the same batch (no extra simulation)
        if len(x) > impurity_shift:
            impurities = np.roll(x, impurity_shift, axis=0)
        else:  # a batch of one crystal has no other crystal to mix in
            effects = dataclasses.replace(effects, impurity_fraction=None)
    if spec.effects_fraction >= 1.0:
        return effects.apply(spec.grid, x, rng, impurities=impurities)
    rows = np.flatnonzero(rng.random(len(x)) < spec.effects_fraction)  # the rest stay clean
    if len(rows):
        x[rows] = effects.apply(spec.grid, x[rows], rng, impurities=None if impurities is None else impurities[rows])
    return x


def render_structures(structures: list, spec: PatternSpec, rng: np.random.Generator,
                      calculator: XRDCalculator | None = None) -> NDArray[np.float32]:
    """(n, spec.n_points) pseudo-Voigt patterns of ``structures``, maxima 1, one at a time: sizes,
    Caglioti widths and eta drawn from ``spec`` per structure (:meth:`PatternSpec.draw_pseudo_voigt`),
    then the spec's effects (on a share ``effects_fraction`` of them) with an impurity drawn from
    ``structures``."""
    calc = calculator or XRDCalculator(spec.wavelength)
    start, stop, step = spec.two_theta
    effects = spec.experimental_effects()
    rows = np.empty((len(structures), spec.n_points), dtype=np.float32)
    for i, s in enumerate(structures):
        kwargs = dict(two_theta_range=(start, stop), step=step, **spec.draw_pseudo_voigt(rng))
        if effects is not None and (spec.effects_fraction >= 1.0 or rng.random() < spec.effects_fraction):
            impurity = structures[int(rng.integers(len(structures)))] if effects.impurity_fraction else None
            rows[i] = calc.get_diffractogram(s, effects=effects, seed=rng, impurity=impurity, **kwargs).y
        else:
            rows[i] = calc.get_diffractogram(s, **kwargs).y
    return rows


def measured_like(structures: list, effects, seed: int, spec: PatternSpec | None = None,
                  step: float = 0.02) -> list[Diffractogram]:
    """Measured-looking Diffractograms of ``structures`` for validation: pseudo-Voigt peaks drawn
    from ``spec`` (default ranges when None) over its 2-theta range at ``step`` [deg], K-alpha2 on
    every other pattern, ``effects`` (ExperimentalEffects) with the next structure as the impurity,
    all seeded by ``seed``."""
    spec = spec or PatternSpec(profile="pseudo-voigt")
    rng = np.random.default_rng(seed)
    calc = XRDCalculator(spec.wavelength)
    start, stop = spec.two_theta[:2]
    return [calc.get_diffractogram(s, two_theta_range=(start, stop), step=step, kalpha2=bool(i % 2), effects=effects,
                                   seed=rng, impurity=structures[(i + 1) % len(structures)],
                                   **spec.draw_pseudo_voigt(rng))
            for i, s in enumerate(structures)]  # fmt: skip
