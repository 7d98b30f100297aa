"""Train the shipped StructureTypeIdentifier (the default RCNets) with the package's own fit().

    python benchmarks/train_structure_types.py [--data ../shared/data] [--patterns-per-type 300] \
        [--epochs 30] [--types-per-rcnet 10] [--n-outliers 1200] [--max-types N] [--out DIR] [--publish]

Types: the default catalogue (pymatgen_ml_xrd/data/structure_types_default.json.gz, built by
``python benchmarks/build_structure_types.py``). Members: the real structures
of each type in the training half of ../shared/data/structures (``in_statistics_half``), or the
catalogue's prototype CIFs where a type has none; the held-out half stays unseen for
benchmarks/bench_structure_types.py. Training patterns: members and synthetic variants
(substitution, strain, Wyckoff-projected jitter) with drawn profiles and ExperimentalEffects()
plus March-Dollase preferred orientation (r in 0.7-1.4), background removed with SNIP. Every
RCNet also sees ``--n-outliers`` patterns of other types and random synthetic crystals, trained
towards low confidence (outlier exposure). ``--publish`` writes pymatgen_ml_xrd/pretrained/structure_types/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]


def training_members(data: Path, catalogue: dict, cache: Path):
    """(structures, type names): training-half members of every catalogue type (prototypes where none)."""
    from build_structure_types import member_structures, type_key_table
    from pymatgen.core import Structure

    table = type_key_table(data, cache)
    train = table[table["train"].astype(bool)]
    structures, names = [], []
    for t in catalogue["types"]:
        rows = train[train["key"] == t["key"]]
        found = member_structures(data, rows)
        if not found:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = [Structure.from_str(cif, fmt="cif") for cif in t["prototypes"]]
        structures += found
        names += [t["name"]] * len(found)
    return structures, names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "results" / "type_keys.csv")
    ap.add_argument("--patterns-per-type", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--n-outliers", type=int, default=1200)
    ap.add_argument("--types-per-rcnet", type=int, default=10)
    ap.add_argument("--max-types", type=int, default=None, help="first N catalogue types only (smoke runs)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "structure_types_model")
    ap.add_argument("--publish", action="store_true", help="copy the RCNets to pymatgen_ml_xrd/pretrained/structure_types")
    args = ap.parse_args()

    from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
    from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier
    from pymatgen_ml_xrd.identification.catalogue import load_default_catalogue

    catalogue = load_default_catalogue()
    if args.max_types:
        catalogue = {**catalogue, "types": catalogue["types"][: args.max_types]}
    t0 = time.time()
    structures, names = training_members(args.data, catalogue, args.cache)
    print(f"{len(set(names))} types, {len(structures)} member structures ({time.time() - t0:.0f} s)")
    ident = StructureTypeIdentifier(pretrained=None, patterns_per_type=args.patterns_per_type, epochs=args.epochs,
                                    types_per_rcnet=args.types_per_rcnet, n_outliers=args.n_outliers,
                                    effects=ExperimentalEffects(preferred_orientation=(0.7, 1.4)).to_dict())
    ident.fit(structures, names)
    for m in ident.rcnets_:  # fit's training_record holds this script's command; the data it read:
        m.metadata["training"].update(
            catalogue=catalogue["command"],
            members="training half of ../shared/data/structures (in_statistics_half), else prototypes",
        )
    if args.out.exists():
        shutil.rmtree(args.out)
    ident.save(args.out)
    print(f"trained {len(ident.rcnets_)} RCNets in {time.time() - t0:.0f} s; wrote {args.out}")
    if args.publish:
        target = REPO / "pymatgen_ml_xrd" / "pretrained" / "structure_types"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for m in ident.rcnets_:
            m.save(target / m.name)
        print(f"published {len(ident.rcnets_)} RCNets to {target}")


if __name__ == "__main__":
    main()
