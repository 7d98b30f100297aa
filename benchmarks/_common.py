"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import json
import platform
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def load_structures(path: Path, n: int | None = None, seed: int = 0):
    """Parse the CIF column of one of ../shared/data/structures/*.csv.gz; returns (rows, structures)."""
    from pymatgen.core import Structure

    df = pd.read_csv(path)
    if n is not None and n < len(df):
        df = df.sample(n, random_state=seed)
    structures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cif in df["cif"]:
            structures.append(Structure.from_str(cif, fmt="cif"))
    return df.reset_index(drop=True), structures


def machine() -> dict:
    import os

    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "numpy": np.__version__,
    }


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=float))
    print(f"\nwrote {path}")


def rows_in_processes(rows_of, items: list, jobs: int) -> list:
    """``rows_of(items)`` (a module-level function returning one list entry per item), split over
    ``jobs`` spawned processes when ``jobs`` > 1 (each loads what it needs itself); the rows come
    back grouped by process, not in the order of ``items``."""
    if jobs <= 1:
        return rows_of(items)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    parts = [items[i::jobs] for i in range(jobs)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [row for part in pool.map(rows_of, parts) for row in part]
