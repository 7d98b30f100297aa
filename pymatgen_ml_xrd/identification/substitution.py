"""Members of a structure type with other chemistry: the elements of a formula put on a prototype.

A structure type fixes the sites and the stoichiometry, not the elements. To test whether a scan
of, say, Mg2Si is of the fluorite type, the CaF2 prototype is not enough (Ca and F scatter in
other ratios than Mg and Si); the prototype with Mg on the F sites and Si on the Ca site is.

- :func:`substitutions`: every way to put the elements of ``formula`` on the sites of
  ``structure`` that keeps the stoichiometry (the anonymized formulas must agree; elements of
  equal amount may swap). The cell volume follows the sum of atomic volumes (the generator's
  table, paper 001 SI S1), the shape and the fractional coordinates are kept.
- :func:`type_candidates`: the substitutions of ``formula`` into every prototype of the types
  whose anonymized formula is the formula's: the candidates of a composition-guided search.

Free coordinates stay those of the prototype; the refinement that follows adjusts the lattice
(the axial ratios included), which is what changes most with chemistry.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable

from pymatgen.core import Composition, Element, Structure

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["closest_substitution", "electronegativity", "parse_formula", "substitutions", "type_candidates"]

MAX_ORDERINGS = 24  # most element orderings tried per prototype (4 elements of equal amount)


def parse_formula(formula: str | Composition) -> Composition:
    """The reduced Composition of ``formula`` ("Mg2Si", "CaWO4", a Composition).

    Raises:
        InvalidParameterError: not a formula, fractional amounts, or an element pymatgen does not
            know (each named).
    """
    try:
        comp = Composition(formula)
    except Exception as err:  # noqa: BLE001 - pymatgen raises several kinds for a bad formula
        raise InvalidParameterError(f"composition {formula!r} is not a chemical formula: {err}") from None
    if comp.num_atoms <= 0:
        raise InvalidParameterError(f"composition {formula!r} has no atoms")
    if any(not isinstance(el, Element) for el in comp.elements):
        raise InvalidParameterError(f"composition {formula!r} must name elements only (no species or dummies)")
    reduced = comp.reduced_composition
    if any(abs(v - round(v)) > 1e-6 for v in reduced.values()):
        raise InvalidParameterError(f"composition {formula!r} has fractional amounts: give an integer formula")
    return reduced


def _groups(comp: Composition) -> list[tuple[float, list[Element]]]:
    """Elements grouped by amount in the reduced formula, groups by amount."""
    reduced = comp.reduced_composition
    amounts = sorted({reduced[el] for el in reduced.elements})
    return [(a, sorted((el for el in reduced.elements if reduced[el] == a), key=lambda e: e.Z)) for a in amounts]


def substitutions(structure: Structure, formula: str | Composition, volumes=None) -> list[Structure]:
    """``structure`` with the elements of ``formula`` in every stoichiometric assignment.

    Args:
        structure: an ordered structure (a prototype).
        formula: the new chemistry; its anonymized formula must be the structure's.
        volumes: (Z,) atomic volumes [angstrom^3] (default: the generator's table).

    Returns:
        One structure per assignment of the new elements to the old ones that keeps each
        element's amount (elements of equal amount are permuted; at most ``MAX_ORDERINGS``), its
        cell scaled to the sum of atomic volumes. Empty when the stoichiometries differ.
    """
    from pymatgen_ml_xrd.generation.atomic_volumes import atomic_volumes

    new = parse_formula(formula)
    old = structure.composition.reduced_composition
    if old.anonymized_formula != new.anonymized_formula:
        return []
    volumes = atomic_volumes() if volumes is None else volumes
    old_groups, new_groups = _groups(old), _groups(new)
    per_group = [list(itertools.permutations(new_els)) for (_, new_els) in new_groups]
    out = []
    for choice in itertools.islice(itertools.product(*per_group), MAX_ORDERINGS):
        mapping = {}
        for (_, old_els), new_els in zip(old_groups, choice):
            mapping.update(zip(old_els, new_els))
        s = structure.copy()
        s.replace_species(mapping)
        v_old = sum(float(volumes[site.specie.Z]) for site in structure)
        v_new = sum(float(volumes[site.specie.Z]) for site in s)
        if v_old > 0 and v_new > 0:
            s.scale_lattice(structure.volume * v_new / v_old)
        out.append(s)
    return out


def type_candidates(formula: str | Composition, records: Iterable) -> list[tuple[str, Structure, str]]:
    """(name, structure, type name) of ``formula`` substituted into every prototype of every
    structure type record (``StructureType``) with the formula's anonymized formula.

    Names read "TYPE [FORMULA from PROTOTYPE]"; a prototype that already has the formula is
    kept as it is (its own lattice beats an estimate).
    """
    new = parse_formula(formula)
    anonymized = new.anonymized_formula
    out, taken = [], set()
    for record in records:
        if record.anonymized_formula != anonymized:
            continue
        for cif in record.prototypes:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    prototype = Structure.from_str(cif, fmt="cif")
            except Exception:  # noqa: BLE001 - a broken prototype of a plugin gives no candidate
                continue
            if not prototype.is_ordered:
                continue
            source = prototype.composition.reduced_formula
            made = [prototype] if source == new.reduced_formula else substitutions(prototype, new)
            for k, s in enumerate(made):
                name = f"{record.name} [{new.reduced_formula} from {source}" + (f" #{k + 1}]" if len(made) > 1 else "]")
                if name in taken:
                    continue
                taken.add(name)
                out.append((name, s, record.name))
    return out


def electronegativity(element: Element) -> float:
    """Pauling electronegativity of ``element`` (0 for the noble gases, which have none)."""
    x = element.X
    return float(x) if x == x else 0.0  # noble gases have none (NaN): they sit with the metals


def closest_substitution(structure: Structure, formula: str | Composition, volumes=None) -> Structure | None:
    """Of the :func:`substitutions` of ``formula`` into ``structure``, the one whose elements are
    most like the ones they replace: the least sum over sites of the Pauling electronegativity
    differences (cations on cation sites, an element the two share on its own site). None when
    the stoichiometries differ."""
    made = substitutions(structure, formula, volumes)
    if not made:
        return None
    old = [electronegativity(site.specie) for site in structure]

    def mismatch(s: Structure) -> float:
        return sum(abs(a - electronegativity(site.specie)) for a, site in zip(old, s))

    return min(made, key=mismatch)
