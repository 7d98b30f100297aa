"""The shipped structure-type data: the default type catalogue and the substitution formulas.

Both files are built from ../shared/data by ``python benchmarks/build_structure_types.py`` (not
part of the installed package); this module only reads what the package ships:

- ``pymatgen_ml_xrd/data/structure_types_default.json.gz``: the default types (name, type key,
  space group, Wyckoff letters, anonymized formula, prototype CIFs, how each was matched);
- ``pymatgen_ml_xrd/data/substitution_formulas.json.gz``: {"SG|ANON": reduced formulas} of the
  ICSD formula index, for the element substitution of synthetic members
  (:class:`~pymatgen_ml_xrd.identification.variants.VariantMaker`).
"""

from __future__ import annotations

import gzip
import json
from importlib.resources import files
from pathlib import Path

__all__ = ["CATALOGUE", "SUBSTITUTION_FORMULAS", "load_default_catalogue", "substitution_formulas"]

CATALOGUE = Path(str(files("pymatgen_ml_xrd") / "data" / "structure_types_default.json.gz"))
SUBSTITUTION_FORMULAS = CATALOGUE.with_name("substitution_formulas.json.gz")

_FORMULAS: dict | None = None


def load_default_catalogue() -> dict:
    """The shipped catalogue: ``{"format", "built", "command", "sources", "not_matched", "types"}``."""
    with gzip.open(CATALOGUE, "rt") as fh:
        return json.load(fh)


def substitution_formulas() -> dict[tuple[int, str], list[str]]:
    """{(space group, anonymized formula): reduced formulas} of the shipped table (empty when
    none is shipped); read once."""
    global _FORMULAS
    if _FORMULAS is None:
        if SUBSTITUTION_FORMULAS.is_file():
            with gzip.open(SUBSTITUTION_FORMULAS, "rt") as fh:
                raw = json.load(fh)
            _FORMULAS = {(int(k.split("|")[0]), k.split("|")[1]): v for k, v in raw.items()}
        else:
            _FORMULAS = {}
    return _FORMULAS
