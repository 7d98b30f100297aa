"""Example structures shipped with the package (Materials Project, CC-BY-4.0; see docs/data.md)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pymatgen.core import Structure

__all__ = ["example_cif_paths", "example_structures"]


def example_cif_paths() -> list[Path]:
    """Paths of the shipped example CIFs, sorted by name."""
    folder = files("pymatgen_ml_xrd") / "data" / "examples"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".cif"))


def example_structures() -> dict[str, Structure]:
    """{file stem: Structure} for the shipped examples, e.g. ``"ZnO_mp-2133"``."""
    return {p.stem: Structure.from_file(p) for p in example_cif_paths()}
