"""One spglib call, tolerant of both of spglib's error-handling modes.

spglib 2.x returns None on failure and warns that it will raise instead in the future; this
wrapper returns None in either mode, without the deprecation warning, and leaves spglib's global
setting (which pymatgen relies on) alone.
"""

from __future__ import annotations

import warnings

import spglib

__all__ = ["symmetry_dataset"]

try:
    from spglib.error import SpglibError
except ImportError:  # older spglib
    SpglibError = RuntimeError  # type: ignore[misc,assignment]


def symmetry_dataset(cell, symprec: float):
    """``spglib.get_symmetry_dataset(cell, symprec)`` or None where spglib finds no symmetry."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return spglib.get_symmetry_dataset(cell, symprec=symprec)
        except SpglibError:
            return None
