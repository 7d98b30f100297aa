"""Every SpaceGroupClassifier on every kind of input, next to a frequency-ranking baseline.

    python benchmarks/bench_space_group_inputs.py [--data ../shared/data] [--max-per-file 600]
        [--models default pseudo-voigt experimental PATH ...]

Inputs (the same for every model, seeded):

- clean Gaussian / clean pseudo-Voigt: held-out mpts52_val structures (the half the generator
  statistics never saw) simulated at Cu K-alpha1, 50 nm (pseudo-Voigt: Lorentzian fraction 0.5,
  Caglioti U = W = 0.004 deg^2), as bench_space_group.py;
- measured-like: the same structures as seeded measured-looking scans (every effect of
  ``ExperimentalEffects.measured()`` with texture, K-alpha2 on every other scan, 0.02 deg step);
- measured: the 23 scans of refined_xy and iucr_pdcif with the space group of their refined
  structure (top-1/5/10) and the 90 RRUFF scans of rruff90 at the level of the crystal family
  (bench_experimental.py's loaders and rules).

Per model and clean/measured-like input: top-1, top-5 and ECE (its own temperature). The
frequency baseline answers every pattern with the groups ranked by their ICSD frequency (the
generator statistics), and every RRUFF scan with the most frequent crystal family. Writes
benchmarks/results/space_group_inputs.json.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from _common import DEFAULT_DATA, REPO, machine, write_json  # noqa: E402
from bench_experimental import FAMILIES, family, family_answers, load_refined, load_rruff, non_negative  # noqa: E402


def inputs(data: Path, n: int) -> tuple[dict, np.ndarray]:
    """{kind: patterns} of the held-out structures and their space groups."""
    import dataclasses

    from data_splits import held_out_structures

    from pymatgen_ml_xrd import XRDCalculator
    from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
    from pymatgen_ml_xrd.patterns.rendering import measured_like

    structures, groups = held_out_structures(data, "mpts52_val", n)
    calc = XRDCalculator("CuKa1")
    grid = dict(two_theta_range=(5.0, 90.0), step=0.04, crystallite_size=50.0)
    effects = dataclasses.replace(ExperimentalEffects.measured(), preferred_orientation=(0.7, 1.4))
    return {
        "clean_gaussian": calc.get_diffractograms(structures, **grid),
        "clean_pseudo_voigt": calc.get_diffractograms(structures, profile="pseudo-voigt", eta=0.5,
                                                      caglioti=(0.004, 0.0, 0.004), **grid),
        "measured_like": measured_like(structures, effects, seed=7),
    }, groups


def frequency_baseline(groups: np.ndarray, refined_truth: np.ndarray, rruff_families: list[str]) -> dict:
    from pymatgen_ml_xrd.generation import GeneratorStatistics
    from pymatgen_ml_xrd.generation.wyckoff_tables import crystal_system

    counts = GeneratorStatistics.default().space_group_counts
    ranking = np.array(sorted(counts, key=lambda g: -counts[g]))
    fam_counts = {f: 0 for f in FAMILIES}
    for g, c in counts.items():
        fam_counts[family(crystal_system(int(g)))] += c
    top_family = max(fam_counts, key=fam_counts.get)
    row = {kind: {"top1": float(np.mean(groups == ranking[0])), "top5": float(np.isin(groups, ranking[:5]).mean())}
           for kind in ("clean_gaussian", "clean_pseudo_voigt", "measured_like")}
    row["refined_topk"] = {k: float(np.isin(refined_truth, ranking[:k]).mean()) for k in (1, 5, 10)}
    row["rruff_family_top1"] = float(np.mean([f == top_family for f in rruff_families]))
    row["ranking_top10"] = [int(g) for g in ranking[:10]]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--models", nargs="+", default=["default", "gaussian", "pseudo-voigt", "experimental", "v2"])
    ap.add_argument("--max-per-file", type=int, default=600)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "space_group_inputs.json")
    args = ap.parse_args()

    from pymatgen_ml_xrd import SpaceGroupClassifier

    patterns, groups = inputs(args.data, args.max_per_file)
    refined, rruff = load_refined(args.data), load_rruff(args.data)
    truth = np.array([r[2] for r in refined])
    rruff_families = [r[2] for r in rruff]
    results = {"machine": machine(), "n_structures": len(groups), "n_refined": len(refined), "n_rruff": len(rruff),
               "models": {}, "frequency_baseline": frequency_baseline(groups, truth, rruff_families)}
    header = (f"{'model':<28}" + "".join(f"{k:>22}" for k in patterns)
              + f"{'refined top-1/5/10':>22}{'rruff90 family':>16}")
    print(header)
    for name in args.models:
        clf = SpaceGroupClassifier(pretrained=name)
        row = {"classes": len(clf.classes_), "in_classes": float(np.isin(groups, clf.classes_).mean())}
        for kind, x in patterns.items():
            row[kind] = clf.evaluate(x, groups)
        shift = not clf.spec_.measured  # a model without background removal refuses negative counts
        proba = clf.predict_proba([non_negative(r[1]) if shift else r[1] for r in refined])
        hits = clf.classes_[np.argsort(-proba, axis=1)] == truth[:, None]
        row["refined_topk"] = {k: float(hits[:, :k].any(axis=1).mean()) for k in (1, 5, 10)}
        top, summed = family_answers(clf, clf.predict_proba([non_negative(r[1]) if shift else r[1] for r in rruff]))
        row["rruff_family_top1"] = float(np.mean([a == b for a, b in zip(top, rruff_families)]))
        row["rruff_family_summed"] = float(np.mean([a == b for a, b in zip(summed, rruff_families)]))
        row["patterns_seen"] = clf.metadata_.get("training", {}).get("patterns_seen")
        results["models"][str(name)] = row
        cells = "".join(f"{row[k]['top1']:>9.3f} / {row[k]['top5']:.3f} e{row[k]['ece']:.2f}" for k in patterns)
        r = row["refined_topk"]
        print(f"{Path(str(name)).name[:28]:<28}{cells}{r[1]:>8.3f}/{r[5]:.3f}/{r[10]:.3f}"
              f"{row['rruff_family_top1']:>12.3f}")
    b = results["frequency_baseline"]
    cells = "".join(f"{b[k]['top1']:>9.3f} / {b[k]['top5']:.3f}      " for k in patterns)
    r = b["refined_topk"]
    print(f"{'frequency ranking':<28}{cells}{r[1]:>8.3f}/{r[5]:.3f}/{r[10]:.3f}{b['rruff_family_top1']:>12.3f}")
    write_json(args.out, results)


if __name__ == "__main__":
    main()
