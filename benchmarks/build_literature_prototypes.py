"""Prototypes of structure types from published structures (not part of the installed package).

    python benchmarks/build_literature_prototypes.py [--out pymatgen_ml_xrd/data/literature_prototypes.json]

The catalogue (build_structure_types.py) takes its prototypes from AFLOW's library and from the
Materials Project structures of ../shared; for several of paper 003's types these are missing
(garnet, olivine, apatite, bixbyite) or are members of other chemistry than the named compound
(the PbTiO3 type's only prototype is NdBPt3, the cubic perovskite's are anti-perovskites, the
pyroxene's carbonates). This script writes the named compounds (and a few common members) from
their published coordinates, each checked with spglib: its space group must be the stated one
and, for a type the catalogue has, its type key the catalogue's.

It also records which types of the default plugin are one structure under two names
(``equivalent``): the catalogue's types are keyed by spglib's Wyckoff letters, which depend on
the origin (spinel with Mg on 8a or on 8b, nickeline with As on 2c or 2d, cubic perovskite with
the A cation on 1a or 1b), so a few types appear twice. Two types are equivalent when a
prototype of one matches a prototype of the other with the elements relabelled
(pymatgen StructureMatcher.fit_anonymous, default tolerances, volumes scaled).

The default structure-type plugin puts these prototypes first in their type's list and adds the
types the catalogue lacks (:mod:`pymatgen_ml_xrd.identification.default_plugin`). Coordinates are
those of the cited refinements, rounded to 4 decimals; isotropic structures only (no
displacement parameters), occupancies 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "pymatgen_ml_xrd" / "data" / "literature_prototypes.json"

# type name -> [(compound, space group symbol, (a, b, c, alpha, beta, gamma), [(element, (x, y, z))], source)]
PROTOTYPES: dict[str, list[tuple]] = {
    "Perovskite-PbTiO3": [
        ("PbTiO3", "P4mm", (3.904, 3.904, 4.152, 90, 90, 90),
         [("Pb", (0, 0, 0)), ("Ti", (0.5, 0.5, 0.538)), ("O", (0.5, 0.5, 0.112)), ("O", (0.5, 0, 0.617))],
         "Glazer & Mabud, Acta Cryst. B34, 1065 (1978), room temperature"),
        ("BaTiO3", "P4mm", (3.9925, 3.9925, 4.0365, 90, 90, 90),
         [("Ba", (0, 0, 0)), ("Ti", (0.5, 0.5, 0.5150)), ("O", (0.5, 0.5, 0.9770)), ("O", (0.5, 0, 0.4860))],
         "Kwei et al., J. Phys. Chem. 97, 2368 (1993), tetragonal BaTiO3 at 298 K (Ba at the origin)"),
    ],
    "Perovskite-SrTiO3": [
        ("SrTiO3", "Pm-3m", (3.905, 3.905, 3.905, 90, 90, 90),
         [("Sr", (0, 0, 0)), ("Ti", (0.5, 0.5, 0.5)), ("O", (0, 0.5, 0.5))],
         "cubic perovskite, a from Mitchell, Perovskites (2002)"),
    ],
    "Perovskite-NdAlO3": [  # the calcite type has the same key (167|abe|ABC3)
        ("CaCO3", "R-3c", (4.988, 4.988, 17.061, 90, 90, 120),
         [("Ca", (0, 0, 0)), ("C", (0, 0, 0.25)), ("O", (0.2578, 0, 0.25))],
         "calcite, Markgraf & Reeder, Am. Mineral. 70, 590 (1985)"),
    ],
    "Scheelite-CaWO4": [
        ("CaWO4", "I41/a:2", (5.243, 5.243, 11.376, 90, 90, 90),
         [("Ca", (0, 0.25, 0.625)), ("W", (0, 0.25, 0.125)), ("O", (0.1507, 0.0086, 0.2106))],
         "Hazen, Finger & Mariathasan, J. Phys. Chem. Solids 46, 253 (1985), origin choice 2"),
    ],
    "Pyroxene-CaMg(SiO3)2": [
        ("CaMgSi2O6", "C2/c", (9.746, 8.899, 5.251, 90, 105.63, 90),
         [("Ca", (0, 0.3015, 0.25)), ("Mg", (0, 0.9082, 0.25)), ("Si", (0.2862, 0.0933, 0.2293)),
          ("O", (0.1156, 0.0873, 0.1422)), ("O", (0.3611, 0.2500, 0.3180)), ("O", (0.3505, 0.0176, 0.9953))],
         "diopside, Cameron et al., Am. Mineral. 58, 594 (1973)"),
    ],
    "Olivine-Mg2SiO4": [
        ("Mg2SiO4", "Pnma", (10.207, 5.980, 4.756, 90, 90, 90),
         [("Mg", (0, 0, 0)), ("Mg", (0.2774, 0.25, 0.9915)), ("Si", (0.0940, 0.25, 0.4262)),
          ("O", (0.0913, 0.25, 0.7661)), ("O", (0.4474, 0.25, 0.2215)), ("O", (0.1628, 0.0331, 0.2777))],
         "forsterite, Fujino et al., Acta Cryst. B37, 513 (1981), Pbnm axes permuted to Pnma"),
    ],
    "Garnet-Al2Ca3Si3O12": [
        ("Ca3Al2Si3O12", "Ia-3d", (11.851, 11.851, 11.851, 90, 90, 90),
         [("Ca", (0.125, 0, 0.25)), ("Al", (0, 0, 0)), ("Si", (0.375, 0, 0.25)), ("O", (0.0381, 0.0449, 0.6514))],
         "grossular, Novak & Gibbs, Am. Mineral. 56, 791 (1971)"),
    ],
    "Bixbyite-Mn2O3": [
        ("In2O3", "Ia-3", (10.117, 10.117, 10.117, 90, 90, 90),
         [("In", (0.25, 0.25, 0.25)), ("In", (0.4668, 0, 0.25)), ("O", (0.3905, 0.1529, 0.3832))],
         "In2O3, Marezio, Acta Cryst. 20, 723 (1966)"),
    ],
    "Apatite#-(HE,P63/m)": [
        ("Ca5(PO4)3F", "P6_3/m", (9.3973, 9.3973, 6.8782, 90, 90, 120),
         [("Ca", (1 / 3, 2 / 3, 0.0010)), ("Ca", (0.2415, 0.0071, 0.25)), ("P", (0.3981, 0.3688, 0.25)),
          ("O", (0.3272, 0.4837, 0.25)), ("O", (0.5880, 0.4666, 0.25)), ("O", (0.3416, 0.2568, 0.0704)),
          ("F", (0, 0, 0.25))],
         "fluorapatite, Sudarsanan, Mackie & Young, Mater. Res. Bull. 7, 1331 (1972)"),
    ],
    "Melilite-Ca2MgSi2O7": [
        ("Ca2MgSi2O7", "P-42_1m", (7.835, 7.835, 5.010, 90, 90, 90),
         [("Ca", (0.3320, 0.1680, 0.5065)), ("Mg", (0, 0, 0)), ("Si", (0.1393, 0.3607, 0.9355)),
          ("O", (0.5, 0, 0.1803)), ("O", (0.1411, 0.3589, 0.2557)), ("O", (0.0811, 0.1878, 0.7862))],
         "akermanite, Kimata & Ii, Neues Jb. Miner. Abh. 144, 254 (1982)"),
    ],
}

# Types of paper 003 the catalogue does not hold: (space group, anonymized formula) of the record.
NEW_TYPES = ("Olivine-Mg2SiO4", "Garnet-Al2Ca3Si3O12", "Bixbyite-Mn2O3", "Apatite#-(HE,P63/m)")


def build() -> dict:
    """The JSON-able file: {"format", "command", "types": [{name, space_group, anonymized_formula,
    wyckoff_sequence, key, new, prototypes: [cif], sources: [str]}]}; raises when a structure's
    symmetry is not the stated one."""
    from pymatgen.core import Lattice, Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    sys.path.insert(0, str(REPO))
    from pymatgen_ml_xrd.identification.catalogue import load_default_catalogue
    from pymatgen_ml_xrd.identification.type_keys import split_key, structure_type_key

    keys = {t["name"]: t["key"] for t in load_default_catalogue()["types"]}
    types = []
    for name, entries in PROTOTYPES.items():
        cifs, sources, key = [], [], None
        for compound, group, lattice, sites, source in entries:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = Structure.from_spacegroup(group, Lattice.from_parameters(*lattice), [e for e, _ in sites],
                                              [xyz for _, xyz in sites])  # fmt: skip
            symbol = SpacegroupAnalyzer(s, symprec=0.01).get_space_group_symbol()
            if symbol.replace("_", "") != group.split(":")[0].replace("_", ""):
                raise ValueError(f"{name}: {compound} has the symmetry {symbol}, not {group}")
            if s.composition.reduced_formula != s.composition.__class__(compound).reduced_formula:
                raise ValueError(f"{name}: {compound} came out as {s.composition.reduced_formula}")
            key = structure_type_key(s)
            if name in keys and name not in NEW_TYPES and key != keys[name]:
                print(f"  note: {name}: {compound} has key {key}, the catalogue's is {keys[name]}")
            cifs.append(s.to(fmt="cif"))
            sources.append(f"{compound}: {source}")
        group, letters, anonymized = split_key(key)
        types.append({"name": name, "space_group": group, "anonymized_formula": anonymized,
                      "wyckoff_sequence": letters, "key": key, "new": name in NEW_TYPES, "prototypes": cifs,
                      "sources": sources})  # fmt: skip
    return {"format": "pymatgen_ml_xrd.literature_prototypes",
            "command": "python benchmarks/build_literature_prototypes.py", "types": types}  # fmt: skip


def equivalent_types() -> dict[str, str]:
    """{type name: name of its equivalence class} for the types of the default plugin (with the
    prototypes just written) that share a structure with another: the class is named after its
    first member that is one of paper 003's types, else its first member in plugin order."""
    from collections import defaultdict

    from pymatgen.analysis.structure_matcher import StructureMatcher
    from pymatgen.core import Structure

    from pymatgen_ml_xrd.identification.catalogue import load_default_catalogue
    from pymatgen_ml_xrd.identification.plugins import all_structure_types

    paper = {t["name"] for t in load_default_catalogue()["types"] if t["origin"].startswith("CrySTINet")}
    matcher = StructureMatcher(scale=True, attempt_supercell=False)
    types = all_structure_types()
    groups = defaultdict(list)
    for t in types:
        groups[(t.space_group, t.anonymized_formula)].append(t)
    out: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for members in groups.values():
            protos = {t.name: [Structure.from_str(c, fmt="cif") for c in t.prototypes] for t in members}
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    if b.name in out:
                        continue
                    if any(matcher.fit_anonymous(x, y) for x in protos[a.name] for y in protos[b.name]):
                        out.setdefault(a.name, a.name)
                        out[b.name] = out[a.name]
    classes = defaultdict(list)
    for name, cls in out.items():
        classes[cls].append(name)
    for names in classes.values():
        label = next((n for n in names if n in paper), names[0])
        out.update({n: label for n in names})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    data = build()
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    if args.out == OUT:  # the plugin reads the written prototypes: the equivalences come second
        data["equivalent"] = equivalent_types()
        args.out.write_text(json.dumps(data, indent=1) + "\n")
        print(f"equivalent types: {data['equivalent']}")
    print(f"{len(data['types'])} types ({sum(t['new'] for t in data['types'])} new), "
          f"{sum(len(t['prototypes']) for t in data['types'])} prototypes; wrote {args.out}")


if __name__ == "__main__":
    main()
