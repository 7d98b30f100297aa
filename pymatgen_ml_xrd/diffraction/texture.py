"""Preferred orientation (texture) by the March-Dollase function.

A powder whose crystallites are plates or needles lies with a preferred direction along the
diffraction vector (Bragg-Brentano). March (1932) and Dollase (1986) give the weight of a
reflection whose scattering vector makes the angle alpha with the preferred direction:

    P(alpha) = (r^2 cos^2 alpha + sin^2 alpha / r)^(-3/2)

r = 1 is a random powder; r < 1 (plates lying flat, normal along the preferred direction)
strengthens reflections parallel to it, r > 1 (needles) weakens them. P averages to 1 over the
sphere, so the total scattered intensity is kept. Every reflection of a family gets its own
weight (the calculator enumerates all reciprocal points of one Friedel half; P is even in
cos alpha, so the other half weighs the same), which is the exact powder average for this
model, not the single-angle approximation some programs apply per family.

The preferred direction is the normal of the lattice plane (h k l): the reciprocal vector
h b1 + k b2 + l b3. Kernels take validated arrays; :func:`check_preferred_orientation` is the
user-facing check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = [
    "LOW_INDEX_DIRECTIONS",
    "NO_TEXTURE",
    "check_preferred_orientation",
    "march_dollase",
    "march_dollase_weights",
    "random_preferred_orientation",
]

#: plane normals drawn by :func:`random_preferred_orientation` (the habits plates and needles take)
LOW_INDEX_DIRECTIONS = np.array(
    [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]], dtype=np.float64
)
#: (direction, r) that switches texture off in the kernels
NO_TEXTURE = (np.array([0.0, 0.0, 1.0]), 1.0)


@njit(cache=True)
def march_dollase(r, cos_alpha):
    """March-Dollase weight P for one reflection (r > 0, |cos_alpha| <= 1)."""
    c2 = cos_alpha * cos_alpha
    return (r * r * c2 + (1.0 - c2) / r) ** -1.5


@njit(cache=True)
def march_dollase_weights(hkl, inv_lattice, direction, r):
    """Weights (M,) of reflections ``hkl`` (M, 3) for the plane normal ``direction`` (3,) (Miller
    indices, any real numbers not all zero) and March-Dollase ``r`` > 0.

    ``inv_lattice`` is ``np.linalg.inv(lattice_matrix)``; its transpose holds the reciprocal
    basis b1, b2, b3 as rows [1/angstrom] (the 2 pi convention cancels in the angle).
    """
    n0 = direction[0] * inv_lattice[0, 0] + direction[1] * inv_lattice[0, 1] + direction[2] * inv_lattice[0, 2]
    n1 = direction[0] * inv_lattice[1, 0] + direction[1] * inv_lattice[1, 1] + direction[2] * inv_lattice[1, 2]
    n2 = direction[0] * inv_lattice[2, 0] + direction[1] * inv_lattice[2, 1] + direction[2] * inv_lattice[2, 2]
    norm_n = math.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
    m = hkl.shape[0]
    out = np.empty(m)
    for i in range(m):
        h = float(hkl[i, 0])
        k = float(hkl[i, 1])
        l = float(hkl[i, 2])
        g0 = h * inv_lattice[0, 0] + k * inv_lattice[0, 1] + l * inv_lattice[0, 2]
        g1 = h * inv_lattice[1, 0] + k * inv_lattice[1, 1] + l * inv_lattice[1, 2]
        g2 = h * inv_lattice[2, 0] + k * inv_lattice[2, 1] + l * inv_lattice[2, 2]
        norm_g = math.sqrt(g0 * g0 + g1 * g1 + g2 * g2)
        c = (g0 * n0 + g1 * n1 + g2 * n2) / (norm_g * norm_n)
        out[i] = march_dollase(r, min(max(c, -1.0), 1.0))
    return out


def check_preferred_orientation(value) -> tuple[NDArray[np.float64], float]:
    """Validate ``((h, k, l), r)`` (or None) and return (direction float64 (3,), r).

    None gives :data:`NO_TEXTURE`. Raises InvalidParameterError naming the problem.
    """
    if value is None:
        return NO_TEXTURE[0].copy(), NO_TEXTURE[1]
    if not (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2):
        raise InvalidParameterError(
            f"preferred_orientation must be ((h, k, l), r) with r the March-Dollase parameter, got {value!r}"
        )
    direction, r = value
    try:
        d = np.asarray(direction, dtype=np.float64)
        r = float(r)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"preferred_orientation must be ((h, k, l), r), got {value!r}") from None
    if d.shape != (3,) or not np.isfinite(d).all() or not d.any():
        raise InvalidParameterError(f"preferred_orientation direction must be 3 finite Miller indices, not all zero; "
                                    f"got {direction!r}")  # fmt: skip
    if not (math.isfinite(r) and r > 0):
        raise InvalidParameterError(f"the March-Dollase r must be positive (1 = no texture), got {r!r}")
    return d, r


def random_preferred_orientation(rng: np.random.Generator, r_range: tuple[float, float]) -> tuple[NDArray, float]:
    """A plane normal from :data:`LOW_INDEX_DIRECTIONS` and r log-uniform in ``r_range``."""
    direction = LOW_INDEX_DIRECTIONS[rng.integers(len(LOW_INDEX_DIRECTIONS))].copy()
    lo, hi = math.log(r_range[0]), math.log(r_range[1])
    return direction, float(math.exp(rng.uniform(lo, hi)))
