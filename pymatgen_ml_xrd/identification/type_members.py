"""Members of the default structure types with the chemistry the types really have.

A type's prototypes carry a few chemistries (the named compound, AFLOW's prototype, a few
Materials Project members). A measured scan of another member - rhodochrosite MnCO3 of the
calcite type, magnesioferrite MgFe2O4 of spinel - has other intensities and another cell, and is
matched by none of them. Paper 003's networks learn each type from all its ICSD compounds; the
search-match here gets the same breadth from the type's common formulas:

- ``data/type_member_formulas.json`` (written by ``benchmarks/build_type_members.py`` from the
  ICSD and COD indexes of ../shared/data, provenance in docs/data.md) lists, per default type,
  the most common integer formulas with its space group and anonymized formula, one of each
  group that scatters alike.
- :func:`member_structures` puts each formula on the type's prototype closest in chemistry (the
  most elements in common; the first prototype on a tie) in the ordering with the least
  electronegativity mismatch (:func:`~.substitution.closest_substitution`), the cell scaled to
  the sum of atomic volumes. Free coordinates stay the prototype's.

Elemental types (fcc, bcc, hcp) get every element whose ambient structure ASE's reference
states (``ase.data.reference_states``: structure and measured lattice constant per element) give
as theirs, on the real cell (:func:`elemental_members`): the formula table cannot tell elements
apart (one element's electron share is always 1), and their sizes span a factor of two.

The lattice is an estimate (within +-10 % in length for three in four of the catalogue's own
prototypes rebuilt this way, a scratch check of 2026-12-02), so a search screens members over a wider range of scales than real
references.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from pymatgen.core import Composition, Lattice, Structure

__all__ = ["elemental_members", "member_formulas", "member_structures"]


@lru_cache(maxsize=1)
def member_formulas() -> dict[str, list[str]]:
    """{type name: formulas, most common first} of the shipped table (default types)."""
    path = Path(str(files("pymatgen_ml_xrd") / "data" / "type_member_formulas.json"))
    return {name: [f for f, _ in rows] for name, rows in json.loads(path.read_text())["types"].items()}


def member_structures(hosts: dict[str, list[Structure]], per_type: int) -> list[tuple[str, Structure, str, int]]:
    """(name, structure, type name, host index) of the first ``per_type`` member formulas of every
    type in ``hosts`` ({type name: its prototypes}; disordered ones host no members) that the
    shipped table lists; the structure is the host prototype's cell and sites with the member's
    elements (so its symmetry is the host's). Formulas that are already a prototype's are left out (the prototype has the
    real cell). Names read "TYPE [FORMULA from PROTOTYPE]"."""
    from pymatgen_ml_xrd.identification.substitution import closest_substitution

    table = member_formulas()
    out = []
    for type_name, prototypes in hosts.items():
        have = {p.composition.reduced_formula for p in prototypes}
        ordered = [i for i, p in enumerate(prototypes) if p.is_ordered]
        for formula in table.get(type_name, [])[:per_type]:
            if formula in have or not ordered:
                continue
            new = {el.symbol for el in Composition(formula).elements}
            index = max(ordered,
                        key=lambda i: (len(new & {el.symbol for el in prototypes[i].composition.elements}), -i))
            host = prototypes[index]
            made = closest_substitution(host, formula)
            if made is not None:
                out.append((f"{type_name} [{formula} from {host.composition.reduced_formula}]", made, type_name, index))
    return out


def elemental_members(hosts: dict[str, list[Structure]]) -> list[tuple[str, Structure, str, int]]:
    """(name, structure, type name, host index) of the elements whose ambient structure, by ASE's
    reference states, is that of a one-element prototype in ``hosts`` ({type name: prototypes}):
    fcc (4 atoms in a cubic cell), bcc (2 in a cubic cell) or hcp (2 in a hexagonal cell), on
    the prototype's sites with ASE's lattice constant (and c/a). The prototype's own element is
    left out. Names read "TYPE [ELEMENT from PROTOTYPE]"."""
    from ase.data import chemical_symbols, reference_states

    out = []
    for type_name, prototypes in hosts.items():
        for index, host in enumerate(prototypes):
            if not (host.is_ordered and len(host.composition.elements) == 1):
                continue
            lattice = host.lattice
            cubic = all(abs(v - 90.0) < 1e-3 for v in lattice.angles) and max(lattice.abc) - min(lattice.abc) < 1e-6
            hexagonal = abs(lattice.gamma - 120.0) < 1e-3 and abs(lattice.a - lattice.b) < 1e-6
            kind = {(True, 4): "fcc", (True, 2): "bcc"}.get((cubic, len(host)), "hcp" if hexagonal and len(host) == 2 else None)
            if kind is None:
                continue
            own = host.composition.elements[0].symbol
            for z, state in enumerate(reference_states):
                if not state or state.get("symmetry") != kind or "basis" in state or chemical_symbols[z] == own:
                    continue
                a = float(state["a"])
                made = host.copy()
                made.replace_species({own: chemical_symbols[z]})
                c = a * float(state["c/a"]) if kind == "hcp" else a
                made.lattice = Lattice.from_parameters(a, a, c, *lattice.angles)
                out.append((f"{type_name} [{chemical_symbols[z]} from {own}]", made, type_name, index))
            break  # one prototype per type hosts the elements
    return out
