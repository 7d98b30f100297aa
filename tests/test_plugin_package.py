"""The structure-type plugin in plugins/: installed, found through its entry point, additive."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pymatgen_ml_xrd.errors import InvalidParameterError  # noqa: E402
from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier  # noqa: E402
from pymatgen_ml_xrd.identification import default_plugin  # noqa: E402
from pymatgen_ml_xrd.identification.plugin_package import types_from_folder  # noqa: E402

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "pmlxrd_extra_types"


def _digest(folder: Path) -> str:
    h = hashlib.sha1()
    for p in sorted(folder.glob("*")):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture()
def installed(tmp_path, monkeypatch):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-compile", "--target", str(target), str(PLUGIN)], check=True)  # fmt: skip
    monkeypatch.syspath_prepend(str(target))
    importlib.invalidate_caches()
    yield target
    for name in [m for m in sys.modules if m.startswith("pmlxrd_extra_types")]:
        del sys.modules[name]


def test_installed_plugin_adds_types_and_leaves_default_rcnets_alone(installed):
    eps = [ep.name for ep in importlib.metadata.entry_points(group="pymatgen_ml_xrd")]
    assert "pmlxrd_extra_types" in eps
    before = _digest(default_plugin.rcnet_folder())
    alone = StructureTypeIdentifier(plugins=False)
    grown = StructureTypeIdentifier(plugins=True)
    default_names = list(alone.classes_)
    new = [n for n in grown.classes_ if n not in default_names]
    assert len(grown.structure_types_) > len(alone.structure_types_) and new
    assert list(grown.classes_[: len(default_names)]) == default_names
    assert {t.source for t in grown.structure_types_ if t.name in new} == {"pmlxrd_extra_types"}
    nacl = Structure.from_spacegroup(225, Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    # the default RCNets answer exactly as before; the plugin only adds columns
    np.testing.assert_allclose(grown.predict_reliability([nacl])[:, : len(default_names)],
                               alone.predict_reliability([nacl]), atol=1e-6)  # fmt: skip
    assert _digest(default_plugin.rcnet_folder()) == before
    # a prototype of a plugin type is recognised by the plugin's RCNet
    record = next(t for t in grown.structure_types_ if t.name == new[0])
    member = Structure.from_str(record.prototypes[0], fmt="cif")
    top, _ = grown.predict_top_k([member], k=3)
    assert new[0] in list(top[0])


def test_types_from_folder(tmp_path):
    with pytest.raises(InvalidParameterError, match="not a folder"):
        types_from_folder(tmp_path / "absent")
    nacl = Structure.from_spacegroup(225, Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    (tmp_path / "rocksalt").mkdir()
    nacl.to(filename=str(tmp_path / "rocksalt" / "a.cif"))
    with pytest.raises(ValueError, match="at least two sub-folders"):
        types_from_folder(tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "x.cif").write_text("data_x\n_cell_length_a 1\n")
    with pytest.raises(ValueError, match="x.cif"):
        types_from_folder(tmp_path)
    (tmp_path / "broken" / "x.cif").unlink()
    nacl.to(filename=str(tmp_path / "broken" / "y.cif"))
    structures, names = types_from_folder(tmp_path)
    assert names == ["broken", "rocksalt"] and len(structures) == 2


def test_write_plugin_package_replaces_only_plugin_packages(tmp_path):
    from types import SimpleNamespace

    from pymatgen_ml_xrd.identification.plugin_package import write_plugin_package

    empty = SimpleNamespace(rcnets_=[], classes_=[])
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(InvalidParameterError, match="not a structure-type plugin package"):
        write_plugin_package(empty, "my-types", mine)
    assert (mine / "thesis.tex").read_text() == "years of work"
    out = write_plugin_package(empty, "my-types", tmp_path / "pkg")
    (out / "stale.txt").write_text("from an earlier build")
    write_plugin_package(empty, "my-types", out)  # an earlier plugin package is rebuilt in place
    assert not (out / "stale.txt").exists() and (out / "pyproject.toml").is_file()
    assert "pip install ./pkg" in (out / "README.md").read_text()
    with pytest.raises(ValueError, match="plugin name"):
        write_plugin_package(empty, "1bad name", tmp_path / "other")
