"""Build the structure-type data shipped with the package (not part of the installed package).

    python benchmarks/build_structure_types.py [--data ../shared/data] [--min-members 8]

1. Every real structure of ../shared/data/structures (the generator's files) gets its type key
   (:func:`type_key_table`, cached as CSV).
2. The 100 types of paper 003 (../shared/data/crystinet_structure_types.tsv) are matched to keys
   through a prototype: pymatgen's AFLOW prototype library (by the formula in the ICSD type name,
   preferring the formula's most common space group in the ICSD index, then by its mineral
   name), else the most common key of real structures with that formula, else the most common
   key of real structures with the formula's ICSD space group and anonymized formula.
   Types whose prototype cannot be obtained (frameworks, amphiboles, apatites, ...) are reported.
3. The set is filled up to ``--n-types`` with the most populous keys of the real structures (at
   least ``--min-members`` members), named after their AFLOW prototype when one matches, else
   "<most common formula> (<space-group symbol>)".

4. Substitution formulas for synthetic members: {space group | anonymized formula: reduced
   formulas} of the ICSD formula index, for pairs with at least 3 formulas, at most 30 each (a
   fixed random sample), written to pymatgen_ml_xrd/data/substitution_formulas.json.gz.

Each record carries up to three prototype CIFs (the AFLOW prototype and/or real members of the
training half, ``data_splits.in_statistics_half``) and how it was matched. Writes
pymatgen_ml_xrd/data/structure_types_default.json.gz (read by
:func:`pymatgen_ml_xrd.identification.catalogue.load_default_catalogue`).

:func:`type_key_table` and :func:`member_structures` (the real members of every type key) are
also used by benchmarks/train_structure_types.py, benchmarks/bench_structure_types.py and
plugins/build_extra_types.py (with benchmarks/ on ``sys.path``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_splits import STRUCTURE_FILES, in_statistics_half, material_ids  # noqa: E402

from pymatgen_ml_xrd.identification.type_keys import structure_type_key  # noqa: E402

__all__ = ["build_catalogue", "crystinet_candidates", "member_structures", "substitution_table", "type_key_table"]

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "pymatgen_ml_xrd" / "data" / "structure_types_default.json.gz"
COLUMNS = ("material_id", "file", "row", "formula", "key", "train")


def type_key_table(data: Path, cache: Path | None = None) -> pd.DataFrame:
    """One row per real structure of ``data``/structures (the generator's files, de-duplicated by
    material id): material_id, file, row, reduced formula, key ("" when the structure has none:
    disordered or no symmetry), train (the statistics half, ``in_statistics_half``: the other half
    is held out by material). Parsing ~18,000 CIFs takes a few minutes, so the table is cached as
    CSV at ``cache``."""
    if cache is not None and Path(cache).is_file():
        table = pd.read_csv(cache, keep_default_na=False)
        if tuple(table.columns) == COLUMNS:
            return table
    from pymatgen.core import Structure

    rows, seen = [], set()
    for name in STRUCTURE_FILES:
        frame = pd.read_csv(Path(data) / "structures" / f"{name}.csv.gz")
        for i, (mid, cif) in enumerate(zip(material_ids(name, frame), frame["cif"])):
            if mid in seen:
                continue
            seen.add(mid)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = Structure.from_str(cif, fmt="cif")
            try:
                key = structure_type_key(s)
            except Exception:  # noqa: BLE001 - recorded as "no key", counted by callers
                key = ""
            rows.append((mid, name, i, s.composition.reduced_formula, key, in_statistics_half(mid)))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(cache, index=False)
    return table


def member_structures(data: Path, table: pd.DataFrame) -> list:
    """pymatgen Structures of the rows of ``table`` (:func:`type_key_table` rows, in its order)."""
    from pymatgen.core import Structure

    frames: dict[str, pd.DataFrame] = {}
    out = []
    for name, i in zip(table["file"], table["row"]):
        if name not in frames:
            frames[name] = pd.read_csv(Path(data) / "structures" / f"{name}.csv.gz")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(Structure.from_str(frames[name]["cif"].iloc[int(i)], fmt="cif"))
    return out


def crystinet_candidates(name: str) -> tuple[list[str], list[str]]:
    """(formulas, words) read from an ICSD structure-type name such as "Perovskite-GdFeO3",
    "Calcite-CaCO3(hR10)" or "fcc(ccp)-Cu": formula-like parts in order, and alphabetic words
    (mineral names) in lower case."""
    from pymatgen.core import Composition

    # annotations such as "(hR10)", "(2H)", "(orh)", "(HE,P63/m)" end a part; "(SiO3)2" and
    # "(Nb2O6)F" are formula groups and stay; "+x" marks a variable composition
    clean = re.sub(r"\([^)]*\)(?=-|$)", "", name).replace("#", "").replace("+x", "")
    formulas, words = [], []
    for part in clean.split("-"):
        part = part.strip()
        if not part:
            continue
        try:
            comp = Composition(part)
            if comp.num_atoms > 0 and all(el.Z <= 94 for el in comp.elements) and part[0].isupper() \
                    and not part.isalpha() or (part.isalpha() and _is_formula(part)):
                formulas.append(comp.reduced_formula)
                continue
        except Exception:  # noqa: BLE001 - not a formula: a word
            pass
        words.append(part.lower())
    return formulas, words


def _is_formula(word: str) -> bool:
    """True for all-letter formulas such as "NaCl", "FeB", "Cu", "MnP" (element symbols only)."""
    from pymatgen.core.periodic_table import Element

    tokens = re.findall(r"[A-Z][a-z]?", word)
    return "".join(tokens) == word and all(Element.is_valid_symbol(t) for t in tokens)


def _aflow_prototypes():
    """[(tags, Structure, key)] of pymatgen's AFLOW prototype library."""
    import os

    import pymatgen.analysis.prototypes as prototypes
    from monty.serialization import loadfn

    out = []
    for entry in loadfn(os.path.join(os.path.dirname(prototypes.__file__), "aflow_prototypes.json.gz")):
        s = entry["snl"].structure
        try:
            out.append((entry["tags"], s, structure_type_key(s)))
        except Exception:  # noqa: BLE001 - disordered prototypes have no key
            continue
    return out


