"""The real structures of a data folder (../shared/data in a clone), split in two halves: the half
the shipped generator statistics were built from, and the held-out half that every benchmark and
training validation uses.

Only training recipes (:mod:`pymatgen_ml_xrd.recipes`), the statistics builder and the
benchmarks read it; nothing the package ships depends on the folder being there. The layout:
``DATA/structures/NAME.csv.gz`` with a ``cif`` column (and ``material_id`` where the source has
one), see ../shared/data/README.md.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pandas as pd

__all__ = ["STRUCTURE_FILES", "held_out_structures", "in_statistics_half", "load_statistics_structures",
           "material_ids", "statistics_half_with_groups"]

STRUCTURE_FILES = ("mpts52_val", "mp20_biternary_val", "mp20_pilot_val", "mp20_pilot_train", "aflow_statistics")


def in_statistics_half(material_id: str) -> bool:
    """True for the half of the materials whose statistics the shipped generator uses."""
    return int(hashlib.sha1(material_id.encode()).hexdigest(), 16) % 2 == 0


def material_ids(name: str, frame: pd.DataFrame) -> list[str]:
    """Identifier per row: MP material_id, or ``aflow_statistics-<row>`` where there is none."""
    if "material_id" in frame.columns:
        return frame["material_id"].astype(str).tolist()
    return [f"{name}-{i}" for i in range(len(frame))]


def held_out_structures(data: Path, name: str, n: int | None = None, seed: int = 0):
    """Structures of ``data/structures/name.csv.gz`` outside the statistics half (unseen by the
    shipped generator), ``n`` of them at random, with their space groups: the file's
    ``spacegroup.number`` column where it has one, else spglib (symprec 0.1) via pymatgen.

    Returns:
        (list of Structure, int array of space-group numbers)
    """
    import numpy as np
    from pymatgen.core import Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    frame = pd.read_csv(data / "structures" / f"{name}.csv.gz")
    rows = [i for i, mid in enumerate(material_ids(name, frame)) if not in_statistics_half(mid)]
    rows = np.random.default_rng(seed).permutation(rows)[:n]
    structures, groups = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in rows:
            s = Structure.from_str(frame["cif"].iloc[i], fmt="cif")
            structures.append(s)
            if "spacegroup.number" in frame.columns:
                groups.append(int(frame["spacegroup.number"].iloc[i]))
            else:
                groups.append(SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number())
    return structures, np.array(groups, dtype=np.int64)


def load_statistics_structures(data: Path, half: bool = True):
    """Structures of STRUCTURE_FILES, de-duplicated by id, optionally only the statistics half."""
    from pymatgen.core import Structure

    seen: set[str] = set()
    structures = []
    for name in STRUCTURE_FILES:
        frame = pd.read_csv(data / "structures" / f"{name}.csv.gz")
        for mid, cif in zip(material_ids(name, frame), frame["cif"]):
            if mid in seen or (half and not in_statistics_half(mid)):
                continue
            seen.add(mid)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                structures.append(Structure.from_str(cif, fmt="cif"))
    return structures


def statistics_half_with_groups(data: Path):
    """The real structures the generator statistics were built from (never the held-out half),
    with space groups from spglib (symprec 0.1, as for the held-out structures): the real
    crystals mixed into training streams (``real_fraction``)."""
    import numpy as np
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    structures = load_statistics_structures(data)
    groups = np.array([SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number() for s in structures])
    return structures, groups
