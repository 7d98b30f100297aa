"""Plugins: pluggy hook specifications and the plugin manager (entry-point group "pymatgen_ml_xrd").

A plugin is a module or object with functions marked ``@hookimpl``::

    from pymatgen_ml_xrd.hooks import hookimpl

    @hookimpl
    def pmlxrd_structure_types():
        return [{"name": "NiAs", "space_group": 194, "anonymized_formula": "AB", "prototypes": [cif_text]}]

registered in its package metadata::

    [project.entry-points."pymatgen_ml_xrd"]
    my_types = "my_package.plugin"

:func:`plugin_manager` loads every such entry point; a plugin that fails to import, does not
fit the hook specifications, raises, or returns malformed records is skipped with a
:class:`PluginWarning` naming it, and the others keep working.
"""

from __future__ import annotations

import importlib.metadata
import warnings

import pluggy

from pymatgen_ml_xrd.structure_types import StructureType, StructureTypeError, validate_structure_type

__all__ = ["GROUP", "hookimpl", "hookspec", "PluginWarning", "plugin_manager", "register", "collect_structure_types",
           "collect_rcnets"]

GROUP = "pymatgen_ml_xrd"
hookspec = pluggy.HookspecMarker(GROUP)
hookimpl = pluggy.HookimplMarker(GROUP)


class PluginWarning(UserWarning):
    """A plugin was skipped (the message names it and says why)."""


class HookSpecs:
    """The hooks a plugin may implement."""

    @hookspec
    def pmlxrd_structure_types(self) -> list:
        """Structure types this plugin adds: :class:`~pymatgen_ml_xrd.structure_types.StructureType`
        records or dicts with their fields (``source`` is set to the plugin's name)."""

    @hookspec
    def pmlxrd_rcnets(self) -> list:
        """Trained RCNets this plugin adds: dicts ``{"path": model path without suffix, "types":
        [structure-type names the RCNet classifies]}``."""


def plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A PluginManager with the hook specifications and, by default, every installed plugin."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(HookSpecs)
    if load_entry_points:
        for ep in importlib.metadata.entry_points(group=GROUP):
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as err:  # noqa: BLE001 - any import failure skips the plugin
                warnings.warn(f"plugin {ep.name!r} ({ep.value}) failed to import and is skipped: {err!r}",
                              PluginWarning, stacklevel=2)  # fmt: skip
                continue
            register(pm, plugin, ep.name)
    return pm


def register(pm: pluggy.PluginManager, plugin, name: str) -> bool:
    """Register ``plugin`` under ``name``; a plugin that does not fit the specs is skipped with a warning."""
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as err:
        warnings.warn(f"plugin {name!r} does not fit the hook specifications and is skipped: {err}",
                      PluginWarning, stacklevel=2)  # fmt: skip
        return False
    return True


def collect_structure_types(pm: pluggy.PluginManager) -> list[StructureType]:
    """Every plugin's structure types, validated, in registration order.

    A plugin whose hook raises or returns any malformed record contributes nothing (warning); a
    name already taken by an earlier plugin is skipped (warning).
    """
    types: dict[str, StructureType] = {}
    for impl in pm.hook.pmlxrd_structure_types.get_hookimpls():  # in registration order
        name = impl.plugin_name
        try:
            records = impl.function()
            if not isinstance(records, (list, tuple)):
                raise StructureTypeError(f"pmlxrd_structure_types must return a list, got {type(records).__name__}")
            checked = [validate_structure_type(r, source=name) for r in records]
        except Exception as err:  # noqa: BLE001 - a plugin's own bug must not break the others
            warnings.warn(f"plugin {name!r} returned unusable structure types and is skipped: {err}",
                          PluginWarning, stacklevel=2)  # fmt: skip
            continue
        for record in checked:
            if record.name in types:
                warnings.warn(f"plugin {name!r}: structure type {record.name!r} is already registered by "
                              f"{types[record.name].source!r}; skipped", PluginWarning, stacklevel=2)  # fmt: skip
                continue
            types[record.name] = record
    return list(types.values())


def collect_rcnets(pm: pluggy.PluginManager) -> list:
    """Every plugin's RCNets as :class:`~pymatgen_ml_xrd.estimators.rcnet_member.RCNetMember`, in
    registration order, their types stamped with the plugin's name.

    An RCNet that does not load, whose types differ from what the plugin declares, or that names a
    type an earlier RCNet already classifies is skipped with a :class:`PluginWarning` naming the
    plugin; the others keep working.
    """
    from pymatgen_ml_xrd.estimators.rcnet_member import RCNetMember

    members, owner = [], {}
    for impl in pm.hook.pmlxrd_rcnets.get_hookimpls():
        name = impl.plugin_name
        try:
            entries = impl.function()
            if not isinstance(entries, (list, tuple)):
                raise TypeError(f"pmlxrd_rcnets must return a list, got {type(entries).__name__}")
        except Exception as err:  # noqa: BLE001 - a plugin's own bug must not break the others
            warnings.warn(f"plugin {name!r}: pmlxrd_rcnets failed and is skipped: {err}", PluginWarning, stacklevel=2)
            continue
        for entry in entries:
            try:
                member = RCNetMember.load(entry["path"], source=name)
                declared = list(entry.get("types", member.type_names))
                if declared != member.type_names:
                    raise ValueError(f"declares types {declared} but the RCNet classifies {member.type_names}")
                taken = [t for t in member.type_names if t in owner]
                if taken:
                    raise ValueError(f"types {taken} are already classified by {sorted({owner[t] for t in taken})}")
            except Exception as err:  # noqa: BLE001 - skip this RCNet, keep the rest
                warnings.warn(f"plugin {name!r}: RCNet {entry.get('path') if isinstance(entry, dict) else entry!r} "
                              f"is skipped: {err}", PluginWarning, stacklevel=2)  # fmt: skip
                continue
            for t in member.type_names:
                owner[t] = f"{name}:{member.name}"
            members.append(member)
    return members
