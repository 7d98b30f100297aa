"""The package's own structure-type plugin: the shipped RCNets (pretrained/structure_types/).

Registered by StructureTypeIdentifier under the name "pymatgen_ml_xrd" through the same hooks as
any installed plugin (:mod:`pymatgen_ml_xrd.hooks`).

Its structure types are the RCNets' types, and each type's prototypes come from three places, in
this order:

1. the published structures of ``data/literature_prototypes.json`` (the named compound where the
   catalogue lacked it: PbTiO3 for the PbTiO3 type, calcite for its key, ...; written by
   benchmarks/build_literature_prototypes.py, each with its source);
2. the catalogue's (``data/structure_types_default.json.gz``: AFLOW's prototype and real members);
3. those the RCNet was trained on (its file keeps only these).

The published file also adds types of paper 003 that no RCNet knows yet (olivine, garnet,
bixbyite, apatite). The fit-based answers (:class:`~pymatgen_ml_xrd.PhaseIdentifier`) see all of
them; the RCNets see their own.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from pymatgen_ml_xrd.hooks import hookimpl

NAME = "pymatgen_ml_xrd"


def rcnet_folder() -> Path:
    return Path(str(files("pymatgen_ml_xrd") / "pretrained" / "structure_types"))


def _entries() -> list[dict]:
    out = []
    for meta in sorted(rcnet_folder().glob("rcnet_*.json")):
        types = [t["name"] for t in json.loads(meta.read_text())["types"]]
        out.append({"path": str(meta.with_suffix("")), "types": types})
    return out


@hookimpl
def pmlxrd_rcnets() -> list:
    return _entries()


def _literature_file() -> dict:
    return json.loads(Path(str(files("pymatgen_ml_xrd") / "data" / "literature_prototypes.json")).read_text())


def literature_prototypes() -> dict[str, dict]:
    """{type name: record} of the shipped published prototypes (see the module docstring)."""
    return {t["name"]: t for t in _literature_file()["types"]}


def equivalent_types() -> dict[str, str]:
    """{type name: the name it is reported under} for the default types that are one structure
    under two names (Wyckoff letters of another origin: spinel's 8a/8b, nickeline's 2c/2d, ...);
    other names map to themselves (not listed)."""
    return dict(_literature_file().get("equivalent", {}))


@hookimpl
def pmlxrd_structure_types() -> list:
    from pymatgen_ml_xrd.identification.catalogue import load_default_catalogue

    literature = literature_prototypes()
    catalogue = {t["name"]: t["prototypes"] for t in load_default_catalogue()["types"]}
    records = []
    for meta in sorted(rcnet_folder().glob("rcnet_*.json")):
        for t in json.loads(meta.read_text())["types"]:
            record = {k: v for k, v in t.items() if k != "source"}
            published = literature.pop(t["name"])["prototypes"] if t["name"] in literature else []
            # the named compound first, then the catalogue's prototypes (AFLOW's and real members;
            # the RCNet files keep only the members they were trained on), then the RCNet's own
            merged = [*published, *catalogue.get(t["name"], []), *record["prototypes"]]
            record["prototypes"] = list(dict.fromkeys(merged))
            records.append(record)
    for name, t in literature.items():  # types without an RCNet
        records.append({"name": name, "space_group": t["space_group"], "anonymized_formula": t["anonymized_formula"],
                        "wyckoff_sequence": t["wyckoff_sequence"], "prototypes": t["prototypes"]})  # fmt: skip
    return records
