"""Accuracy and speed of the shipped StructureTypeIdentifier (paper 003's measurements).

    python benchmarks/bench_structure_types.py [--data ../shared/data] [--model default] [--max-per-type 20] [--n-ood 600]

- In-distribution: held-out real members of the default types (the half of
  ../shared/data/structures outside ``in_statistics_half``; the RCNets never saw them), at most
  ``--max-per-type`` per type, simulated two ways: "pure" (pseudo-Voigt, 50 nm) and "effects"
  (ExperimentalEffects() drawn with a fixed seed). Closed-set accuracy (best reliability, no
  threshold; paper 003: 80.0%), per-RCNet accuracy, confusion plot (PNG), and a diagnosis of
  the RCNet selection (how often the best reliability sits in another RCNet than the true type's,
  and the confidences C of the two RCNets then).
- Out-of-distribution: held-out structures whose type key is none of the default types.
  In/out accuracy at threshold R0 = (in-distribution patterns named right with R >= R0 +
  out-of-distribution patterns called "unknown") / all (paper 003: 89.1% at R0 = 0.6).
- alpha and R0 are chosen on a validation third of the held-out half (split by material id;
  members of the types and other structures), then applied to the other two thirds, the test
  set; the training half is never used here, since the RCNets have seen its members. The effect
  of alpha is plotted (paper Fig. 3b).
- Measured patterns of ../shared/data/experimental whose refined structures belong to a default
  type (iucr_pdcif, refined_xy).
- Inference patterns/s.

Writes benchmarks/results/structure_types.json and structure_types_{confusion,alpha}.png.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from _common import DEFAULT_DATA, REPO, machine, write_json  # noqa: E402

from pymatgen_ml_xrd.identification.reliability import (  # noqa: E402
    ALPHAS,
    THRESHOLDS,
    choose_alpha_threshold,
    combine_reliability,
    in_out_accuracy,
)


def validation_third(material_ids) -> np.ndarray:
    """(n,) bool: the material ids whose sha1 puts them in the validation third of the held-out half."""
    return np.array([int(hashlib.sha1(str(m).encode()).hexdigest(), 16) % 3 == 0 for m in material_ids], dtype=bool)


def sample_rows(table, keys, in_types: bool, validation: bool, per_key: int | None, n_total: int | None, seed: int):
    """Held-out rows (never in the training half) of the validation third or of the test set."""
    rows = table[~table["train"].astype(bool) & (table["key"] != "")]
    rows = rows[validation_third(rows["material_id"]) == validation]
    rows = rows[rows["key"].isin(keys) == in_types]
    if per_key:
        rows = rows.groupby("key", group_keys=False).apply(lambda g: g.sample(min(len(g), per_key), random_state=seed))
    if n_total and len(rows) > n_total:
        rows = rows.sample(n_total, random_state=seed)
    return rows.reset_index(drop=True)


def simulate(structures, effects, seed: int, two_theta=(5.0, 90.0, 0.04)):
    from pymatgen_ml_xrd import XRDCalculator

    calc = XRDCalculator("CuKa1")
    rng = np.random.default_rng(seed)
    out = []
    for i, s in enumerate(structures):
        kwargs = dict(two_theta_range=two_theta[:2], step=two_theta[2], profile="pseudo-voigt", crystallite_size=50.0,
                      caglioti=(0.004, 0.0, 0.004), eta=0.5)  # fmt: skip
        if effects is None:
            out.append(calc.get_diffractogram(s, **kwargs))
        else:
            other = structures[(i + 1) % len(structures)]
            out.append(calc.get_diffractogram(s, effects=effects, seed=rng, impurity=other, **kwargs))
    return out


def reliabilities_by_alpha(ident, rows):
    """({alpha: (n, T) reliabilities}, the RCNets' (p, C, S)) from one pass of the RCNets."""
    parts = ident.rcnet_outputs(rows, preprocessed=True)
    return {float(a): combine_reliability(parts, float(a)) for a in ALPHAS}, parts


def within_rcnet_correct(parts, truth):
    """(n,) bool: the RCNet that holds the true type ranks it first among its own types (what the
    union could reach if it always asked the right RCNet)."""
    ok = np.zeros(len(truth), dtype=bool)
    start = 0
    for p, _, _ in parts:
        sel = (truth >= start) & (truth < start + p.shape[1])
        ok[sel] = p[sel].argmax(axis=1) == truth[sel] - start
        start += p.shape[1]
    return ok


def selection_diagnosis(parts, truth, alpha: float) -> dict:
    """Why the union picks a wrong RCNet: the share of patterns whose best reliability
    (:func:`combine_reliability`) lies in another RCNet than the one holding the true type, and
    the mean confidence C of the right RCNet and of the chosen one on those patterns."""
    rcnet_of_column = np.concatenate([np.full(p.shape[1], k) for k, (p, _, _) in enumerate(parts)])
    chosen = rcnet_of_column[combine_reliability(parts, alpha).argmax(axis=1)]
    right = rcnet_of_column[truth]
    conf = np.stack([c for _, c, _ in parts], axis=1)
    wrong = chosen != right
    rows = np.arange(len(truth))
    return {"wrong_rcnet_share": float(wrong.mean()),
            "confidence_of_right_rcnet_when_wrong": float(conf[rows, right][wrong].mean()),
            "confidence_of_chosen_rcnet_when_wrong": float(conf[rows, chosen][wrong].mean())}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", default="default")
    ap.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "results" / "type_keys.csv")
    ap.add_argument("--max-per-type", type=int, default=20)
    ap.add_argument("--n-ood", type=int, default=600)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "structure_types.json")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from build_structure_types import member_structures, type_key_table

    from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
    from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier

    warnings.filterwarnings("ignore")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ident = StructureTypeIdentifier(pretrained=args.model, plugins=False)
    names = list(ident.classes_)
    key_of = {t.name: f"{t.space_group}|{t.wyckoff_sequence}|{t.anonymized_formula}" for t in ident.structure_types_}
    name_of = {k: n for n, k in key_of.items()}
    table = type_key_table(args.data, args.cache)
    keys = set(key_of.values())
    sets = {
        "validation_in": sample_rows(table, keys, True, True, args.max_per_type // 2, None, 1),
        "validation_out": sample_rows(table, keys, False, True, None, args.n_ood // 2, 1),
        "test_in": sample_rows(table, keys, True, False, args.max_per_type, None, 0),
        "test_out": sample_rows(table, keys, False, False, None, args.n_ood, 0),
    }
    results = {"machine": machine(), "model": args.model, "n_types": len(names), "n_rcnets": len(ident.rcnets_),
               "sizes": {k: len(v) for k, v in sets.items()}}  # fmt: skip
    structures = {k: member_structures(args.data, v) for k, v in sets.items()}
    truth = {k: np.array([names.index(name_of[key]) for key in sets[k]["key"]]) for k in ("validation_in", "test_in")}
    effects = ExperimentalEffects()
    for condition, fx in (("pure", None), ("effects", effects)):
        rel, parts = {}, {}
        for k in sets:
            t0 = time.time()
            rows = ident._rows(simulate(structures[k], fx, seed=7))
            t_pred = time.time()
            rel[k], parts[k] = reliabilities_by_alpha(ident, rows)
            if k == "test_in":
                results.setdefault("inference_patterns_per_s", {})[condition] = len(rows) / (time.time() - t_pred)
                results.setdefault("simulation_seconds", {})[condition] = t_pred - t0
        # alpha and R0 from the validation third of the held-out half, applied to the test sets
        alpha, r0, val_acc = choose_alpha_threshold(parts["validation_in"], truth["validation_in"],
                                                    parts["validation_out"], ALPHAS, THRESHOLDS)  # fmt: skip
        r_in, r_out = rel["test_in"], rel["test_out"]
        closed = {a: float((r_in[a].argmax(axis=1) == truth["test_in"]).mean()) for a in r_in}
        in_out = {a: in_out_accuracy(r_in[a], truth["test_in"], r_out[a], 0.6) for a in r_in}
        pred = r_in[alpha].argmax(axis=1)
        within = within_rcnet_correct(parts["test_in"], truth["test_in"])
        per_rcnet, start = {}, 0
        for m in ident.rcnets_:
            sel = (truth["test_in"] >= start) & (truth["test_in"] < start + len(m.types))
            if sel.any():
                per_rcnet[m.name] = {"n": int(sel.sum()), "types": len(m.types),
                                     "accuracy": float((pred[sel] == truth["test_in"][sel]).mean()),
                                     "within_rcnet_accuracy": float(within[sel].mean())}  # fmt: skip
            start += len(m.types)
        per_type = {}
        for t, name in enumerate(names):
            sel = truth["test_in"] == t
            if sel.any():
                per_type[name] = {"n": int(sel.sum()), "accuracy": float((pred[sel] == t).mean())}
        results[condition] = {
            "closed_set_accuracy_by_alpha": closed,
            "in_out_accuracy_at_0.6_by_alpha": in_out,
            "in_out_accuracy_at_alpha_0.7_by_threshold": {
                float(r): in_out_accuracy(r_in[0.7], truth["test_in"], r_out[0.7], r) for r in THRESHOLDS},
            "chosen_on_validation": {"alpha": alpha, "threshold": float(r0), "validation_in_out_accuracy": val_acc},
            "test_in_out_accuracy_chosen": in_out_accuracy(r_in[alpha], truth["test_in"], r_out[alpha], r0),
            "test_closed_set_accuracy_chosen": closed[alpha],
            "within_rcnet_accuracy": float(within.mean()),
            "rcnet_selection_at_alpha_0.7": selection_diagnosis(parts["test_in"], truth["test_in"], 0.7),
            "per_rcnet": per_rcnet, "per_type": per_type,
        }  # fmt: skip
        print(f"[{condition}] closed-set accuracy (alpha 0.7) {closed[0.7]:.3f}; in/out at R0 0.6 {in_out[0.7]:.3f}; "
              f"chosen on validation alpha {alpha} R0 {r0}: in/out {results[condition]['test_in_out_accuracy_chosen']:.3f}, "
              f"closed {closed[alpha]:.3f}; within the right RCNet {within.mean():.3f}")  # fmt: skip
        print(f"[{condition}] RCNet selection (alpha 0.7):", results[condition]["rcnet_selection_at_alpha_0.7"])
        if condition == "pure":
            fig, ax = plt.subplots(figsize=(6, 4))
            ax.plot(ALPHAS, [closed[float(a)] for a in ALPHAS], marker="o", label="closed-set accuracy")
            ax.plot(ALPHAS, [in_out[float(a)] for a in ALPHAS], marker="s", label="in/out accuracy, R0 = 0.6")
            ax.set_xlabel("alpha (weight of the similarity S)")
            ax.set_ylabel("accuracy")
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.3)
            ax.legend()
            ax.set_title(f"{len(names)} types, held-out real members (n = {len(r_in[0.7])}), OOD n = {len(r_out[0.7])}")
            fig.tight_layout()
            fig.savefig(args.out.with_name("structure_types_alpha.png"), dpi=120)
            confusion = np.zeros((len(names), len(names)))
            for t, p in zip(truth["test_in"], pred):
                confusion[t, p] += 1
            confusion /= np.maximum(confusion.sum(axis=1, keepdims=True), 1)
            fig, ax = plt.subplots(figsize=(9, 8))
            ax.imshow(confusion, cmap="viridis", vmin=0, vmax=1)
            ax.set_xlabel("predicted type (catalogue order)")
            ax.set_ylabel("true type")
            ax.set_title("StructureTypeIdentifier confusion (rows normalised), held-out members, pure")
            fig.tight_layout()
            fig.savefig(args.out.with_name("structure_types_confusion.png"), dpi=110)
    results["measured"] = measured_patterns(args.data, ident, name_of)
    write_json(args.out, results)
    print("wrote", args.out)


def measured_patterns(data: Path, ident, name_of: dict) -> list:
    """Measured scans whose refined structure (first phase) has a default type's key."""

    from pymatgen.io.cif import CifParser

    from pymatgen_ml_xrd.identification.type_keys import structure_type_key
    from pymatgen_ml_xrd.io import read_pattern
    from pymatgen_ml_xrd.io.topas import topas_wavelengths

    items = []
    for cif in sorted((data / "experimental" / "iucr_pdcif").glob("*.cif")):
        items.append((cif.name.split(".")[0], cif, read_pattern(cif)))
    for folder in sorted(p for p in (data / "experimental" / "refined_xy").iterdir() if p.is_dir()):
        lam = topas_wavelengths(next(folder.glob("*.inp")))
        items.append((folder.name, next(folder.glob("*.cif")), read_pattern(next(folder.glob("*.xy")),
                                                                            lam[0] if lam else None)))
    out = []
    for name, cif, pattern in items:
        structure = CifParser(cif).parse_structures(primitive=False)[0]
        try:
            key = structure_type_key(structure)
        except Exception:  # noqa: BLE001
            continue
        if key not in name_of:
            continue
        pred = str(ident.predict([pattern])[0])
        top, rel = ident.predict_top_k([pattern], k=3)
        out.append({"pattern": name, "formula": structure.composition.reduced_formula, "true": name_of[key],
                    "predicted": pred, "top3": list(map(str, top[0])), "reliabilities": rel[0].round(3).tolist()})
        print(f"measured {name}: true {name_of[key]!r}, predicted {pred!r}, top-3 {list(top[0])}")
    return out


if __name__ == "__main__":
    main()
