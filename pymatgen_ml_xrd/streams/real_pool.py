"""A pool of real crystals mixed into the synthetic stream (``BatchConfig.real_fraction``).

Paper 001 trains either on synthetic crystals or directly on ICSD crystals; mixing a share of
real crystals into every synthetic batch brings the real distribution of cells, compositions
and site occupations into training while the stream stays infinite (each real crystal is drawn
again and again with a fresh crystallite size). The pool is a file so that worker processes and
Ray actors can load it once: :func:`write_real_pool` writes it, :func:`load_real_pool` reads it.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.diffraction.crystal_arrays import CrystalArrays
from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["write_real_pool", "load_real_pool"]

_FORMAT = "pymatgen_ml_xrd.real_pool/1"


def write_real_pool(structures, space_groups, path: str | Path) -> Path:
    """Write crystals (pymatgen Structures or CrystalArrays) and their space-group numbers.

    Raises:
        InvalidParameterError: lengths differ, a group outside 1-230, or no crystal given.
    """
    structures = list(structures)
    groups = np.asarray(space_groups, dtype=np.int64)
    if len(structures) == 0 or groups.shape != (len(structures),):
        raise InvalidParameterError(f"need one space group per crystal, got {groups.shape} for {len(structures)} crystals")
    if ((groups < 1) | (groups > 230)).any():
        raise InvalidParameterError("space-group numbers must lie in 1-230")
    arrays = [s if isinstance(s, CrystalArrays) else CrystalArrays.from_structure(s) for s in structures]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump({"format": _FORMAT, "arrays": arrays, "space_groups": groups}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_real_pool(path: str | Path, classes) -> tuple[list[CrystalArrays], NDArray[np.int64]]:
    """The crystals of a pool file whose space group is among ``classes``, with their groups.

    Only read files written by :func:`write_real_pool` (a pickle).
    """
    with Path(path).open("rb") as fh:
        data = pickle.load(fh)  # noqa: S301 - the package's own file, see the docstring
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise InvalidParameterError(f"{path} is not a real-crystal pool written by write_real_pool")
    keep = np.isin(data["space_groups"], np.asarray(list(classes)))
    if not keep.any():
        raise InvalidParameterError(f"no crystal of the pool {path} has a space group among the classes")
    arrays = [a for a, k in zip(data["arrays"], keep) if k]
    return arrays, data["space_groups"][keep]
