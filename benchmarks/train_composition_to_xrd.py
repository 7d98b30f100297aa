"""Train the shipped CompositionToXRD with the package's own fit() on real structures.

    python benchmarks/train_composition_to_xrd.py --publish

Data: benchmarks/composition_data.py (one MP/AFLOW structure per formula, the 20% test split by
formula is never seen here). ``--publish`` writes pymatgen_ml_xrd/pretrained/
composition_to_xrd_default.{keras,json}; the benchmark is bench_composition_to_xrd.py. After
fit, the intensity exponent is calibrated (peak F1) on the 10% validation formulas;
``--calibrate-only`` redoes only that step on the model saved at ``--out``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "results" / "composition_dataset.npz")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--loss", default="pearson_smooth")
    ap.add_argument("--architecture", default="compact")
    ap.add_argument("--precision", default="float32")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "composition_to_xrd_model")
    ap.add_argument("--calibrate-only", action="store_true",
                    help="load the model saved at --out and only (re)calibrate its intensity exponent")
    ap.add_argument("--publish", action="store_true", help="write the shipped default weights")
    args = ap.parse_args()

    from composition_data import composition_dataset

    from pymatgen_ml_xrd import CompositionToXRD
    from pymatgen_ml_xrd.models.provenance import command_line

    data = composition_dataset(args.data, args.cache)
    train = ~data["test"]
    formulas, patterns = data["formula"][train], data["patterns"][train]
    est = CompositionToXRD(pretrained=None, epochs=args.epochs, loss=args.loss, architecture=args.architecture,
                           precision=args.precision)  # fmt: skip
    fit_rows, val = est.validation_split(len(formulas))  # the 10% that fit() would hold back itself
    validation = (list(formulas[val]), patterns[val])
    if args.calibrate_only:
        est = CompositionToXRD.load(args.out)
    else:
        est.fit(list(formulas[fit_rows]), patterns[fit_rows], validation_data=validation)
        est.metadata_["training"]["data"] = (
            "one structure per reduced formula (lowest e_above_hull) from ../shared/data/structures "
            "mp20_biternary_val, mp20_pilot_train, mp20_pilot_val, mpts52_val (MP, CC-BY-4.0) and aflow_statistics "
            "(AFLOW); the 20% of formulas with sha1 mod 10 < 2 held out (benchmarks/composition_data.py); 10% of "
            "the rest for early stopping and calibration"
        )
        hist = est.metadata_["training"]["history"]
        print(f"epochs {est.metadata_['training']['epochs_run']}, best val_loss {min(hist['val_loss']):.4f}, "
              f"{est.metadata_['training']['wall_seconds']:.0f} s")  # fmt: skip
    calib = est.calibrate(*validation)
    est.metadata_["calibration"]["command"] = command_line()
    print(f"intensity exponent {calib['exponent']}: validation peak F1 {calib['f1_before']:.3f} -> {calib['f1_after']:.3f}")
    est.save(args.out)
    if args.publish:
        print("published", est.save(REPO / "pymatgen_ml_xrd" / "pretrained" / "composition_to_xrd_default"))

if __name__ == "__main__":
    main()
