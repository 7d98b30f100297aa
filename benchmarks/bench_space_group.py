"""Accuracy and speed of the shipped SpaceGroupClassifier.

Accuracy on real structures the model never saw, simulated with the package's calculator (Cu
K-alpha1, 50 nm): the held-out halves (ids outside ``in_statistics_half``) of
../shared/data/structures mpts52_val, mp20_biternary_val and aflow_statistics. Reported: top-1,
top-5, crystal-system accuracy, the share of structures whose group is among ``classes_`` (the
others count as errors), per-space-group recall (PNG). Robustness to the peak shape: top-1/top-5
of the same structures simulated with pseudo-Voigt peaks (Lorentzian fraction 0.5, Caglioti
U = W = 0.004 deg^2, 50 nm) instead of Gaussian Scherrer peaks. Speed: training patterns/s of the
default architecture on fixed batches (fp32 vs bf16), the stream's patterns/s, inference
patterns/s (fp32 vs bf16).

    python benchmarks/bench_space_group.py [--data DIR] [--model PATH] [--max-per-file 2000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from _common import DEFAULT_DATA, REPO, machine, write_json  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", default="default")
    ap.add_argument("--max-per-file", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "space_group.json")
    args = ap.parse_args()
    import keras
    from data_splits import held_out_structures

    from pymatgen_ml_xrd import SpaceGroupClassifier, XRDCalculator
    from pymatgen_ml_xrd.generation.wyckoff_tables import crystal_system
    from pymatgen_ml_xrd.models import build_classifier

    clf = SpaceGroupClassifier(pretrained=args.model)
    calc = XRDCalculator(clf.spec_.wavelength)
    start, stop, step = clf.spec_.two_theta
    results, all_true, all_pred = {}, [], []
    for name in ("mpts52_val", "mp20_biternary_val", "aflow_statistics"):
        structures, y = held_out_structures(args.data, name, args.max_per_file)
        x = calc.get_diffractograms(structures, two_theta_range=(start, stop), step=step, crystallite_size=50.0)
        metrics = clf.evaluate(x, y)
        pred = clf.predict(x)
        known = np.isin(y, clf.classes_)
        metrics["in_classes"] = float(known.mean())
        metrics["crystal_system"] = float(np.mean([crystal_system(int(p)) == crystal_system(int(t))
                                                   for p, t in zip(pred, y)]))
        voigt = calc.get_diffractograms(structures, two_theta_range=(start, stop), step=step, crystallite_size=50.0,
                                        profile="pseudo-voigt", eta=0.5, caglioti=(0.004, 0.0, 0.004))
        metrics["pseudo_voigt"] = {k: v for k, v in clf.evaluate(voigt, y).items() if k in ("top1", "top5")}
        results[name] = metrics
        all_true.append(y)
        all_pred.append(pred)
        print(f"{name:<20} n={metrics['n']:5d} top-1 {metrics['top1']:.3f} top-5 {metrics['top5']:.3f} "
              f"crystal system {metrics['crystal_system']:.3f} in classes {metrics['in_classes']:.3f} "
              f"ECE {metrics['ece']:.3f} | pseudo-Voigt top-1 {metrics['pseudo_voigt']['top1']:.3f} "
              f"top-5 {metrics['pseudo_voigt']['top5']:.3f}")
    y_all, p_all = np.concatenate(all_true), np.concatenate(all_pred)
    groups, counts = np.unique(y_all, return_counts=True)
    recall = {int(g): float((p_all[y_all == g] == g).mean()) for g, c in zip(groups, counts) if c >= 10}

    # speed: model alone on fixed batches, fp32 vs bf16; inference; the stream alone
    n_points = len(clf.grid_)
    xb = np.random.default_rng(0).random((128, n_points)).astype(np.float32)
    yb = np.random.default_rng(1).integers(0, len(clf.classes_), 128)
    speed = {}
    for policy in ("float32", "mixed_bfloat16"):
        keras.mixed_precision.set_global_policy(policy)
        model = build_classifier(n_points, len(clf.classes_), clf.params_["architecture"])
        model.set_weights(clf.model_.get_weights())
        model.compile(optimizer="adamw", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.train_on_batch(xb, yb)
        t0 = time.perf_counter()
        for _ in range(10):
            model.train_on_batch(xb, yb)
        speed[f"train_{policy}"] = 10 * len(xb) / (time.perf_counter() - t0)
        model.predict(xb, batch_size=256, verbose=0)
        big = np.repeat(xb, 8, axis=0)
        t0 = time.perf_counter()
        model.predict(big, batch_size=256, verbose=0)
        speed[f"inference_{policy}"] = len(big) / (time.perf_counter() - t0)
    keras.mixed_precision.set_global_policy("float32")
    training = clf.metadata_["training"]
    speed["fit_patterns_per_s"] = training["patterns_seen"] / max(training["wall_seconds"], 1e-9)
    print("speed (patterns/s):", {k: round(v, 1) for k, v in speed.items()})

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(14, 4))
    keys = sorted(recall)
    ax.bar(range(len(keys)), [recall[k] for k in keys], color=["C0" if k in clf.classes_ else "C3" for k in keys])
    ax.set_xticks(range(len(keys)), [str(k) for k in keys], rotation=90, fontsize=7)
    ax.set_ylabel("recall")
    ax.set_xlabel("space group (>= 10 held-out structures; red: not among the classes)")
    ax.set_title(f"SpaceGroupClassifier, held-out real structures ({len(y_all)}), "
                 f"patterns seen {training['patterns_seen']:,}", fontsize=10)
    fig.tight_layout()
    png = args.out.with_suffix(".png")
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    print(f"wrote {png}")
    write_json(args.out, {"machine": machine(), "model": args.model, "accuracy": results, "recall": recall,
                          "speed": speed, "training": {k: v for k, v in training.items() if k != "history"}})


if __name__ == "__main__":
    main()
