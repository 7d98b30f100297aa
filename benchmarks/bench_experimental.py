"""Space groups of measured diffractograms: the experimental model next to the pure one.

    python benchmarks/bench_experimental.py [--data ../shared/data] [--models default experimental]

Measured patterns of ../shared/data/experimental (evaluation only; nothing of it is shipped):

- rruff90: 90 RRUFF mineral scans (Cu K-alpha, 10-80 deg) with the crystal system of
  RRUFFlist.tsv. Compared at the level of the crystal family, because RRUFF files trigonal
  minerals under "hexagonal" (and two under "rhombohedral"): triclinic, monoclinic,
  orthorhombic, tetragonal, hexagonal (= trigonal + hexagonal), cubic. Two answers: the family
  of the most probable space group, and the family with the largest summed probability.
- iucr_pdcif (15 powder CIFs) and refined_xy (8 raw scans; the wavelength comes from the TOPAS
  .inp, three are synchrotron scans at 0.4066 A): the space group of the refined structure
  (spglib, symprec 0.1; in multi-phase refinements the first phase, the sample's main one) and
  top-1/5/10 of the models. Groups outside a model's classes count as errors.

Each model gets the pattern as measured (a Diffractogram with its wavelength; the model converts
it to its grid through d-spacing and masks what was not measured); the experimental model removes
the background itself. The pure model refuses negative intensities (one pdCIF holds net,
background-subtracted counts), so it gets such scans raised by their minimum. Writes benchmarks/results/experimental.json and the top-k accuracy curve
(paper 001 Fig. S3) as benchmarks/results/experimental_topk.png.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from _common import DEFAULT_DATA, REPO, machine, write_json  # noqa: E402

FAMILIES = ("triclinic", "monoclinic", "orthorhombic", "tetragonal", "hexagonal", "cubic")


def family(system: str) -> str:
    """Crystal family of a crystal-system name (trigonal and rhombohedral are hexagonal)."""
    system = system.strip().lower()
    return "hexagonal" if system in ("trigonal", "rhombohedral", "hexagonal") else system


def inp_wavelength(path: Path) -> float | None:
    """The first emission-line wavelength [angstrom] of a TOPAS .inp, if any."""
    from pymatgen_ml_xrd.io.topas import topas_wavelengths

    lines = topas_wavelengths(path)
    return lines[0] if lines else None


def refined_space_group(cif: Path) -> tuple[int, str, int]:
    """(space group, formula, number of phases) of the first structure of a CIF."""
    from pymatgen.io.cif import CifParser
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        structures = CifParser(cif).parse_structures(primitive=False)
    first = structures[0]
    return SpacegroupAnalyzer(first, symprec=0.1).get_space_group_number(), first.composition.reduced_formula, len(
        structures)


def load_refined(data: Path):
    """[(name, Diffractogram, space group, formula, phases)] of iucr_pdcif and refined_xy."""
    from pymatgen_ml_xrd.io import read_pattern

    items = []
    for cif in sorted((data / "experimental" / "iucr_pdcif").glob("*.cif")):
        sg, formula, phases = refined_space_group(cif)
        items.append((f"iucr:{cif.name.split('.')[0]}", read_pattern(cif), sg, formula, phases))
    for folder in sorted(p for p in (data / "experimental" / "refined_xy").iterdir() if p.is_dir()):
        sg, formula, phases = refined_space_group(next(folder.glob("*.cif")))
        lam = inp_wavelength(next(folder.glob("*.inp")))
        items.append((f"refined_xy:{folder.name}", read_pattern(next(folder.glob("*.xy")), lam), sg, formula, phases))
    return items


def load_rruff(data: Path):
    """[(id, Diffractogram, crystal family)] of rruff90."""
    import pandas as pd

    from pymatgen_ml_xrd.io import read_pattern

    folder = data / "experimental" / "rruff90"
    table = pd.read_csv(folder / "RRUFFlist.tsv", sep="\t")
    items = []
    for rid, cs in zip(table["ID"], table["CS"]):
        files = sorted((folder / "RRUFFdata90").glob(f"{rid}*.csv"))
        if files:
            items.append((rid, read_pattern(files[0]), family(cs)))
    return items


def non_negative(pattern):
    """The pattern raised by its minimum when that is negative."""
    from pymatgen_ml_xrd.diffraction import Diffractogram

    low = float(np.min(pattern.y))
    return pattern if low >= 0 else Diffractogram(pattern.x, pattern.y - low, wavelength=pattern.wavelength)


def family_answers(clf, proba: np.ndarray) -> tuple[list[str], list[str]]:
    """Crystal family of the most probable group, and the family with the largest summed probability."""
    from pymatgen_ml_xrd.generation.wyckoff_tables import crystal_system

    fam = np.array([FAMILIES.index(family(crystal_system(int(c)))) for c in clf.classes_])
    top = [FAMILIES[fam[i]] for i in proba.argmax(axis=1)]
    summed = np.stack([proba[:, fam == f].sum(axis=1) for f in range(len(FAMILIES))], axis=1)
    return top, [FAMILIES[i] for i in summed.argmax(axis=1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--models", nargs="+", default=["gaussian", "experimental", "default"])
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "experimental.json")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pymatgen_ml_xrd import SpaceGroupClassifier

    refined = load_refined(args.data)
    rruff = load_rruff(args.data)
    truth = np.array([r[2] for r in refined])
    results = {"machine": machine(), "n_refined": len(refined), "n_rruff": len(rruff), "models": {}}
    ks = np.arange(1, 11)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in args.models:
        clf = SpaceGroupClassifier(pretrained=name)
        shift = not clf.spec_.measured
        proba = clf.predict_proba([non_negative(r[1]) if shift else r[1] for r in refined])
        order = clf.classes_[np.argsort(-proba, axis=1)]
        hits = order == truth[:, None]
        curve = [float(hits[:, :k].any(axis=1).mean()) for k in ks]
        rr_proba = clf.predict_proba([non_negative(r[1]) if shift else r[1] for r in rruff])
        top, summed = family_answers(clf, rr_proba)
        fam_true = [r[2] for r in rruff]
        row = {
            "refined_topk": dict(zip(map(int, ks), curve)),
            "refined_in_classes": float(np.isin(truth, clf.classes_).mean()),
            "rruff_family_top1": float(np.mean([a == b for a, b in zip(top, fam_true)])),
            "rruff_family_summed": float(np.mean([a == b for a, b in zip(summed, fam_true)])),
            "per_pattern": [
                {"name": r[0], "formula": r[3], "phases": r[4], "true": int(r[2]),
                 "top5": [int(g) for g in order[i, :5]], "rank": int(np.argmax(hits[i])) + 1 if hits[i].any() else None}
                for i, r in enumerate(refined)
            ],
            "rruff_majority_baseline": max(fam_true.count(f) for f in FAMILIES) / len(fam_true),
        }
        results["models"][name] = row
        ax.plot(ks, curve, marker="o", label=f"{name} model")
        print(f"{name:>13}: refined ({len(refined)}) top-1 {curve[0]:.3f} top-5 {curve[4]:.3f} top-10 {curve[9]:.3f} | "
              f"rruff90 crystal family {row['rruff_family_top1']:.3f} (summed probabilities "
              f"{row['rruff_family_summed']:.3f}; majority class {row['rruff_majority_baseline']:.3f})")
        for p in row["per_pattern"]:
            print(f"    {p['name']:<42} {p['formula']:<12} sg {p['true']:>3}  rank {p['rank']}  top-5 {p['top5']}")
    ax.set_xlabel("k")
    ax.set_ylabel("top-k accuracy")
    ax.set_xticks(ks)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title(f"Measured patterns with refined structures (n = {len(refined)})")
    ax.legend()
    fig.tight_layout()
    png = args.out.with_name("experimental_topk.png")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=120)
    write_json(args.out, results)
    print("wrote", args.out, "and", png)


if __name__ == "__main__":
    main()
