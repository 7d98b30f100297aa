"""The pymatgen-exact reflection pipeline of ``XRDCalculator.get_pattern`` in one numba call.

``reflection_intensities`` runs enumeration, shells, form factors, structure factors, sines and
pymatgen's ``Lattice.is_hexagonal`` test in one compiled function: each separate numba call
costs a few microseconds of dispatch (more when the caches are cold, as in a user's loop that
does other work between calls), which at the median structure was as much as the arithmetic.
Two steps stay outside, for bit-exactness with pymatgen: the inverse lattice comes from numpy's
LAPACK inverse (numba's LAPACK rounds differently in about half of all cells, and |g| must be
bit-identical for pymatgen's peak order and merging), and theta from numpy's vectorised arcsin
(see :mod:`.reflection_kernels`).

Inputs are validated arrays (:class:`~.crystal_arrays.CrystalArrays`); nothing here checks them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pymatgen_ml_xrd.diffraction.reflection_kernels import (
    distinct_shells,
    enumerate_reflections,
    form_factor_exponentials,
    sin_theta,
    structure_factors_squared,
)

__all__ = ["reflection_intensities", "index_bounds", "over_limits", "lattice_is_hexagonal"]

#: pymatgen's Lattice.is_hexagonal defaults: angle tolerance [deg] and length tolerance [angstrom]
HEX_ANGLE_TOL = 5.0
HEX_LENGTH_TOL = 0.01


@njit(cache=True)
def lattice_is_hexagonal(lattice):
    """pymatgen's ``Lattice.is_hexagonal()`` (defaults) for rows a, b, c [angstrom].

    Two angles within 5 deg of 90, one within 5 deg of 60 or 120, and the two axes around the
    odd angle within 0.01 angstrom of each other; pymatgen then names hkl families with four
    Miller-Bravais indices.
    """
    lengths = np.empty(3)
    for i in range(3):
        lengths[i] = math.sqrt(lattice[i, 0] ** 2 + lattice[i, 1] ** 2 + lattice[i, 2] ** 2)
    n_right = 0
    n_hex = 0
    right = np.empty(3, dtype=np.int64)
    for dim in range(3):
        j = (dim + 1) % 3
        k = (dim + 2) % 3
        dot = lattice[j, 0] * lattice[k, 0] + lattice[j, 1] * lattice[k, 1] + lattice[j, 2] * lattice[k, 2]
        cosine = min(max(dot / (lengths[j] * lengths[k]), -1.0), 1.0)
        angle = math.degrees(math.acos(cosine))
        if abs(angle - 90.0) <= HEX_ANGLE_TOL:
            right[n_right] = dim
            n_right += 1
        if abs(angle - 60.0) <= HEX_ANGLE_TOL or abs(angle - 120.0) <= HEX_ANGLE_TOL:
            n_hex += 1
    return n_right == 2 and n_hex == 1 and abs(lengths[right[0]] - lengths[right[1]]) <= HEX_LENGTH_TOL


@njit(cache=True)
def index_bounds(lattice, volume, n_atoms, r_max):
    """Bounds on |h|, |k|, |l| for a sphere of radius ``r_max`` [1/angstrom], and its cost.

    Returns:
        hmax, kmax, lmax (floor(r_max |a_i|) + 1), the number of reflections in one Friedel half
        of the sphere, and the bytes of the phase tables (48 per atom and Miller index).
    """
    b0 = int(r_max * math.sqrt(lattice[0, 0] ** 2 + lattice[0, 1] ** 2 + lattice[0, 2] ** 2)) + 1
    b1 = int(r_max * math.sqrt(lattice[1, 0] ** 2 + lattice[1, 1] ** 2 + lattice[1, 2] ** 2)) + 1
    b2 = int(r_max * math.sqrt(lattice[2, 0] ** 2 + lattice[2, 1] ** 2 + lattice[2, 2] ** 2)) + 1
    n_sphere = 2.0 / 3.0 * math.pi * r_max**3 * volume
    table_bytes = 48.0 * n_atoms * ((2 * b0 + 1) + (2 * b1 + 1) + (2 * b2 + 1))
    return b0, b1, b2, n_sphere, table_bytes


@njit(cache=True)
def over_limits(hmax, kmax, lmax, n_sphere, table_bytes, max_reflections, max_index):
    """The memory guard: more reflections than ``max_reflections``, phase tables above 100 bytes
    per allowed reflection, or a Miller index of ``max_index`` or more (the one rule, shared by
    :func:`reflection_intensities` and the calculator's dense path)."""
    return n_sphere > max_reflections or table_bytes > 100.0 * max_reflections or max(hmax, kmax, lmax) >= max_index


@njit(cache=True)
def reflection_intensities(
    lattice, inv_lattice, volume, r_min, r_max, max_reflections, max_index,
    frac, occ, atom_element, element_rows, dw_b, ustar, wavelength,
):  # fmt: skip
    """Reflections of one Friedel half-space in pymatgen's order with |F|^2 and sin(theta).

    Args:
        lattice: (3, 3) rows a, b, c [angstrom]; inv_lattice: numpy's inverse of it; volume
            [angstrom^3].
        r_min, r_max: shell [1/angstrom].
        max_reflections, max_index: refuse (``ok`` False, nothing computed) what
            :func:`over_limits` refuses.
        frac, occ, atom_element, element_rows: the crystal (:class:`~.crystal_arrays.CrystalArrays`).
        dw_b: (n_el,) isotropic Debye-Waller B [angstrom^2] per element, or shape (0,) for none.
        ustar: (n, 3, 3) anisotropic U* per atom row, or shape (0, 3, 3) for none.
        wavelength: [angstrom].

    Returns:
        ok, hkl (M, 3), |g| (M,) [1/angstrom], |F|^2 (M,) [electrons^2], sin(theta) (M,), and
        whether pymatgen calls the lattice hexagonal.
    """
    n_atoms = frac.shape[0]
    hmax, kmax, lmax, n_sphere, table_bytes = index_bounds(lattice, volume, n_atoms, r_max)
    hexagonal = lattice_is_hexagonal(lattice)
    if over_limits(hmax, kmax, lmax, n_sphere, table_bytes, max_reflections, max_index):
        empty = np.empty(0)
        return False, np.empty((0, 3), dtype=np.int64), empty, empty, empty, hexagonal
    hkl, g = enumerate_reflections(inv_lattice, hmax, kmax, lmax, r_min, r_max)
    s2, shell = distinct_shells(g)
    expo = form_factor_exponentials(s2, element_rows, dw_b)
    f2 = structure_factors_squared(hkl, shell, s2, expo, frac, occ, atom_element, element_rows, ustar)
    return True, hkl, g, f2, sin_theta(g, wavelength), hexagonal
