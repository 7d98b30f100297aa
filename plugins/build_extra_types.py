"""Build plugins/pmlxrd_extra_types: a structure-type plugin with types absent from the default set.

    python plugins/build_extra_types.py [--data ../shared/data] [--n-types 4]

Takes the most populous type keys of ../shared/data/structures that the default catalogue does
not hold, collects their real members of the training half (``in_statistics_half``) as CIFs in
one sub-folder per type, and trains the plugin with the documented command

    pmlxrd train structure-types FOLDER --out plugins/pmlxrd_extra_types --plugin-name pmlxrd-extra-types

so the plugin is made exactly as a user would make one.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))  # the data-table helpers read ../shared/data: not in the package


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "results" / "type_keys.csv")
    ap.add_argument("--n-types", type=int, default=4)
    ap.add_argument("--max-members", type=int, default=12)
    args = ap.parse_args()
    from build_structure_types import member_structures, type_key_table
    from pymatgen.symmetry.groups import SpaceGroup

    from pymatgen_ml_xrd.identification.catalogue import load_default_catalogue
    from pymatgen_ml_xrd.identification.type_keys import split_key

    default_keys = {t["key"] for t in load_default_catalogue()["types"]}
    table = type_key_table(args.data, args.cache)
    train = table[table["train"].astype(bool) & (table["key"] != "")]
    counts = Counter(train["key"])
    chosen = [k for k, _ in counts.most_common() if k not in default_keys][: args.n_types]
    with tempfile.TemporaryDirectory() as tmp:
        for key in chosen:
            rows = train[train["key"] == key].head(args.max_members)
            formula = Counter(rows["formula"]).most_common(1)[0][0]
            group, letters, _ = split_key(key)
            name = f"{formula}-type {SpaceGroup.from_int_number(group).symbol.replace('/', '_')} {letters}"
            folder = Path(tmp) / name
            folder.mkdir()
            for i, s in enumerate(member_structures(args.data, rows)):
                s.to(filename=str(folder / f"{i:03d}.cif"))
            print(f"{name}: {len(rows)} members ({key})")
        cmd = [sys.executable, "-m", "pymatgen_ml_xrd.cli", "train", "structure-types", tmp,
               "--out", str(REPO / "plugins" / "pmlxrd_extra_types"), "--plugin-name", "pmlxrd-extra-types"]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
