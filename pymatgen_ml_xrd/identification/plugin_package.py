"""Write a trained set of RCNets as an installable structure-type plugin package.

    from pymatgen_ml_xrd.identification.plugin_package import write_plugin_package
    write_plugin_package(identifier, "my-types", "plugins/my_types")   # then: pip install plugins/my_types

The package holds the RCNet files and a module whose pluggy hooks (:mod:`pymatgen_ml_xrd.hooks`)
return them; its pyproject.toml registers the module under the entry-point group
"pymatgen_ml_xrd", so ``StructureTypeIdentifier()`` finds the new types once it is installed. The
default RCNets are not touched.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["write_plugin_package", "types_from_folder"]

_PLUGIN_MODULE = '''"""Structure-type plugin for pymatgen-ml-xrd: the RCNets in rcnets/ (written by
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
'''

_PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "{version}"
description = "Structure types for pymatgen-ml-xrd's StructureTypeIdentifier: {types}"
requires-python = ">=3.11"
dependencies = ["pymatgen-ml-xrd"]

[project.entry-points."pymatgen_ml_xrd"]
{entry} = "{module}.plugin"

[tool.setuptools]
packages = ["{module}"]

[tool.setuptools.package-data]
{module} = ["rcnets/*.keras", "rcnets/*.json"]
'''


def write_plugin_package(identifier, name: str, folder: str | Path, version: str = "0.1.0",
                         readme: str = "") -> Path:
    """Write ``folder`` as a pip-installable package named ``name`` holding ``identifier``'s RCNets.

    Returns the package folder. An existing plugin package written here before (a pyproject.toml
    with the ``pymatgen_ml_xrd`` entry-point group) is replaced; any other non-empty folder is
    refused, so nothing of the user's is deleted.

    Raises:
        InvalidParameterError: a plugin name that is not a Python-friendly identifier, or a
            non-empty ``folder`` that is not a plugin package.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise InvalidParameterError(f"plugin name must be letters, digits, '-' or '_', starting with a letter; got {name!r}")
    module = name.replace("-", "_").lower()
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        old = folder / "pyproject.toml"
        if not (old.is_file() and '[project.entry-points."pymatgen_ml_xrd"]' in old.read_text(errors="replace")):
            raise InvalidParameterError(f"{folder} exists and is not a structure-type plugin package; choose an "
                                        "empty or new folder")  # fmt: skip
        shutil.rmtree(folder)
    rcnets = folder / module / "rcnets"
    rcnets.mkdir(parents=True)
    for member in identifier.rcnets_:
        member.save(rcnets / member.name)
    (folder / module / "__init__.py").write_text(f'"""{name}: structure types for pymatgen-ml-xrd."""\n')
    (folder / module / "plugin.py").write_text(_PLUGIN_MODULE)
    types = ", ".join(identifier.classes_)
    (folder / "pyproject.toml").write_text(_PYPROJECT.format(dist=name, version=version, types=types, entry=module,
                                                             module=module))
    (folder / "README.md").write_text(readme or f"# {name}\n\nStructure types: {types}.\n\n    pip install ./{folder.name}\n")
    return folder


def types_from_folder(folder: str | Path):
    """(structures, type names) from ``folder/TYPE_NAME/*.cif`` (one sub-folder per type).

    Raises:
        InvalidParameterError: ``folder`` is not a folder, a CIF does not parse (named), or fewer
            than two sub-folders hold CIFs.
    """
    import warnings

    from pymatgen.core import Structure

    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidParameterError(f"{folder} is not a folder")
    structures, names = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        for cif in sorted(sub.glob("*.cif")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    structures.append(Structure.from_file(cif))
                except Exception as err:  # noqa: BLE001 - name the unreadable file
                    raise InvalidParameterError(f"cannot read {cif}: {err}") from None
            names.append(sub.name)
    if len(set(names)) < 2:
        raise InvalidParameterError(f"{folder} needs at least two sub-folders of CIF files (one per structure type)")
    return structures, names
