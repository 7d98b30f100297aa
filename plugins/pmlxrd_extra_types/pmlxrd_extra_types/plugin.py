"""Structure-type plugin for pymatgen-ml-xrd: the RCNets in rcnets/ (written by
pymatgen_ml_xrd.identification.plugin_package)."""

import json
from importlib.resources import files
from pathlib import Path

from pymatgen_ml_xrd.hooks import hookimpl


def _folder() -> Path:
    return Path(str(files(__package__) / "rcnets"))


@hookimpl
def pmlxrd_rcnets():
    return [{"path": str(p.with_suffix("")), "types": [t["name"] for t in json.loads(p.read_text())["types"]]}
            for p in sorted(_folder().glob("*.json"))]


@hookimpl
def pmlxrd_structure_types():
    return [{k: v for k, v in t.items() if k != "source"}
            for p in sorted(_folder().glob("*.json")) for t in json.loads(p.read_text())["types"]]
