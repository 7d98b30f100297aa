"""Structure types of measured scans: the RCNets, the screening, and answers checked by a fit.

    python benchmarks/bench_measured_types.py [--data ../shared/data] [--limit N]

Scans with a known type of the default catalogue (benchmarks/phase_data.py):
- refined_xy and iucr_pdcif scans whose refined main phase has the key of a catalogue type;
- rruff90 scans of minerals whose textbook type is a catalogue key (phase_data.RRUFF_TYPES).
The other rruff90 scans (types the catalogue does not hold; phase_data.RRUFF_AMBIGUOUS left out)
are the negatives of the "unknown" decision.

Answers compared on each scan, right when the answer is the scan's type (a type that the default
plugin lists as equivalent - one structure under two names, ``equivalent_types`` - counts as it):
- ``rcnets``: StructureTypeIdentifier().predict (the union of RCNets, R0 of its weights);
- ``screening``: the best cosine of the catalogue references (the library's prototypes and
  members, not the common formulas), the lattice scaled by +-3 %;
- ``verified``: PhaseIdentifier("default", max_phases=1), the type of the phase it refines
  (its blind search includes the types' common formulas, ``members=16``);
- ``guided``: the same with the scan's formula (``identify(..., composition=)``): every type
  with that stoichiometry, the formula's elements on its prototypes, refined against the scan.
  This is a different task from the anchors' (CrySTINet uses no composition); a user who knows
  what was made has it.

The threshold of the "unknown" answer on fit quality (R_wp of the best fit) is chosen on half
of the scans (even positions in name order, positives and negatives) and reported on the other.

Writes benchmarks/results/measured_types.json.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from _common import DEFAULT_DATA, REPO, machine, rows_in_processes, write_json  # noqa: E402


def type_names_by_key() -> dict[str, list[str]]:
    """{type key: names of the default types with that key} (catalogue and literature prototypes)."""
    from pymatgen_ml_xrd.identification.catalogue import load_default_catalogue
    from pymatgen_ml_xrd.identification.default_plugin import literature_prototypes

    out: dict[str, list[str]] = {}
    for t in [*load_default_catalogue()["types"], *literature_prototypes().values()]:
        out.setdefault(t["key"], []).append(t["name"])
    return out


def labelled_scans(data: Path) -> tuple[list, list]:
    """([(scan, formula, right keys)] of known catalogue types, [(scan, formula)] of the rruff90
    scans whose type the catalogue does not hold)."""
    from phase_data import RRUFF_AMBIGUOUS, RRUFF_TYPES, rruff_scans, rruff_type_scans, single_phase_scans

    from pymatgen_ml_xrd.identification.type_keys import structure_type_key

    keys = set(type_names_by_key())
    positives = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for scan in single_phase_scans(data):
            if scan.collection not in ("refined_xy", "iucr_pdcif"):
                continue
            main = scan.references[scan.phases[0]]
            try:
                key = structure_type_key(main)
            except Exception:  # noqa: BLE001 - spglib gives up on some refined cells
                continue
            if key in keys:
                positives.append((scan, main.composition.reduced_formula, (key,)))
        positives += rruff_type_scans(data)
    negatives = [(scan, formula) for scan, formula in rruff_scans(data)
                 if scan.name.split("/")[1] not in RRUFF_TYPES and scan.name.split("/")[1] not in RRUFF_AMBIGUOUS]
    return positives, negatives


def answer_rows(items: list, negative: bool = False) -> list[dict]:
    """One row per scan: the four answers (type names and keys), their fit R_wp and times."""
    from pymatgen_ml_xrd import PhaseIdentifier, StructureTypeIdentifier
    from pymatgen_ml_xrd.identification.default_plugin import equivalent_types

    aliases = equivalent_types()
    by_key = type_names_by_key()

    def canonical(name):
        return aliases.get(name, name)

    rcnets = StructureTypeIdentifier()
    verified = PhaseIdentifier("default", max_phases=1)
    rows = []
    for item in items:
        scan, formula = item[0], item[1]
        truth = set() if negative else {canonical(n) for k in item[2] for n in by_key.get(k, [])}
        row = {"scan": scan.name, "collection": scan.collection, "formula": formula,
               "true_keys": [] if negative else list(item[2]), "true_types": sorted(truth), "negative": negative}  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row["rcnets"] = str(rcnets.predict([scan.pattern])[0])
            row["rcnets_top3"] = [str(t) for t in rcnets.predict_top_k([scan.pattern], k=3)[0][0]]
            t0 = time.perf_counter()
            blind = verified.identify(scan.pattern)
            row["blind_seconds"] = time.perf_counter() - t0
            row["screening"] = verified.reference(blind.candidates[0][0]).structure_type if blind.candidates else None
            row["verified"] = blind.phases[0].structure_type if blind.phases else "unknown"
            row["verified_rwp"] = blind.rwp
            t0 = time.perf_counter()
            try:
                guided = verified.identify(scan.pattern, composition=formula)
                row["guided"] = guided.phases[0].structure_type if guided.phases else "unknown"
                row["guided_phase"] = guided.phases[0].name if guided.phases else None
                row["guided_rwp"] = guided.rwp
            except Exception as err:  # noqa: BLE001 - no type with the formula's stoichiometry
                row["guided"], row["guided_phase"], row["guided_rwp"] = "unknown", None, None
                row["guided_error"] = str(err)[:200]
            row["guided_seconds"] = time.perf_counter() - t0
        for answer in ("rcnets", "screening", "verified", "guided"):
            row[f"{answer}_right"] = canonical(row[answer]) in truth
        row["rcnets_top3_right"] = any(canonical(t) in truth for t in row["rcnets_top3"])
        print(f"  {scan.name:<38} {formula:<10} RCNets {'+' if row['rcnets_right'] else '-'} screening "
              f"{'+' if row['screening_right'] else '-'} verified {'+' if row['verified_right'] else '-'} guided "
              f"{'+' if row['guided_right'] else '-'} {row['guided']!s:<28} Rwp {row['guided_rwp'] or 0:.3f} "
              f"{row['blind_seconds'] + row['guided_seconds']:.0f}s", flush=True)  # fmt: skip
        rows.append(row)
    return rows


def _verified_rows(labelled: list) -> list[dict]:
    """One row per (scan, formula, keys, negative): the verified fit's type (before the threshold),
    its R_wp and time (StructureTypeIdentifier(verify=True).verified_fits, no formula)."""
    from pymatgen_ml_xrd import StructureTypeIdentifier
    from pymatgen_ml_xrd.identification.default_plugin import equivalent_types

    aliases = equivalent_types()
    by_key = type_names_by_key()
    ident = StructureTypeIdentifier(verify=True)
    rows = []
    for scan, formula, keys, negative in labelled:
        truth = {aliases.get(n, n) for k in keys for n in by_key.get(k, [])}
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ident.verified_fits([scan.pattern])[0]
        found = fit is not None and bool(fit.phases)  # None: no type of the formula's stoichiometry
        fitted = fit.phases[0].structure_type if found else "unknown"
        rows.append({"scan": scan.name, "formula": formula, "negative": negative, "fitted": fitted,
                     "fitted_right": aliases.get(fitted, fitted) in truth,
                     "fitted_rwp": float(fit.rwp) if found else None, "seconds": time.perf_counter() - t0})  # fmt: skip
        print(f"  {scan.name:<38} {'neg' if negative else '+' if rows[-1]['fitted_right'] else '-'} {fitted} "
              f"Rwp {rows[-1]['fitted_rwp'] or 0:.3f} {rows[-1]['seconds']:.0f}s", flush=True)  # fmt: skip
    return rows


def verified_identifier(items: list, negatives: list = (), max_rwp: float | None = None, jobs: int = 1) -> dict:
    """StructureTypeIdentifier(verify=True) on each scan without its formula: the blind fit with
    the RCNets' top-5 types as priors, "unknown" above R_wp ``max_rwp`` (None: the estimator's
    default, ``MAX_RWP["blind"]``). Right: the scan's type for positives ``items``, "unknown" for
    ``negatives`` (scans of types the catalogue does not hold). The fits' R_wp are kept, so the
    summary also gives the threshold chosen on half of the scans (:func:`unknown_threshold`).
    ``jobs`` > 1 fits the scans in that many processes (each loads its own identifier)."""
    from pymatgen_ml_xrd.estimators.structure_type import MAX_RWP

    limit = MAX_RWP["blind"] if max_rwp is None else float(max_rwp)
    labelled = [(scan, formula, keys, False) for scan, formula, keys in items]
    labelled += [(scan, formula, (), True) for scan, formula in negatives]
    rows = rows_in_processes(_verified_rows, labelled, jobs)
    for r in rows:
        kept = r["fitted_rwp"] is not None and r["fitted_rwp"] <= limit
        r["answer"] = r["fitted"] if kept else "unknown"
        r["right"] = (not kept) if r["negative"] else (kept and r["fitted_right"])
    pos = [r for r in rows if not r["negative"]]
    neg = [r for r in rows if r["negative"]]
    summary = {"max_rwp": limit, "n": len(pos), "top1": float(np.mean([r["right"] for r in pos])),
               "unknown": float(np.mean([r["answer"] == "unknown" for r in pos])),
               "top1_without_threshold": float(np.mean([r["fitted_right"] for r in pos])),
               "seconds_per_scan": float(np.mean([r["seconds"] for r in rows])), "jobs": jobs}  # fmt: skip
    if neg:
        summary.update(negatives=len(neg), negatives_unknown=float(np.mean([r["right"] for r in neg])),
                       open_set_accuracy=float(np.mean([r["right"] for r in rows])),
                       unknown_by_fit=unknown_threshold(rows, "fitted"))  # fmt: skip
    return {"summary": summary, "rows": sorted(rows, key=lambda r: r["scan"])}


def unknown_threshold(rows: list[dict], answer: str) -> dict:
    """The R_wp threshold above which ``answer`` becomes "unknown", chosen on the even-indexed
    scans (name order) to maximise right answers on positives plus "unknown" on negatives;
    reported on the odd-indexed ones."""
    order = sorted(rows, key=lambda r: r["scan"])
    choose, report = order[0::2], order[1::2]

    def score(part, threshold):
        ok = 0
        for r in part:
            rwp = r.get(f"{answer}_rwp")
            kept = rwp is not None and rwp <= threshold and r[answer] != "unknown"
            ok += (not kept) if r["negative"] else (kept and r[f"{answer}_right"])
        return ok / max(len(part), 1)

    candidates = sorted({r[f"{answer}_rwp"] for r in choose if r.get(f"{answer}_rwp") is not None}) + [np.inf]
    best = max(candidates, key=lambda t: (score(choose, t), -t))
    positives = [r for r in report if not r["negative"]]
    negatives = [r for r in report if r["negative"]]
    return {"threshold_rwp": best, "chosen_on": len(choose), "reported_on": len(report),
            "accuracy_held_out": score(report, best),
            "positives_right_held_out": score(positives, best) if positives else None,
            "negatives_unknown_held_out": score(negatives, best) if negatives else None}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="at most this many scans of each kind (a quick look)")
    ap.add_argument("--no-negatives", action="store_true", help="skip the rruff90 scans of other types")
    ap.add_argument("--verified-identifier", action="store_true",
                    help="only StructureTypeIdentifier(verify=True).predict on the positives, without formulas "
                         "(the RCNets' top-5 as priors of the blind fit); with the negatives unless --no-negatives")
    ap.add_argument("--max-rwp", type=float, default=None,
                    help="with --verified-identifier: its 'unknown' threshold (default: the estimator's)")
    ap.add_argument("--jobs", type=int, default=1, help="with --verified-identifier: processes (one scan each at a time)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "measured_types.json")
    args = ap.parse_args()
    positives, negatives = labelled_scans(args.data)
    if args.limit:
        positives, negatives = positives[:args.limit], negatives[:args.limit]
    if args.verified_identifier:
        result = verified_identifier(positives, () if args.no_negatives else negatives, args.max_rwp, args.jobs)
        print(result["summary"])
        suffix = "" if args.max_rwp is None else f"_rwp{args.max_rwp:g}"
        write_json(args.out.with_name(f"measured_types_identifier{suffix}.json"), {"machine": machine(), **result})
        return
    print(f"{len(positives)} scans of catalogue types, {len(negatives)} of other types")
    rows = answer_rows(positives)
    if not args.no_negatives:
        rows += answer_rows(negatives, negative=True)
    pos = [r for r in rows if not r["negative"]]
    summary = {"n": len(pos)}
    for collection in [None, *dict.fromkeys(r["collection"] for r in pos)]:
        part = [r for r in pos if collection is None or r["collection"] == collection]
        entry = {"n": len(part)}
        for answer in ("rcnets", "rcnets_top3", "screening", "verified", "guided"):
            entry[answer] = float(np.mean([r[f"{answer}_right"] for r in part]))
        summary[collection or "all"] = entry
    if not args.no_negatives:
        summary["unknown_by_fit"] = {a: unknown_threshold(rows, a) for a in ("verified", "guided")}
    summary["seconds_per_scan"] = {"verified": float(np.mean([r["blind_seconds"] for r in rows])),
                                   "guided": float(np.mean([r["guided_seconds"] for r in rows]))}  # fmt: skip
    for k, v in summary.items():
        print(k, v)
    write_json(args.out, {"machine": machine(), "summary": summary, "rows": rows})


if __name__ == "__main__":
    main()
