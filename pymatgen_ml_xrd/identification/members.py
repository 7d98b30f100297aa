"""Real members of structure types: every structure of ../shared/data/structures with its type key.

:func:`type_key_table` parses the CIFs of the generator's structure files (Materials Project and
AFLOW; de-duplicated by material id), computes :func:`~.type_keys.structure_type_key` for each and
marks the half it belongs to (:func:`~pymatgen_ml_xrd.generation.build_default.in_statistics_half`:
the statistics half trains, the other half is held out by material). Parsing ~18,000 CIFs takes a
few minutes, so the table is cached as CSV.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from pymatgen_ml_xrd.generation.build_default import STRUCTURE_FILES, in_statistics_half, material_ids
from pymatgen_ml_xrd.identification.type_keys import structure_type_key

__all__ = ["type_key_table", "member_structures"]

COLUMNS = ("material_id", "file", "row", "formula", "key", "train")


def type_key_table(data: Path, cache: Path | None = None) -> pd.DataFrame:
    """One row per real structure: material_id, file, row, reduced formula, key ("" when the
    structure has none: disordered or no symmetry), train (statistics half)."""
    if cache is not None and Path(cache).is_file():
        table = pd.read_csv(cache, keep_default_na=False)
        if tuple(table.columns) == COLUMNS:
            return table
    from pymatgen.core import Structure

    rows, seen = [], set()
    for name in STRUCTURE_FILES:
        frame = pd.read_csv(Path(data) / "structures" / f"{name}.csv.gz")
        for i, (mid, cif) in enumerate(zip(material_ids(name, frame), frame["cif"])):
            if mid in seen:
                continue
            seen.add(mid)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = Structure.from_str(cif, fmt="cif")
            try:
                key = structure_type_key(s)
            except Exception:  # noqa: BLE001 - recorded as "no key", counted by callers
                key = ""
            rows.append((mid, name, i, s.composition.reduced_formula, key, in_statistics_half(mid)))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(cache, index=False)
    return table


def member_structures(data: Path, table: pd.DataFrame) -> list:
    """pymatgen Structures of the rows of ``table`` (in its order)."""
    from pymatgen.core import Structure

    frames: dict[str, pd.DataFrame] = {}
    out = []
    for name, i in zip(table["file"], table["row"]):
        if name not in frames:
            frames[name] = pd.read_csv(Path(data) / "structures" / f"{name}.csv.gz")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(Structure.from_str(frames[name]["cif"].iloc[int(i)], fmt="cif"))
    return out
