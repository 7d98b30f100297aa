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

The lattice is an estimate (within +-10 % in length for three in four of the catalogue's own
prototypes rebuilt this way, a scratch check of 2026-12-02), so a search screens members over a wider range of scales than real
references.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from pymatgen.core import Composition, Structure

__all__ = ["member_formulas", "member_structures"]


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