def _icsd_space_groups(path: Path) -> dict[str, Counter]:
    """{reduced formula: Counter of ICSD space groups} of the ICSD formula index."""
    from pymatgen.core import Composition

    with gzip.open(path, "rt") as fh:
        index = json.load(fh)
    out: dict[str, Counter] = {}
    for entries in index.values():
        for formula, _id, group, *_ in entries:
            try:
                reduced = Composition(formula).reduced_formula
            except Exception:  # noqa: BLE001 - malformed formula strings in the index are skipped
                continue
            out.setdefault(reduced, Counter())[int(group)] += 1
    return out


def build_catalogue(data: Path, min_members: int = 8, cache: Path | None = None, max_prototypes: int = 3,
                    n_types: int = 120) -> dict:
    """The catalogue as a JSON-able dict (see the module docstring)."""
    from pymatgen.core import Composition
    from pymatgen.symmetry.groups import SpaceGroup

    from pymatgen_ml_xrd.identification.type_keys import split_key

    table = type_key_table(data, cache)
    table = table[table["key"] != ""]
    aflow = _aflow_prototypes()
    counts = Counter(table["key"])
    crystinet = pd.read_csv(data / "crystinet_structure_types.tsv", sep="\t", header=None, names=["id", "name"])
    icsd_groups = _icsd_space_groups(data / "icsd_index" / "icsd_filtered_info_2025_v3.json.gz")
    chosen: dict[str, dict] = {}
    missing = []
    for cid, name in zip(crystinet["id"], crystinet["name"]):
        formulas, words = crystinet_candidates(name)
        key, how, proto = None, None, None
        for f in formulas:
            group = icsd_groups[f].most_common(1)[0][0] if f in icsd_groups else None
            hits = [a for a in aflow if a[1].composition.reduced_formula == f]
            if len(hits) > 1 and words:
                hits = [a for a in hits if a[0].get("mineral", "").lower() in words] or hits
            if len(hits) > 1 and group:
                hits = [a for a in hits if split_key(a[2])[0] == group] or hits
            if hits:
                tags, proto, key = hits[0]
                how = f"AFLOW prototype {tags['aflow']} (formula {f})"
                break
            members = table[table["formula"] == f]
            if group:
                members = members[[split_key(k)[0] == group for k in members["key"]]]
            if len(members):
                key = Counter(members["key"]).most_common(1)[0][0]
                how = f"real structures with formula {f} ({len(members)}), most common key"
                break
            if group:  # the ICSD space group of the formula + its anonymized formula
                anonymized = Composition(f).anonymized_formula
                same = [k for k in table["key"] if split_key(k)[0] == group and split_key(k)[2] == anonymized]
                if same:
                    key = Counter(same).most_common(1)[0][0]
                    how = (f"ICSD index: {f} in space group {group}; most common key of {len(same)} real "
                           f"structures with that group and formula type {anonymized}")
                    break
        if key is None:
            hits = [a for a in aflow if a[0].get("mineral", "").lower() in words]
            if hits:
                tags, proto, key = hits[0]
                how = f"AFLOW prototype {tags['aflow']} (mineral {tags['mineral']})"
        if key is None:
            missing.append({"crystinet_id": int(cid), "name": name,
                            "why": "no prototype in the AFLOW library, the real structures or the ICSD index"})
            continue
        if key in chosen:
            missing.append({"crystinet_id": int(cid), "name": name,
                            "why": f"same type key {key} as {chosen[key]['name']}"})
            continue
        chosen[key] = {"name": name, "origin": f"CrySTINet #{cid}: {how}", "aflow_structure": proto}
    for key, n in counts.most_common():
        if n < min_members or len(chosen) >= n_types:
            break
        if key in chosen:
            continue
        group, _, _ = split_key(key)
        hits = [a for a in aflow if a[2] == key]
        formula = Counter(table.loc[table["key"] == key, "formula"]).most_common(1)[0][0]
        if hits:
            tags = hits[0][0]
            label = next(v for v in (tags.get("mineral"), tags.get("strukturbericht"), tags["aflow"])
                         if v and v != "None")
            name = f"{hits[0][1].composition.reduced_formula} ({label})"
        else:
            name = f"{formula} ({SpaceGroup.from_int_number(group).symbol})"
        names = {c["name"] for c in chosen.values()}
        if name in names:
            name = f"{name} [{key}]"
        chosen[key] = {"name": name, "origin": f"populous key ({n} real structures)",
                       "aflow_structure": hits[0][1] if hits else None}
    types = []
    for key, info in chosen.items():
        group, letters, anonymized = split_key(key)
        rows = table[table["key"] == key]
        train = rows[rows["train"].astype(bool)]
        prototypes = []
        if info["aflow_structure"] is not None:
            prototypes.append(info["aflow_structure"].to(fmt="cif"))
        for s in member_structures(data, train.head(max_prototypes - len(prototypes))):
            prototypes.append(s.to(fmt="cif"))
        if not prototypes:  # no AFLOW prototype, no training member: only held-out members exist
            missing.append({"name": info["name"], "why": f"key {key}: no prototype outside the held-out half"})
            continue
        aflow_label = next((a[0]["aflow"] for a in aflow if a[2] == key), None)
        types.append({
            "name": info["name"], "space_group": group, "anonymized_formula": anonymized,
            "wyckoff_sequence": letters, "aflow_label": aflow_label, "prototypes": prototypes,
            "key": key, "origin": info["origin"], "n_train_members": int(len(train)),
            "n_held_out_members": int(len(rows) - len(train)),
        })  # fmt: skip
    return {
        "format": "pymatgen_ml_xrd.structure_types",
        "built": time.strftime("%Y-%m-%d"),
        "command": f"python benchmarks/build_structure_types.py --min-members {min_members} --n-types {n_types}",
        "sources": {
            "types": "../shared/data/crystinet_structure_types.tsv (paper 003's 100 types)",
            "prototypes": "pymatgen AFLOW prototype library; ../shared/data/structures (Materials Project "
                          "CC-BY-4.0, AFLOW Apache-2.0), training half only",
        },
        "not_matched": missing,
        "types": types,
    }


