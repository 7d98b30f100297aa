"""Structure-type keys: space group | Wyckoff letters | anonymized formula.

Two structures share a key when spglib (at ``symprec``) gives them the same space group, the
same multiset of Wyckoff letters over their symmetry-distinct sites, and the same anonymized
formula — the convention of the ``structure_type_key`` column of ../shared/data/structures/
aflow_statistics.csv.gz (e.g. ``"221|abc|ABC3"`` for cubic perovskite). The key is a cheap
stand-in for ICSD's structure-type assignment: it ignores free coordinates and axial ratios.
"""

from __future__ import annotations

import numpy as np
from pymatgen.core import IStructure

from pymatgen_ml_xrd.errors import InvalidStructureError
from pymatgen_ml_xrd.generation.spglib_dataset import symmetry_dataset

__all__ = ["structure_type_key", "split_key"]


def structure_type_key(structure: IStructure, symprec: float = 0.1) -> str:
    """The key ``"SG|letters|ANON"`` of an ordered structure.

    Raises:
        InvalidStructureError: disordered sites, or no symmetry found by spglib.
    """
    if not structure.is_ordered:
        raise InvalidStructureError(f"{structure.composition.reduced_formula}: disordered structures have no type key")
    numbers = [site.specie.Z for site in structure]
    dataset = symmetry_dataset((structure.lattice.matrix, structure.frac_coords, numbers), symprec)
    if dataset is None:
        raise InvalidStructureError(f"{structure.composition.reduced_formula}: spglib found no symmetry")
    unique = np.unique(np.asarray(dataset.equivalent_atoms))
    letters = "".join(sorted(dataset.wyckoffs[i] for i in unique))
    return f"{int(dataset.number)}|{letters}|{structure.composition.anonymized_formula}"


def split_key(key: str) -> tuple[int, str, str]:
    """(space group, Wyckoff letters, anonymized formula) of a key."""
    group, letters, formula = key.split("|")
    return int(group), letters, formula
