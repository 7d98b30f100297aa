"""Plugin hooks: registration, entry points, and isolation of broken plugins."""

from __future__ import annotations

import importlib.metadata
import types

import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter

from pymatgen_ml_xrd import hooks
from pymatgen_ml_xrd.hooks import hookimpl
from pymatgen_ml_xrd.identification import plugins
from pymatgen_ml_xrd.identification.plugins import (
    PluginWarning,
    collect_structure_types,
    plugin_manager,
    register,
)
from pymatgen_ml_xrd.identification.records import StructureType, StructureTypeError, validate_structure_type

NACL = str(CifWriter(Structure.from_spacegroup(225, Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])))
ROCKSALT = {"name": "NaCl", "space_group": 225, "anonymized_formula": "AB", "wyckoff_sequence": "ba",
            "aflow_label": "AB_cF8_225_a_b", "prototypes": [NACL]}  # fmt: skip


def _plugin(records):
    mod = types.SimpleNamespace()

    @hookimpl
    def pmlxrd_structure_types():
        if isinstance(records, Exception):
            raise records
        return records

    mod.pmlxrd_structure_types = pmlxrd_structure_types
    return mod


def test_records_are_validated_and_stamped():
    rec = validate_structure_type(ROCKSALT, source="core")
    assert isinstance(rec, StructureType) and rec.source == "core" and rec.prototypes == (NACL,)
    for bad, message in [
        ({**ROCKSALT, "space_group": 231}, "1-230"),
        ({**ROCKSALT, "name": ""}, "non-empty name"),
        ({**ROCKSALT, "prototypes": ["not a cif"]}, "CIF texts"),
        ({**ROCKSALT, "colour": "red"}, "unknown fields"),
        ("NaCl", "StructureType or a dict"),
    ]:
        with pytest.raises(StructureTypeError, match=message):
            validate_structure_type(bad, source="x")


def test_broken_plugins_are_skipped_by_name():
    pm = plugin_manager(load_entry_points=False)
    register(pm, _plugin([ROCKSALT]), "good")
    register(pm, _plugin(RuntimeError("boom")), "raises")
    register(pm, _plugin([{**ROCKSALT, "name": "CsCl", "space_group": 0}]), "malformed")
    register(pm, _plugin([dict(ROCKSALT)]), "duplicate")
    with pytest.warns(PluginWarning) as caught:
        found = collect_structure_types(pm)
    assert [t.name for t in found] == ["NaCl"] and found[0].source == "good"
    text = " ".join(str(w.message) for w in caught)
    assert "'raises'" in text and "boom" in text and "'malformed'" in text and "already registered by 'good'" in text


def test_plugin_not_fitting_the_specs_is_skipped():
    bad = types.SimpleNamespace()

    @hookimpl
    def pmlxrd_structure_types(unexpected_argument):
        return []

    bad.pmlxrd_structure_types = pmlxrd_structure_types
    pm = plugin_manager(load_entry_points=False)
    with pytest.warns(PluginWarning, match="'bad' does not fit"):
        assert not register(pm, bad, "bad")


def test_misspelled_hooks_and_types_without_rcnets_are_warned_about_by_name():
    import warnings

    typo = _plugin([ROCKSALT])

    @hookimpl
    def pmlxrd_rcnet():  # misspelled: the hook is pmlxrd_rcnets
        return []

    typo.pmlxrd_rcnet = pmlxrd_rcnet
    pm = plugin_manager(load_entry_points=False)
    with pytest.warns(PluginWarning) as caught:
        assert register(pm, typo, "typo")  # kept: its structure types still count
    text = " ".join(str(w.message) for w in caught)
    assert "'typo' implements 'pmlxrd_rcnet', which is not a pymatgen_ml_xrd hook" in text
    assert "'typo' adds structure types but no RCNets" in text
    assert [t.name for t in collect_structure_types(pm)] == ["NaCl"]

    both = _plugin([{**ROCKSALT, "name": "NaCl-2"}])

    @hookimpl
    def pmlxrd_rcnets():
        return []

    both.pmlxrd_rcnets = pmlxrd_rcnets
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)  # a plugin with both hooks gets no warning
        assert register(pm, both, "both")


def test_entry_points_load_and_import_failures_warn(monkeypatch):
    good_module = types.ModuleType("pmlxrd_test_plugin")
    good_module.pmlxrd_structure_types = _plugin([ROCKSALT]).pmlxrd_structure_types
    monkeypatch.setitem(__import__("sys").modules, "pmlxrd_test_plugin", good_module)
    eps = importlib.metadata.EntryPoints([
        importlib.metadata.EntryPoint("good", "pmlxrd_test_plugin", hooks.GROUP),
        importlib.metadata.EntryPoint("missing", "no_such_module_for_pmlxrd", hooks.GROUP),
    ])  # fmt: skip
    monkeypatch.setattr(plugins.importlib.metadata, "entry_points",
                        lambda group=None: eps.select(group=group))  # fmt: skip
    with pytest.warns(PluginWarning, match="'missing'.*failed to import"):
        pm = plugin_manager()
    assert [t.name for t in collect_structure_types(pm)] == ["NaCl"]


def test_hooks_is_the_bottom_of_the_house():
    """hooks.py imports nothing of the package; identification/ imports neither estimators/ nor the
    cli at module level; models/ imports neither identification/ nor estimators/."""
    import ast
    from pathlib import Path

    package = Path(hooks.__file__).resolve().parent

    def imported(path):
        names = set()
        for node in ast.parse(path.read_text()).body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return {n for n in names if n.startswith("pymatgen_ml_xrd")}

    assert imported(package / "hooks.py") <= {"pymatgen_ml_xrd.errors"}
    for path in (package / "identification").glob("*.py"):
        bad = {n for n in imported(path) if n.startswith(("pymatgen_ml_xrd.estimators", "pymatgen_ml_xrd.cli"))}
        assert not bad, f"{path.name} imports {bad}"
    for path in (package / "models").glob("*.py"):
        bad = {n for n in imported(path)
               if n.startswith(("pymatgen_ml_xrd.identification", "pymatgen_ml_xrd.estimators"))}  # fmt: skip
        assert not bad, f"{path.name} imports {bad}"
