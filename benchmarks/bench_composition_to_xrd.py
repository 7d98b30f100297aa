"""CompositionToXRD against a nearest-neighbour baseline on held-out formulas (paper 004 metrics).

    python benchmarks/bench_composition_to_xrd.py [--model PATH] [--data ../shared/data]

Test set: the 20% of formulas benchmarks/composition_data.py holds out (never seen by training).
Baseline: the pattern of the training formula nearest in Magpie composition space (matminer
ElementProperty "magpie", standardised features, Euclidean 1-NN). Metrics: paper 004 eqs. 1-5 on
patterns scaled to a maximum of 100 (the paper's scale), DTW with a 2 deg band, and the peak-
position match (10% peaks, 2 deg merge, 2 deg tolerance): recall = the paper's "match
percentage", precision, F1. Split into ABC3-type, other ternaries, and all. Writes
benchmarks/results/composition_to_xrd.{json,png}.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def magpie_features(formulas) -> np.ndarray:
    from matminer.featurizers.composition import ElementProperty
    from pymatgen.core import Composition

    feat = ElementProperty.from_preset("magpie")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = [feat.featurize(Composition(f)) for f in formulas]
    x = np.array(rows, dtype=np.float64)
    return np.nan_to_num(x, nan=0.0)


def nearest_neighbour_patterns(train_formulas, train_patterns, test_formulas) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(magpie_features(train_formulas))
    nn = NearestNeighbors(n_neighbors=1).fit(scaler.transform(magpie_features(train_formulas)))
    idx = nn.kneighbors(scaler.transform(magpie_features(test_formulas)), return_distance=False)[:, 0]
    return train_patterns[idx]


def summarise(scores: dict, masks: dict) -> dict:
    return {name: {"n": int(m.sum()), **{k: float(np.mean(v[m])) for k, v in scores.items()}}
            for name, m in masks.items()}  # fmt: skip


def plot(two_theta, formulas, true, net, base, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(formulas), 1, figsize=(9, 2.0 * len(formulas)), sharex=True)
    for ax, f, t, n, b in zip(axes, formulas, true, net, base):
        ax.plot(two_theta, t, color="black", lw=1.0, label="true (simulated from the MP/AFLOW structure)")
        ax.plot(two_theta, -n, color="tab:red", lw=1.0, label="CompositionToXRD (mirrored)")
        ax.plot(two_theta, -b, color="tab:blue", lw=0.8, alpha=0.6, label="nearest neighbour (mirrored)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_ylabel(f, rotation=0, ha="right", va="center")
        ax.set_yticks([])
    axes[0].legend(loc="upper right", fontsize=7, ncol=3)
    axes[-1].set_xlabel("2θ (°, Cu Kα)")
    fig.suptitle("Held-out formulas: true pattern above, predictions mirrored below")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "results" / "composition_dataset.npz")
    ap.add_argument("--model", default="default", help="'default' (shipped) or a saved model path")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "composition_to_xrd")
    args = ap.parse_args()

    from composition_data import composition_dataset

    from pymatgen_ml_xrd import CompositionToXRD
    from pymatgen_ml_xrd.patterns.metrics import pattern_scores

    data = composition_dataset(args.data, args.cache)
    test, train = data["test"], ~data["test"]
    formulas = list(data["formula"][test])
    true = data["patterns"][test]
    x = data["two_theta"]
    est = CompositionToXRD(pretrained=args.model)
    t0 = time.perf_counter()
    net = est.predict_array(formulas)
    speed = len(formulas) / (time.perf_counter() - t0)
    base = nearest_neighbour_patterns(list(data["formula"][train]), data["patterns"][train], formulas)
    window = int(round(2.0 / (x[1] - x[0])))
    masks = {
        "abc3": data["abc3"][test],
        "other_ternary": (data["n_elements"][test] == 3) & ~data["abc3"][test],
        "all": np.ones(len(formulas), dtype=bool),
    }
    result = {"n_train_formulas": int(train.sum()), "n_test_formulas": int(test.sum()),
              "predictions_per_second": speed, "model": est.metadata_.get("training", {}).get("command")}  # fmt: skip
    for name, pred in (("network", net), ("nearest_neighbour", base)):
        scores = pattern_scores(x, 100 * true, 100 * pred, dtw_window=window)
        result[name] = summarise(scores, masks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    keys = ("peak_recall", "peak_precision", "peak_f1", "pearson", "cosine", "jsd", "dtw", "mse", "msle")
    print(f"{'':<20}{'subset':<15}{'n':>6}" + "".join(f"{k:>15}" for k in keys))
    for name in ("network", "nearest_neighbour"):
        for subset, row in result[name].items():
            print(f"{name:<20}{subset:<15}{row['n']:>6}" + "".join(f"{row[k]:>15.3f}" for k in keys))
    print(f"network: {speed:.0f} predictions/s")
    picks = [i for i, f in enumerate(formulas) if masks["abc3"][i]][:3] + \
            [i for i, f in enumerate(formulas) if masks["other_ternary"][i]][:3]  # fmt: skip
    plot(x, [formulas[i] for i in picks], true[picks], net[picks], base[picks], args.out.with_suffix(".png"))
    print("wrote", args.out.with_suffix(".json"), args.out.with_suffix(".png"))


if __name__ == "__main__":
    main()
