"""The validation curve of SpaceGroupClassifier training runs: patterns seen vs top-1 / top-5.

    python benchmarks/plot_training_curve.py MODEL.json [MODEL.json ...] --out docs/images/curve.png

Each JSON is a saved model or checkpoint (its ``training.history`` holds the held-out validation
at every checkpoint). Runs are drawn in the order given; a run whose count restarts below the end
of the one before it (a later recipe stage, which starts at 0 patterns from the earlier stage's
weights) is drawn after it, so the x axis is the patterns seen since the first run's start.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def curves(paths: list[Path]) -> list[tuple[str, list[float], list[float], list[float]]]:
    """[(label, patterns seen [millions], top-1, top-5)] per run, offset as the docstring says."""
    out, end = [], 0.0
    for path in paths:
        history = json.loads(path.read_text())["training"]["history"]
        seen = [float(h["patterns_seen"]) for h in history if "top1" in h]
        if not seen:
            raise SystemExit(f"{path} has no validation history")
        offset = end if seen[0] < end else 0.0
        xs = [(s + offset) / 1e6 for s in seen]
        out.append((path.stem, xs, [h["top1"] for h in history if "top1" in h],
                    [h["top5"] for h in history if "top1" in h]))
        end = xs[-1] * 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--labels", nargs="+", default=None, help="one legend label per model (default: file names)")
    ap.add_argument("--title", default="held-out validation during training")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if args.labels is not None and len(args.labels) != len(args.models):
        raise SystemExit("give one label per model")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (label, xs, top1, top5) in enumerate(curves(args.models)):
        label = args.labels[i] if args.labels else label
        (line,) = ax.plot(xs, top1, "o-", ms=3, label=f"{label} top-1")
        ax.plot(xs, top5, "s--", ms=3, color=line.get_color(), label=f"{label} top-5")
    ax.set_xlabel("patterns seen [millions]")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(args.title, fontsize=10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
