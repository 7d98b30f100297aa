"""The similarity S of a pattern to a structure type (the S of paper 003's reliability).

Paper 003 takes the cosine similarity between the input and the *average* training pattern of a
type. The members of a type differ in lattice parameters, so their peaks do not line up and the
average is a blur that resembles every pattern about equally (measured on the 6 types of the
first default RCNet, held-out members: the type with the highest S was right for 31% with
averages of effect-laden training patterns, 61% with averages of clean ones). Here S_t is the
largest cosine similarity between the input and a set of clean reference patterns of type t,
both blurred by a Gaussian of 0.5 deg (so that small lattice differences still overlap) and
kept every ``DOWNSAMPLE``-th point: 88% on the same test, and a better in/out separation.

References are stored as float16 (a few tens per type, ~0.5 KB each on the default grid).
"""

from __future__ import annotations

import base64

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter1d

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["BLUR_DEG", "DOWNSAMPLE", "similarity_features", "max_similarity", "encode_array", "decode_array"]

#: standard deviation [deg 2-theta] of the Gaussian blur before comparing patterns
BLUR_DEG = 0.5
#: keep every DOWNSAMPLE-th point of the blurred pattern
DOWNSAMPLE = 4


def similarity_features(rows: NDArray, step: float) -> NDArray[np.float32]:
    """Blurred, down-sampled, unit-length versions of model-input ``rows`` (n, n_points) on a grid
    of ``step`` [deg]; all-zero rows stay zero."""
    x = np.asarray(rows, dtype=np.float32)
    blurred = gaussian_filter1d(x, BLUR_DEG / float(step), axis=1, mode="constant")[:, ::DOWNSAMPLE]
    norms = np.linalg.norm(blurred, axis=1, keepdims=True)
    return (blurred / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def max_similarity(features: NDArray, references: NDArray, reference_types: NDArray, n_types: int) -> NDArray:
    """(n, n_types): for every row of ``features`` the largest cosine similarity to a reference of
    each type (``reference_types[i]`` is the type index of ``references[i]``; both from
    :func:`similarity_features`). A type without references gets 0."""
    cos = np.asarray(features, dtype=np.float32) @ np.asarray(references, dtype=np.float32).T
    out = np.zeros((len(features), n_types))
    for t in range(n_types):
        cols = reference_types == t
        if cols.any():
            out[:, t] = cos[:, cols].max(axis=1)
    return out


def encode_array(a: NDArray, dtype: str = "float16") -> dict:
    """JSON-able form of an array: dtype, shape and base64 bytes."""
    a = np.ascontiguousarray(a, dtype=dtype)
    return {"dtype": dtype, "shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def decode_array(d: dict) -> NDArray:
    """Inverse of :func:`encode_array`; raises InvalidParameterError (a ValueError) on a size mismatch."""
    raw = base64.b64decode(d["data"])
    a = np.frombuffer(raw, dtype=np.dtype(d["dtype"]))
    shape = tuple(int(v) for v in d["shape"])
    if a.size != int(np.prod(shape)):
        raise InvalidParameterError(f"array of shape {shape} has {a.size} values")
    return a.reshape(shape)
