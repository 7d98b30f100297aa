"""Shared fixtures: real structures copied into tests/data (see tests/data/make_test_data.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from pymatgen.core import Structure

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def real_table() -> pd.DataFrame:
    return pd.read_csv(DATA / "real_structures.csv.gz")


@pytest.fixture(scope="session")
def real_structures(real_table) -> list[Structure]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [Structure.from_str(cif, fmt="cif") for cif in real_table["cif"]]


@pytest.fixture(scope="session")
def disordered_structures() -> list[Structure]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [Structure.from_file(p) for p in sorted((DATA / "disordered").glob("*.cif"))]
