"""Pattern preprocessing, the last model-input step (plain numpy; see :mod:`.pipeline`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["preprocess_patterns", "PREPROCESSING"]

PREPROCESSING = ("sqrt", "none")


def preprocess_patterns(x: NDArray, method: str = "sqrt", allow_zero_rows: bool = False) -> NDArray[np.float32]:
    """Scale each row to maximum 1, then apply ``method`` ("sqrt": square root, paper 001).

    Rows must be non-negative with a positive maximum (callers validate user input); with
    ``allow_zero_rows`` (training batches whose effects masked every peak) all-zero rows stay zero.
    """
    if method not in PREPROCESSING:
        raise InvalidParameterError(f"preprocessing must be one of {PREPROCESSING}, got {method!r}")
    x = np.asarray(x, dtype=np.float32)
    top = x.max(axis=-1, keepdims=True)
    if allow_zero_rows:
        top = np.where(top > 0, top, np.float32(1.0))
    x = x / top
    return np.sqrt(x) if method == "sqrt" else x
