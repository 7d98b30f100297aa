"""Examples shipped with the package (see docs/data.md for their provenance):

- five structures from the Materials Project (CC-BY-4.0), ``data/examples/*.cif``;
- one measured lab scan, a weighed TiO2 (anatase) + ZnO powder mixture from the dara project
  (MIT licence, ``data/examples/measured/``), with the references that explain it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from pymatgen.core import Lattice, Structure

__all__ = ["MeasuredExample", "anatase", "example_cif_paths", "example_structures", "measured_example"]

_MEASURED_SCAN = "TiO2_0p4009-ZnO_0p6010--8min.xrdml"


def _examples_folder() -> Path:
    return Path(str(files("pymatgen_ml_xrd") / "data" / "examples"))


def example_cif_paths() -> list[Path]:
    """Paths of the shipped example CIFs, sorted by name."""
    return sorted(p for p in _examples_folder().iterdir() if p.name.endswith(".cif"))


def example_structures() -> dict[str, Structure]:
    """{file stem: Structure} for the shipped examples, e.g. ``"ZnO_mp-2133"``."""
    return {p.stem: Structure.from_file(p) for p in example_cif_paths()}


def anatase() -> Structure:
    """TiO2 anatase (I4_1/amd, origin choice 1) from its published coordinates: Ti on 4a
    (0, 0, 0), O on 8e (0, 0, 0.208); a = 3.785, c = 9.514 angstrom (Horn, Schwerdtfeger &
    Meagher, Z. Kristallogr. 136, 273 (1972))."""
    return Structure.from_spacegroup("I4_1/amd", Lattice.tetragonal(3.785, 9.514), ["Ti", "O"],
                                     [[0, 0, 0], [0, 0, 0.208]])  # fmt: skip


@dataclass
class MeasuredExample:
    """A measured scan with what is known about it.

    Attributes:
        path: the scan file (PANalytical .xrdml, Cu K-alpha).
        references: {name: Structure} of the phases weighed into the sample.
        weighed: {name: weight fraction} as weighed (from the file name).
        source: where the scan comes from.
    """

    path: Path
    references: dict[str, Structure] = field(repr=False)
    weighed: dict[str, float]
    source: str


def measured_example() -> MeasuredExample:
    """The shipped measured scan: 40.09 wt% TiO2 anatase + 60.10 wt% ZnO, an 8-minute lab scan
    (Cu K-alpha, PANalytical .xrdml) from the dara project's precursor mixtures (MIT licence,
    ``data/examples/measured/LICENSE-dara``); references: the shipped ZnO (mp-2133) and
    :func:`anatase`."""
    zno = Structure.from_file(_examples_folder() / "ZnO_mp-2133.cif")
    return MeasuredExample(
        path=_examples_folder() / "measured" / _MEASURED_SCAN,
        references={"ZnO_mp-2133": zno, "TiO2_anatase": anatase()},
        weighed={"ZnO_mp-2133": 0.6010, "TiO2_anatase": 0.4009},
        source="dara-xrd (Yuxing Fei, MIT licence), benchmark data precursor_mixture/" + _MEASURED_SCAN,
    )
