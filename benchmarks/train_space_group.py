"""Train (or resume) the shipped SpaceGroupClassifier with the package's own fit().

    python benchmarks/train_space_group.py --minutes 70 --n-patterns 1500000 \
        --checkpoint-dir benchmarks/checkpoints/space_group --publish

Progress is checked on real structures the generator statistics never saw (the held-out half of
mpts52_val); the softmax temperature is calibrated on the held-out half of mp20_biternary_val.
``--publish`` writes the result to pymatgen_ml_xrd/pretrained/space_group_default.{keras,json}.
A run that stops (time limit, Ctrl-C) resumes from its checkpoint.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]


def held_out(data: Path, name: str, n: int, seed: int = 0):
    """(structures, space groups) of ``name`` outside the statistics half, ``n`` at random."""
    import pandas as pd
    from pymatgen.core import Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    from pymatgen_ml_xrd.generation.build_default import in_statistics_half, material_ids

    frame = pd.read_csv(data / "structures" / f"{name}.csv.gz")
    ids = material_ids(name, frame)
    rows = [i for i, mid in enumerate(ids) if not in_statistics_half(mid)]
    rng = np.random.default_rng(seed)
    rows = rng.choice(rows, size=min(n, len(rows)), replace=False)
    structures, groups = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in rows:
            s = Structure.from_str(frame["cif"].iloc[i], fmt="cif")
            structures.append(s)
            groups.append(SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number())
    return structures, np.array(groups)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--n-patterns", type=int, default=1_500_000, help="planned total (sets the LR schedule)")
    ap.add_argument("--checkpoint-dir", type=Path, default=REPO / "benchmarks" / "checkpoints" / "space_group")
    ap.add_argument("--checkpoint-every", type=int, default=102_400)
    ap.add_argument("--n-workers", type=int, default=1)
    ap.add_argument("--n-validation", type=int, default=300)
    ap.add_argument("--publish", action="store_true", help="write the shipped default weights")
    args = ap.parse_args()

    from pymatgen_ml_xrd import SpaceGroupClassifier

    val = held_out(args.data, "mpts52_val", args.n_validation)
    clf = SpaceGroupClassifier(pretrained=None, n_workers=args.n_workers)
    clf.fit(n_patterns=args.n_patterns, validation_data=val, checkpoint_dir=str(args.checkpoint_dir),
            checkpoint_every=args.checkpoint_every, time_limit=args.minutes * 60)
    print("validation (held-out mpts52_val):", clf.metadata_["training"]["history"][-1])
    calib = held_out(args.data, "mp20_biternary_val", args.n_validation, seed=1)
    print("calibration (held-out mp20_biternary_val):", clf.calibrate(*calib))
    clf.save(args.checkpoint_dir / "checkpoint")
    if args.publish:
        path = clf.save(REPO / "pymatgen_ml_xrd" / "pretrained" / "space_group_default", include_optimizer=False)
        print(f"published {path}")


if __name__ == "__main__":
    main()