def substitution_table(data: Path, min_formulas: int = 3, cap: int = 30) -> dict[str, list[str]]:
    """{"SG|ANON": formulas} of the ICSD formula index (see the module docstring)."""
    import numpy as np

    from pymatgen_ml_xrd.identification.variants import formulas_by_type

    table = formulas_by_type(data / "icsd_index" / "icsd_filtered_info_2025_v3.json.gz")
    rng = np.random.default_rng(0)
    return {f"{g}|{anon}": (v if len(v) <= cap else sorted(rng.choice(v, cap, replace=False).tolist()))
            for (g, anon), v in sorted(table.items()) if len(v) >= min_formulas}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--min-members", type=int, default=8, help="fewest real structures of a filled-up type")
    ap.add_argument("--n-types", type=int, default=120, help="fill up to this many types")
    ap.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "results" / "type_keys.csv")
    ap.add_argument("--out", type=Path, default=CATALOGUE)
    args = ap.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        catalogue = build_catalogue(args.data, args.min_members, args.cache, n_types=args.n_types)
        formulas = substitution_table(args.data)
    with gzip.open(args.out, "wt") as fh:
        json.dump(catalogue, fh)
    with gzip.open(args.out.with_name("substitution_formulas.json.gz"), "wt") as fh:
        json.dump(formulas, fh)
    crystinet = sum(t["origin"].startswith("CrySTINet") for t in catalogue["types"])
    print(f"{len(catalogue['types'])} types ({crystinet} of paper 003, {len(catalogue['types']) - crystinet} populous); "
          f"not matched: {len(catalogue['not_matched'])}; wrote {args.out}")


if __name__ == "__main__":
    main()
