"""Plugin loading and collection: installed plugins' structure types and RCNets, broken ones isolated.

:func:`plugin_manager` makes a pluggy PluginManager with the hook specifications of
:mod:`pymatgen_ml_xrd.hooks` and, by default, every installed plugin (entry-point group
"pymatgen_ml_xrd"). A plugin that fails to import, does not fit the hook specifications, raises,
or returns malformed records is skipped with a :class:`PluginWarning` naming it, and the others
keep working. :func:`collect_structure_types` and :func:`collect_rcnets` gather what the
registered plugins provide, in registration order.
"""

from __future__ import annotations

import importlib.metadata
import warnings

import pluggy

from pymatgen_ml_xrd.errors import InvalidInputTypeError
from pymatgen_ml_xrd.hooks import GROUP, HookSpecs
from pymatgen_ml_xrd.identification.records import StructureType, StructureTypeError, validate_structure_type

__all__ = ["PluginWarning", "all_structure_types", "collect_rcnets", "collect_structure_types", "plugin_manager",
           "register", "register_entry_points"]


class PluginWarning(UserWarning):
    """A plugin was skipped (the message names it and says why)."""


def plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A PluginManager with the hook specifications and, by default, every installed plugin."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(HookSpecs)
    if load_entry_points:
        register_entry_points(pm)
    return pm


def register_entry_points(pm: pluggy.PluginManager) -> int:
    """Register every installed plugin not registered (or blocked) yet; returns how many."""
    count = 0
    for name, plugin in _entry_point_plugins(skip=lambda n: pm.get_plugin(n) is not None or pm.is_blocked(n)):
        count += register(pm, plugin, name)
    return count


def _entry_point_plugins(skip=lambda name: False):
    """(name, loaded plugin) of every entry point of the group, in metadata order.

    Not pluggy's ``pm.load_setuptools_entrypoints(GROUP)``: it calls ``ep.load()`` and
    ``pm.register()`` unguarded, so the first plugin that fails to import (or to register) aborts
    the loading of all later plugins. Here each entry point is loaded on its own, and one that
    fails is skipped with a :class:`PluginWarning` naming it.
    """
    for ep in importlib.metadata.entry_points(group=GROUP):
        if skip(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as err:  # noqa: BLE001 - any import failure skips the plugin
            warnings.warn(f"plugin {ep.name!r} ({ep.value}) failed to import and is skipped: {err!r}", PluginWarning,
                          stacklevel=3)  # fmt: skip
            continue
        yield ep.name, plugin


def register(pm: pluggy.PluginManager, plugin, name: str) -> bool:
    """Register ``plugin`` under ``name``; a plugin that does not fit the specs is skipped with a
    warning. Warned about too, by name, and kept: a hook function whose name is no hook of
    :class:`~pymatgen_ml_xrd.hooks.HookSpecs` (a misspelling: it is never called), and a plugin
    with structure types but no RCNets (its types reach the PhaseIdentifier and verified answers,
    not the networks)."""
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as err:
        warnings.warn(f"plugin {name!r} does not fit the hook specifications and is skipped: {err}",
                      PluginWarning, stacklevel=2)  # fmt: skip
        return False
    hooks = {caller.name: caller for caller in pm.get_hookcallers(plugin) or []}
    known = sorted(n for n in dir(HookSpecs) if n.startswith("pmlxrd_"))
    for hook_name, caller in sorted(hooks.items()):
        if caller.spec is None:
            warnings.warn(f"plugin {name!r} implements {hook_name!r}, which is not a pymatgen_ml_xrd hook "
                          f"(known: {', '.join(known)}); it is never called", PluginWarning, stacklevel=2)  # fmt: skip
    if "pmlxrd_structure_types" in hooks and "pmlxrd_rcnets" not in hooks:
        warnings.warn(f"plugin {name!r} adds structure types but no RCNets: PhaseIdentifier('default') and "
                      f"StructureTypeIdentifier(verify=True) use their prototypes, the networks cannot name them "
                      f"until an RCNet is trained on them (docs/plugins.md)", PluginWarning, stacklevel=2)  # fmt: skip
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


def all_structure_types() -> list[StructureType]:
    """The default catalogue's structure types, then those of every installed plugin."""
    from pymatgen_ml_xrd.identification import default_plugin  # the default plugin reads the package data

    pm = plugin_manager()
    if pm.get_plugin(default_plugin.NAME) is None:
        register(pm, default_plugin, default_plugin.NAME)
    return collect_structure_types(pm)


def collect_rcnets(pm: pluggy.PluginManager) -> list:
    """Every plugin's RCNets as :class:`~pymatgen_ml_xrd.identification.rcnet_member.RCNetMember`, in
    registration order, their types stamped with the plugin's name.

    An RCNet that does not load, whose types differ from what the plugin declares, or that names a
    type an earlier RCNet already classifies is skipped with a :class:`PluginWarning` naming the
    plugin; the others keep working.
    """
    from pymatgen_ml_xrd.identification.rcnet_member import RCNetMember

    members, owner = [], {}
    for impl in pm.hook.pmlxrd_rcnets.get_hookimpls():
        name = impl.plugin_name
        try:
            entries = impl.function()
            if not isinstance(entries, (list, tuple)):
                raise InvalidInputTypeError(f"pmlxrd_rcnets must return a list, got {type(entries).__name__}")
        except Exception as err:  # noqa: BLE001 - a plugin's own bug must not break the others
            warnings.warn(f"plugin {name!r}: pmlxrd_rcnets failed and is skipped: {err}", PluginWarning, stacklevel=2)
            continue
        for entry in entries:
            try:
                if not isinstance(entry, dict) or "path" not in entry:
                    raise StructureTypeError(f"an RCNet entry must be a dict with a 'path', got {entry!r}")
                member = RCNetMember.load(entry["path"], source=name)
                declared = list(entry.get("types", member.type_names))
                if declared != member.type_names:
                    raise StructureTypeError(f"declares types {declared} but the RCNet classifies {member.type_names}")
                taken = [t for t in member.type_names if t in owner]
                if taken:
                    raise StructureTypeError(f"types {taken} are already classified by "
                                             f"{sorted({owner[t] for t in taken})}")  # fmt: skip
            except Exception as err:  # noqa: BLE001 - skip this RCNet, keep the rest
                warnings.warn(f"plugin {name!r}: RCNet {entry.get('path') if isinstance(entry, dict) else entry!r} "
                              f"is skipped: {err}", PluginWarning, stacklevel=2)  # fmt: skip
                continue
            for t in member.type_names:
                owner[t] = f"{name}:{member.name}"
            members.append(member)
    return members
