"""Structure-type records: what a StructureTypeIdentifier can name (paper 003, CrySTINet).

A :class:`StructureType` is plain data — name, space group, anonymized formula, Wyckoff sequence,
AFLOW prototype label when one exists, prototype structures (CIF text), and the plugin it came
from. :func:`validate_structure_type` turns what a plugin returns into a record or raises a
:class:`StructureTypeError` saying what is wrong, so that a bad plugin can be skipped by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pymatgen_ml_xrd.errors import PymatgenMLXRDError

__all__ = ["StructureType", "StructureTypeError", "validate_structure_type"]


class StructureTypeError(PymatgenMLXRDError, ValueError):
    """A structure-type record is malformed."""


@dataclass(frozen=True)
class StructureType:
    """One structure type.

    Attributes:
        name: unique name in ICSD notation, e.g. ``"Perovskite-GdFeO3"``.
        space_group: international number, 1-230.
        anonymized_formula: e.g. ``"ABC3"`` (pymatgen ``Composition.anonymized_formula``).
        wyckoff_sequence: Wyckoff letters of the occupied positions, e.g. ``"dca"`` ("" unknown).
        aflow_label: AFLOW prototype label when one exists, else None.
        prototypes: CIF texts of prototype (or member) structures; at least one.
        source: name of the plugin that registered the type.
    """

    name: str
    space_group: int
    anonymized_formula: str
    wyckoff_sequence: str = ""
    aflow_label: str | None = None
    prototypes: tuple[str, ...] = field(default_factory=tuple, repr=False)
    source: str = ""


def validate_structure_type(record, source: str) -> StructureType:
    """A :class:`StructureType` from a record or a dict with its fields, stamped with ``source``.

    Raises:
        StructureTypeError: a missing or malformed field (the message names the type if it can).
    """
    if isinstance(record, StructureType):
        data = {f: getattr(record, f) for f in StructureType.__dataclass_fields__}
    elif isinstance(record, dict):
        data = dict(record)
    else:
        raise StructureTypeError(f"a structure type must be a StructureType or a dict, got {type(record).__name__}")
    unknown = set(data) - set(StructureType.__dataclass_fields__)
    if unknown:
        raise StructureTypeError(f"structure type {data.get('name')!r} has unknown fields {sorted(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise StructureTypeError(f"a structure type needs a non-empty name, got {name!r}")
    group = data.get("space_group")
    if not isinstance(group, int) or isinstance(group, bool) or not 1 <= group <= 230:
        raise StructureTypeError(f"structure type {name!r}: space_group must be an integer 1-230, got {group!r}")
    formula = data.get("anonymized_formula")
    if not isinstance(formula, str) or not formula:
        raise StructureTypeError(f"structure type {name!r}: anonymized_formula must be a formula such as 'AB2'")
    prototypes = tuple(data.get("prototypes") or ())
    if not prototypes or not all(isinstance(p, str) and "_cell_length_a" in p for p in prototypes):
        raise StructureTypeError(f"structure type {name!r}: prototypes must be one or more CIF texts")
    for key in ("wyckoff_sequence",):
        if not isinstance(data.get(key, ""), str):
            raise StructureTypeError(f"structure type {name!r}: {key} must be a string")
    label = data.get("aflow_label")
    if label is not None and not isinstance(label, str):
        raise StructureTypeError(f"structure type {name!r}: aflow_label must be a string or None")
    return StructureType(name=name.strip(), space_group=group, anonymized_formula=formula,
                         wyckoff_sequence=data.get("wyckoff_sequence", ""), aflow_label=label,
                         prototypes=prototypes, source=source)  # fmt: skip
