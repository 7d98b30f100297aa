"""Plugin hook specifications (pluggy, entry-point group "pymatgen_ml_xrd").

The bottom of the house: this module imports nothing from the package, so a plugin can import
``hookimpl`` without pulling in TensorFlow or the estimators. A plugin is a module or object
with functions marked ``@hookimpl``::

    from pymatgen_ml_xrd.hooks import hookimpl

    @hookimpl
    def pmlxrd_structure_types():
        return [{"name": "NiAs", "space_group": 194, "anonymized_formula": "AB", "prototypes": [cif_text]}]

registered in its package metadata::

    [project.entry-points."pymatgen_ml_xrd"]
    my_types = "my_package.plugin"

Loading, isolating broken plugins and collecting their records live in
:mod:`pymatgen_ml_xrd.identification.plugins`.
"""

from __future__ import annotations

import pluggy

__all__ = ["GROUP", "HookSpecs", "hookimpl", "hookspec"]

GROUP = "pymatgen_ml_xrd"
hookspec = pluggy.HookspecMarker(GROUP)
hookimpl = pluggy.HookimplMarker(GROUP)


class HookSpecs:
    """The hooks a plugin may implement."""

    @hookspec
    def pmlxrd_structure_types(self) -> list:
        """Structure types this plugin adds: :class:`~pymatgen_ml_xrd.identification.records.StructureType`
        records or dicts with their fields (``source`` is set to the plugin's name)."""

    @hookspec
    def pmlxrd_rcnets(self) -> list:
        """Trained RCNets this plugin adds: dicts ``{"path": model path without suffix, "types":
        [structure-type names the RCNet classifies]}``."""
