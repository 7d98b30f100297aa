"""The generator's space-group check: moyopy's space group of a cell, behind an overlap rule.

moyopy (Rust, from spglib's successor project, same tolerance semantics in angstrom) gives the
same space group as spglib on generated cells at a fifth of the cost (`benchmarks/bench_generator.py`
prints the agreement table; spglib was three quarters of the time per crystal). The one
systematic difference: spglib refuses cells in which two atoms of one element lie closer than
``symprec`` (a free Wyckoff coordinate drawn next to a special position), where moyopy merges
them and answers. Such cells are overlapping atoms, not crystals, so :func:`space_group_number`
refuses them first - and, unlike spglib, also when the two atoms are of different elements
(0.2 % of the candidate cells; spglib named a group for those).
"""

from __future__ import annotations

import math

import moyopy
import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["space_group_number", "atoms_overlap"]


@njit(cache=True)
def atoms_overlap(lattice, frac, tol):
    """Whether two atoms of the cell lie closer than ``tol`` [angstrom] (periodic images included).

    The fractional difference of each pair is wrapped to the nearest lattice vector; that is
    the minimum image for distances far below the cell's shortest width, which holds for the
    tolerances of a symmetry search (<= 1 angstrom).
    """
    n = frac.shape[0]
    tol2 = tol * tol
    for i in range(n):
        for j in range(i + 1, n):
            d0 = frac[i, 0] - frac[j, 0]
            d1 = frac[i, 1] - frac[j, 1]
            d2 = frac[i, 2] - frac[j, 2]
            d0 -= math.floor(d0 + 0.5)
            d1 -= math.floor(d1 + 0.5)
            d2 -= math.floor(d2 + 0.5)
            x = d0 * lattice[0, 0] + d1 * lattice[1, 0] + d2 * lattice[2, 0]
            y = d0 * lattice[0, 1] + d1 * lattice[1, 1] + d2 * lattice[2, 1]
            z = d0 * lattice[0, 2] + d1 * lattice[1, 2] + d2 * lattice[2, 2]
            if x * x + y * y + z * z < tol2:
                return True
    return False


def space_group_number(
    lattice: NDArray[np.float64], frac: NDArray[np.float64], numbers: NDArray[np.int64], symprec: float
) -> int | None:
    """Space group number (1-230) of a cell at tolerance ``symprec`` [angstrom], or None.

    None where two atoms overlap (closer than ``symprec``, whatever their elements) or moyopy
    finds no symmetry. Callers pass validated arrays: a (3, 3) lattice (rows a, b, c [angstrom]) of
    non-zero volume, (n, 3) finite fractional coordinates, (n,) atomic numbers, and
    1e-5 <= symprec <= 1 (the generator checks it once).
    """
    if atoms_overlap(lattice, frac, symprec):
        return None
    try:
        dataset = moyopy.MoyoDataset(moyopy.Cell(lattice.tolist(), frac.tolist(), numbers.tolist()), symprec=symprec)
    except Exception:  # noqa: BLE001 - moyopy raises its own errors for cells it cannot analyse
        return None
    return int(dataset.number)
