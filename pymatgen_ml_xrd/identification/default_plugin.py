"""The package's own structure-type plugin: the shipped RCNets (pretrained/structure_types/).

Registered by StructureTypeIdentifier under the name "pymatgen_ml_xrd" through the same hooks as
any installed plugin (:mod:`pymatgen_ml_xrd.hooks`).
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


@hookimpl
def pmlxrd_structure_types() -> list:
    records = []
    for meta in sorted(rcnet_folder().glob("rcnet_*.json")):
        records += [{k: v for k, v in t.items() if k != "source"} for t in json.loads(meta.read_text())["types"]]
    return records
