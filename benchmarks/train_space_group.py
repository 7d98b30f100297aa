"""Train (or resume) the shipped SpaceGroupClassifier with the package's own fit().

    python benchmarks/train_space_group.py --minutes 70 --n-patterns 1500000 \
        --checkpoint-dir benchmarks/checkpoints/space_group --publish

Progress is checked on real structures the generator statistics never saw (the held-out half of
mpts52_val); the softmax temperature is calibrated on the held-out half of mp20_biternary_val.
``--real-fraction 0.25`` simulates a quarter of every batch from the real structures of the
statistics half (the held-out half stays unseen). ``--publish`` writes the result to
pymatgen_ml_xrd/pretrained/space_group_gaussian.{keras,json} (``pretrained="gaussian"``, the default until 2026-12-08). A run that stops (time limit,
Ctrl-C) resumes from its checkpoint.

``--experimental`` trains the model for measured patterns (``pretrained="experimental"``):
the stream adds every experimental effect of ``ExperimentalEffects.measured()``, pseudo-Voigt
peaks and K-alpha2 on half of the patterns, and removes the background with SNIP before the
model, as predict() does for measured input; the weights start from ``--init-from`` (default:
the pure model's checkpoint) and validation patterns carry seeded effects too:

    python benchmarks/train_space_group.py --experimental --minutes 65 --n-patterns 700000 \
        --real-fraction 0.25 --learning-rate 3e-4 --publish

``--preferred-orientation LO HI`` adds March-Dollase texture (r drawn log-uniformly in [LO, HI]
along a random low-index direction) to the experimental effects.

``--profile pseudo-voigt`` trains the pure model on pseudo-Voigt peaks (Lorentzian fraction
0-1, Caglioti widths, Scherrer broadening in quadrature) instead of Gaussian Scherrer peaks
only; with ``--init-from`` a pure run starts from another classifier's weights. ``--publish``
then writes pymatgen_ml_xrd/pretrained/space_group_pseudo_voigt (``pretrained="pseudo-voigt"``),
trained from the default model's checkpoint in two runs on the same checkpoint directory:

    python benchmarks/train_space_group.py --profile pseudo-voigt \
        --init-from benchmarks/checkpoints/space_group/checkpoint \
        --checkpoint-dir benchmarks/checkpoints/space_group_profiles \
        --minutes 45 --n-patterns 800000 --real-fraction 0.25 --learning-rate 3e-4
    python benchmarks/train_space_group.py --profile pseudo-voigt \
        --init-from benchmarks/checkpoints/space_group/checkpoint \
        --checkpoint-dir benchmarks/checkpoints/space_group_profiles \
        --minutes 24 --n-patterns 1600000 --real-fraction 0.25 --learning-rate 3e-4 --publish
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]


def statistics_half_with_groups(data: Path):
    """The statistics half's real crystals with their space groups (pymatgen_ml_xrd.training_data)."""
    from pymatgen_ml_xrd.training_data import statistics_half_with_groups as real_crystals

    structures, groups = real_crystals(data)
    print(f"real crystals for mixing: {len(structures)} (statistics half)")
    return structures, groups


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--n-patterns", type=int, default=1_500_000, help="planned total (sets the LR schedule)")
    ap.add_argument("--checkpoint-dir", type=Path, default=None,
                    help="default: benchmarks/checkpoints/space_group[_experimental]")
    ap.add_argument("--checkpoint-every", type=int, default=102_400)
    ap.add_argument("--n-workers", type=int, default=1)
    ap.add_argument("--n-validation", type=int, default=300)
    ap.add_argument("--real-fraction", type=float, default=0.0,
                    help="share of each batch simulated from the real structures of the statistics half")
    ap.add_argument("--learning-rate", type=float, default=1e-3)
    ap.add_argument("--experimental", action="store_true", help="train the model for measured patterns")
    ap.add_argument("--init-from", default=None,
                    help="the classifier whose weights start the training (--experimental: default "
                         "benchmarks/checkpoints/space_group/checkpoint)")
    ap.add_argument("--profile", choices=("gaussian", "pseudo-voigt"), default="gaussian",
                    help="peak shape of the pure stream (--experimental always uses pseudo-voigt)")
    ap.add_argument("--preferred-orientation", type=float, nargs=2, metavar=("LO", "HI"), default=None,
                    help="with --experimental: range of the March-Dollase r (e.g. 0.7 1.4)")
    ap.add_argument("--publish", action="store_true", help="write the shipped weights")
    args = ap.parse_args()
    if args.preferred_orientation is not None and not args.experimental:
        ap.error("--preferred-orientation needs --experimental")
    if args.experimental and args.profile != "gaussian":
        ap.error("--profile is for the pure model; --experimental always uses pseudo-voigt")
    if args.experimental and args.init_from is None:
        args.init_from = str(REPO / "benchmarks" / "checkpoints" / "space_group" / "checkpoint")
    name = "space_group_experimental" if args.experimental else "space_group"
    checkpoint_dir = args.checkpoint_dir or REPO / "benchmarks" / "checkpoints" / name

    from data_splits import held_out_structures

    from pymatgen_ml_xrd import SpaceGroupClassifier
    from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
    from pymatgen_ml_xrd.patterns.rendering import measured_like

    val = held_out_structures(args.data, "mpts52_val", args.n_validation)
    calib = held_out_structures(args.data, "mp20_biternary_val", args.n_validation, seed=1)
    real = statistics_half_with_groups(args.data) if args.real_fraction > 0 else None
    options = {"profile": args.profile}
    if args.experimental:
        effects = ExperimentalEffects.measured()
        if args.preferred_orientation is not None:
            effects = dataclasses.replace(effects, preferred_orientation=tuple(args.preferred_orientation))
        options = dict(profile="pseudo-voigt", kalpha2=0.5, effects=effects.to_dict(), background="snip")
        val = (measured_like(val[0], effects, seed=0), val[1])
        calib = (measured_like(calib[0], effects, seed=1), calib[1])
    clf = SpaceGroupClassifier(pretrained=None, n_workers=args.n_workers, real_fraction=args.real_fraction,
                               learning_rate=args.learning_rate, **options)
    clf.fit(n_patterns=args.n_patterns, validation_data=val, checkpoint_dir=str(checkpoint_dir),
            checkpoint_every=args.checkpoint_every, time_limit=args.minutes * 60, real_data=real,
            init_from=args.init_from)
    print("validation (held-out mpts52_val):", clf.metadata_["training"]["history"][-1])
    print("calibration (held-out mp20_biternary_val):", clf.calibrate(*calib))
    clf.save(checkpoint_dir / "checkpoint")
    if args.publish:
        target = ("space_group_experimental" if args.experimental
                  else "space_group_pseudo_voigt" if args.profile == "pseudo-voigt" else "space_group_gaussian")
        path = clf.save(REPO / "pymatgen_ml_xrd" / "pretrained" / target, include_optimizer=False)
        print(f"published {path}")


if __name__ == "__main__":
    main()
