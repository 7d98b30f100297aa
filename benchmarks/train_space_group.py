"""Train (or resume) the shipped SpaceGroupClassifier with the package's own fit().

    python benchmarks/train_space_group.py --minutes 70 --n-patterns 1500000 \
        --checkpoint-dir benchmarks/checkpoints/space_group --publish

Progress is checked on real structures the generator statistics never saw (the held-out half of
mpts52_val); the softmax temperature is calibrated on the held-out half of mp20_biternary_val.
``--real-fraction 0.25`` simulates a quarter of every batch from the real structures of the
statistics half (the held-out half stays unseen). ``--publish`` writes the result to pymatgen_ml_xrd/pretrained/space_group_default.{keras,json}.
A run that stops (time limit, Ctrl-C) resumes from its checkpoint.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]


def statistics_half_with_groups(data: Path):
    """The real structures the generator statistics were built from (never the held-out half),
    with space groups from spglib (symprec 0.1, as for the held-out structures)."""
    import numpy as np
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    from pymatgen_ml_xrd.generation.build_default import load_statistics_structures

    structures = load_statistics_structures(data)
    groups = np.array([SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number() for s in structures])
    print(f"real crystals for mixing: {len(structures)} (statistics half)")
    return structures, groups


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--n-patterns", type=int, default=1_500_000, help="planned total (sets the LR schedule)")
    ap.add_argument("--checkpoint-dir", type=Path, default=REPO / "benchmarks" / "checkpoints" / "space_group")
    ap.add_argument("--checkpoint-every", type=int, default=102_400)
    ap.add_argument("--n-workers", type=int, default=1)
    ap.add_argument("--n-validation", type=int, default=300)
    ap.add_argument("--real-fraction", type=float, default=0.0,
                    help="share of each batch simulated from the real structures of the statistics half")
    ap.add_argument("--publish", action="store_true", help="write the shipped default weights")
    args = ap.parse_args()

    from pymatgen_ml_xrd import SpaceGroupClassifier
    from pymatgen_ml_xrd.generation.build_default import held_out_structures

    val = held_out_structures(args.data, "mpts52_val", args.n_validation)
    real = statistics_half_with_groups(args.data) if args.real_fraction > 0 else None
    clf = SpaceGroupClassifier(pretrained=None, n_workers=args.n_workers, real_fraction=args.real_fraction)
    clf.fit(n_patterns=args.n_patterns, validation_data=val, checkpoint_dir=str(args.checkpoint_dir),
            checkpoint_every=args.checkpoint_every, time_limit=args.minutes * 60, real_data=real)
    print("validation (held-out mpts52_val):", clf.metadata_["training"]["history"][-1])
    calib = held_out_structures(args.data, "mp20_biternary_val", args.n_validation, seed=1)
    print("calibration (held-out mp20_biternary_val):", clf.calibrate(*calib))
    clf.save(args.checkpoint_dir / "checkpoint")
    if args.publish:
        path = clf.save(REPO / "pymatgen_ml_xrd" / "pretrained" / "space_group_default", include_optimizer=False)
        print(f"published {path}")


if __name__ == "__main__":
    main()
