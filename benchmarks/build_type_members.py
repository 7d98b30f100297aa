"""The common chemistry of each default structure type, from the ICSD index (not part of the package).

    python benchmarks/build_type_members.py [--data ../shared/data] [--per-type 12]
        [--out pymatgen_ml_xrd/data/type_member_formulas.json]

A structure type fixes the space group and the anonymized formula, not the elements. The ICSD
index of ../shared/data/icsd_index (dara-xrd, MIT: ICSD id, reduced formula and space group of
143,523 entries, no coordinates) tells which formulas occur with a type's space group and
anonymized formula, and how often they were refined. The most often refined ones are the type's
common chemistry: for the calcite type (R-3c, ABC3) CaCO3, NaNO3, ..., for spinel MgAl2O4,
MgFe2O4, NiAl2O4, ... This script writes, for every type of the default plugin, the ``--per-type``
most common integer formulas: those in both the ICSD and the COD index (COD holds the
minerals' refinements) first, then by the number of entries in the two, then those on the
convex hull, then by formula. A formula whose share of electrons per element is within
``--min-distance`` of a formula already taken is skipped (FeCO3 and CoCO3 give nearly the
same pattern; MgCO3 adds one), so the members span the chemistry rather than repeat it into the package's
``data/type_member_formulas.json``; :mod:`pymatgen_ml_xrd.identification.type_members` puts them
on the type's prototypes. Formulas with fractional amounts (solid solutions) are left out.

The index has no Wyckoff positions, so a formula of the same space group and stoichiometry may
belong to another type (aragonite CaCO3 and the GdFeO3 perovskite are both Pnma ABC3); its
member then fits measured scans badly and loses in the refinement.
"""

from __future__ import annotations

import argparse
import gzip
import json
import warnings
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "pymatgen_ml_xrd" / "data" / "type_member_formulas.json"


def formula_counts(index_file: Path, stable: set | None = None) -> Counter:
    """{(reduced formula, space group): number of entries} of the integer formulas of one index
    file; the keys of entries on the convex hull (e_above_hull 0) are added to ``stable``."""
    from pymatgen.core import Composition

    counts: Counter = Counter()
    with gzip.open(index_file, "rt") as fh:
        index = json.load(fh)
    parsed: dict[str, str | None] = {}
    for rows in index.values():
        for formula, _entry_id, group, e_hull in rows:
            if formula not in parsed:
                try:
                    reduced = Composition(formula).reduced_composition
                    integer = all(abs(v - round(v)) < 1e-6 for v in reduced.values())
                    parsed[formula] = reduced.reduced_formula if integer else None
                except Exception:  # noqa: BLE001 - formulas pymatgen cannot read are left out
                    parsed[formula] = None
            if parsed[formula] is not None:
                counts[(parsed[formula], int(group))] += 1
                if stable is not None and e_hull == 0:
                    stable.add((parsed[formula], int(group)))
    return counts


def scattering_signature(formula: str) -> tuple[float, ...]:
    """Each element's share of the formula's electrons (Z times amount over the sum), elements by
    amount, then by Pauling electronegativity: two formulas of one type whose signatures are close
    give nearly the same pattern once the lattice is scaled."""
    from pymatgen.core import Composition

    from pymatgen_ml_xrd.identification.substitution import electronegativity

    comp = Composition(formula).reduced_composition
    elements = sorted(comp.elements, key=lambda e: (comp[e], electronegativity(e)))
    electrons = [e.Z * comp[e] for e in elements]
    total = sum(electrons)
    return tuple(v / total for v in electrons)


def diverse(rows: list, n: int, min_distance: float) -> list:
    """The first ``n`` of ``rows`` (formula first in each) in their order, skipping a formula whose
    :func:`scattering_signature` lies within ``min_distance`` (largest difference of a share) of
    one already taken."""
    taken, signatures = [], []
    for row in rows:
        sig = scattering_signature(row[0])
        if any(max(abs(a - b) for a, b in zip(sig, other)) < min_distance for other in signatures):
            continue
        taken.append(row)
        signatures.append(sig)
        if len(taken) == n:
            break
    return taken


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--per-type", type=int, default=16)
    ap.add_argument("--min-distance", type=float, default=0.03,
                    help="formulas whose electron shares differ by less than this from one taken are skipped")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    from pymatgen.core import Composition

    from pymatgen_ml_xrd.identification.default_plugin import pmlxrd_structure_types
    from pymatgen_ml_xrd.identification.records import validate_structure_type

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stable: set = set()
        icsd = formula_counts(args.data / "icsd_index" / "icsd_filtered_info_2025_v3.json.gz", stable)
        cod = formula_counts(args.data / "icsd_index" / "cod_filtered_info_2024.json.gz", stable)
        anonymized = {f: Composition(f).anonymized_formula for f, _ in icsd + cod}
    by_key: dict[tuple[int, str], list[tuple]] = {}
    for key in icsd + cod:
        formula, group = key
        both = icsd[key] > 0 and cod[key] > 0
        by_key.setdefault((group, anonymized[formula]), []).append((formula, icsd[key] + cod[key], both, key in stable))
    out = {}
    for record in (validate_structure_type(r, "default") for r in pmlxrd_structure_types()):
        rows = sorted(by_key.get((record.space_group, record.anonymized_formula), []), key=lambda r: (not r[2], -r[1], not r[3], r[0]))
        out[record.name] = [[f, n] for f, n, _, _ in diverse(rows, args.per_type, args.min_distance)]
    meta = {"source": "ICSD and COD indexes of dara-xrd (MIT), ../shared/data/icsd_index/"
                      "icsd_filtered_info_2025_v3.json.gz and cod_filtered_info_2024.json.gz",
            "rule": f"per type: the {args.per_type} integer formulas with its space group and anonymized formula "
                    "in both indexes first, then refined most often (ICSD plus COD entries), then on the convex "
                    "hull, then by formula; a formula whose electron shares per element (by amount, then "
                    f"electronegativity) lie within {args.min_distance} of one taken is skipped",
            "script": "benchmarks/build_type_members.py"}  # fmt: skip
    lines = [f"{json.dumps(name)}: {json.dumps(rows)}" for name, rows in sorted(out.items())]  # one type a line
    args.out.write_text(f'{{"meta": {json.dumps(meta, sort_keys=True)},\n"types": {{\n' + ",\n".join(lines) + "\n}}\n")
    empty = [name for name, rows in out.items() if not rows]
    print(f"{len(out)} types, {sum(len(r) for r in out.values())} formulas; {len(empty)} types without any: {empty}")


if __name__ == "__main__":
    main()
