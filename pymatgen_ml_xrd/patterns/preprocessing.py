"""Pattern preprocessing, the last model-input step (plain numpy; see :mod:`.pipeline`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["preprocess_patterns", "PREPROCESSING"]

PREPROCESSING = ("sqrt", "none")


def preprocess_patterns(x: NDArray, method: str = "sqrt", allow_zero_rows: bool = False) -> NDArray[np.float32]:
    """Scale each row to maximum 1, then apply ``method`` ("sqrt": square root, paper 001);
    float32 out.

    Rows must be non-negative with a positive maximum (callers validate user input); with
    ``allow_zero_rows`` (training batches whose effects masked every peak) all-zero rows stay zero.
    """
    if method not in PREPROCESSING:
        raise InvalidParameterError(f"preprocessing must be one of {PREPROCESSING}, got {method!r}")
    x = np.asarray(x)
    # scaled in the input's precision (float64 for user patterns: intensities of 1e39 or 1e-300
    # overflow or underflow float32 before the scaling), cast after
    x = x.astype(np.float32 if x.dtype == np.float32 else np.float64, copy=False)
    top = x.max(axis=-1, keepdims=True)
    if allow_zero_rows:
        top = np.where(top > 0, top, 1.0).astype(x.dtype)
    x = (x / top).astype(np.float32, copy=False)
    return np.sqrt(x) if method == "sqrt" else x
