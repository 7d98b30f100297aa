"""The one model-input pipeline: rows on a spec's grid -> background removal -> preprocessing.

:func:`model_rows` is what every estimator's predict (and fit on given patterns) calls on user
input; :func:`model_input` is its tail, which the training streams and the structure-type
training sets call on simulated rows. Both take a :class:`~pymatgen_ml_xrd.patterns.spec.
PatternSpec`, so a model sees in prediction exactly what it saw in training.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.patterns.background import remove_background
from pymatgen_ml_xrd.patterns.inputs import patterns_on_grid
from pymatgen_ml_xrd.patterns.preprocessing import preprocess_patterns
from pymatgen_ml_xrd.patterns.spec import PatternSpec

__all__ = ["model_input", "model_rows"]


def model_input(rows: NDArray, spec: PatternSpec, allow_zero_rows: bool = True) -> NDArray[np.float32]:
    """Rows (n, spec.n_points) on the spec's grid as the model takes them: the spec's background
    removal, then its preprocessing (each row scaled to maximum 1 first).

    ``allow_zero_rows``: True for training rows (a row whose effects masked every peak stays
    zero); False for user input, where a row left empty by the background removal is an error.

    Raises:
        InvalidParameterError: rows of another shape, or (``allow_zero_rows=False``) rows that are
            empty after background removal (named by index).
    """
    rows = np.asarray(rows)
    if rows.ndim != 2 or rows.shape[1] != spec.n_points:
        raise InvalidParameterError(f"rows must have shape (n, {spec.n_points}) for the spec's grid, got {rows.shape}")
    if spec.measured:
        before = rows.max(axis=1) if not allow_zero_rows else None
        # the step as the grid's first difference (0.04 + 4e-17 on the shipped grids), as every
        # shipped model was used with; it sets SNIP's half window in whole points
        step = float(spec.grid[1] - spec.grid[0])
        rows = remove_background(rows, step, spec.background, spec.background_window)
        empty = None if before is None else ~(rows.max(axis=1) > 1e-6 * before)  # round-off is not a peak
        if empty is not None and empty.any():
            raise InvalidParameterError(f"pattern(s) {np.flatnonzero(empty).tolist()} are empty after background "
                                        "removal (no peaks above the background)")  # fmt: skip
    return preprocess_patterns(rows, spec.preprocessing, allow_zero_rows=allow_zero_rows)


def model_rows(data, spec: PatternSpec, calculator=None) -> NDArray[np.float32]:
    """Model-input rows of user input ``data`` (any kind :func:`patterns_on_grid` accepts): on the
    spec's grid and wavelength (negative scans raised when the spec removes a background;
    structures simulated by ``calculator``), then :func:`model_input`.

    Raises:
        InvalidParameterError: as :func:`patterns_on_grid` and :func:`model_input`.
    """
    rows = patterns_on_grid(data, spec.grid, spec.wavelength_angstrom, calculator, offset_negative=spec.measured)
    return model_input(rows, spec, allow_zero_rows=False)
