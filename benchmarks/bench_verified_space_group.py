"""Space groups of measured scans, checked by fitting: SpaceGroupClassifier(verify=True) against
the networks alone and a frequency ranking, on the same scans in one run.

    python benchmarks/bench_verified_space_group.py [--data ../shared/data] [--models experimental v2]
        [--jobs 2] [--compositions] [--refit]

The scans are bench_experimental.py's (evaluation only; nothing of them is shipped):
- the 23 scans of refined_xy and iucr_pdcif with the space group of their refined structure
  (top-1/5/10; for multi-phase refinements the first phase's group);
- the 90 RRUFF scans of rruff90 at the level of the crystal family (RRUFFlist.tsv gives crystal
  systems only).

Every scan is fitted once (``SpaceGroupClassifier(verify=True).verified_fits``: the default
catalogue's best candidates refined against the scan, one phase) and the fits are cached in
benchmarks/results/verified_fits[_compositions].json (``--refit`` redoes them; ``--jobs`` fits
in that many processes). Then, per model: the network's ranking, and the same ranking with the
group of a kept fit (R_wp at most the threshold) first - for the default threshold
(``verification.MAX_RWP``) and a sweep of others. ``--compositions`` passes each scan's formula
(the refined CIF's, RRUFF's ideal chemistry) to the fit. Writes
benchmarks/results/verified_space_group[_compositions].json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from _common import DEFAULT_DATA, REPO, machine, rows_in_processes, write_json  # noqa: E402
from bench_experimental import family, load_refined, load_rruff  # noqa: E402
from bench_space_group_inputs import frequency_baseline  # noqa: E402

THRESHOLDS = (0.2, 0.25, 0.31, 0.39, 0.47, 1e9)


def rruff_formulas(data: Path) -> dict[str, str]:
    """{RRUFF id: ideal chemistry as a formula, charges dropped} of rruff90 (phase_data's reading)."""
    from phase_data import rruff_scans

    return {scan.name.split("/")[1]: formula for scan, formula in rruff_scans(data)}


def _fit_rows(items: list) -> list[dict]:
    """One row per (name, pattern, formula): the verified fit's group, type, reference, R_wp, time."""
    from pymatgen_ml_xrd import SpaceGroupClassifier
    from pymatgen_ml_xrd.errors import InvalidParameterError

    clf = SpaceGroupClassifier(verify=True)  # the fits do not depend on the network
    rows = []
    for name, pattern, formula in items:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = clf.verified_fits([pattern], None if formula is None else [formula])[0]
                error = None
            except InvalidParameterError as err:  # an unreadable formula is recorded, not fatal
                fit, error = None, f"{type(err).__name__}: {err}"
        if fit is None and error is None:
            error = "no catalogue type has the formula's stoichiometry"
        phase = fit.phases[0] if fit is not None and fit.phases else None
        rows.append({"scan": name, "formula": formula, "error": error,
                     "rwp": None if phase is None else float(fit.rwp),
                     "space_group": None if phase is None else int(phase.space_group),
                     "structure_type": None if phase is None else phase.structure_type,
                     "reference": None if phase is None else phase.name,
                     "seconds": time.perf_counter() - t0})  # fmt: skip
        print(f"  {name:<34} {rows[-1]['reference']} sg {rows[-1]['space_group']} R_wp "
              f"{rows[-1]['rwp'] or float('nan'):.3f} {rows[-1]['seconds']:.0f}s", flush=True)
    return rows


def fits(items: list, cache: Path, jobs: int, refit: bool) -> dict[str, dict]:
    """{scan name: fit row} of ``items`` [(name, pattern, formula)], from the cache where it has them."""
    done = {} if refit or not cache.exists() else json.loads(cache.read_text())["rows"]
    todo = [it for it in items if it[0] not in done or done[it[0]]["formula"] != it[2]]
    if todo:
        rows = rows_in_processes(_fit_rows, todo, jobs)
        done.update({r["scan"]: r for r in rows})
        write_json(cache, {"machine": machine(), "rows": done})
    return done


def fitted(rows: list[dict], limit: float) -> list[int | None]:
    return [r["space_group"] if r["rwp"] is not None and r["rwp"] <= limit else None for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--models", nargs="+", default=["experimental", "v2"])
    ap.add_argument("--jobs", type=int, default=1, help="processes for the fits (each loads the catalogue)")
    ap.add_argument("--compositions", action="store_true", help="pass each scan's formula to the fit")
    ap.add_argument("--refit", action="store_true", help="redo the cached fits")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "verified_space_group.json")
    args = ap.parse_args()

    from pymatgen_ml_xrd import SpaceGroupClassifier
    from pymatgen_ml_xrd.estimators.verification import MAX_RWP, fitted_first
    from pymatgen_ml_xrd.generation.wyckoff_tables import crystal_system

    suffix = "_compositions" if args.compositions else ""
    refined, rruff = load_refined(args.data), load_rruff(args.data)
    formulas = rruff_formulas(args.data) if args.compositions else {}
    items = [(r[0], r[1], r[3] if args.compositions else None) for r in refined]
    items += [(r[0], r[1], formulas.get(r[0]) if args.compositions else None) for r in rruff]
    cache = args.out.with_name(f"verified_fits{suffix}.json")
    rows = fits(items, cache, args.jobs, args.refit)
    refined_rows, rruff_rows = [rows[r[0]] for r in refined], [rows[r[0]] for r in rruff]
    truth = np.array([r[2] for r in refined])
    rruff_families = [r[2] for r in rruff]
    default_limit = MAX_RWP["composition" if args.compositions else "blind"]

    def scores(order_refined, order_rruff) -> dict:
        hits = order_refined == truth[:, None]
        fam = [family(crystal_system(int(o[0]))) for o in order_rruff]
        return {"refined_topk": {k: float(hits[:, :k].any(axis=1).mean()) for k in (1, 5, 10)},
                "rruff_family_top1": float(np.mean([a == b for a, b in zip(fam, rruff_families)]))}  # fmt: skip

    fit_only = {}
    for limit in THRESHOLDS:
        f_ref, f_rr = fitted(refined_rows, limit), fitted(rruff_rows, limit)
        fit_only[f"{limit:g}"] = {
            "refined_kept": int(sum(g is not None for g in f_ref)),
            "refined_kept_right": int(sum(g == t for g, t in zip(f_ref, truth) if g is not None)),
            "rruff_kept": int(sum(g is not None for g in f_rr)),
            "rruff_kept_right": int(sum(family(crystal_system(g)) == t for g, t in zip(f_rr, rruff_families)
                                        if g is not None)),
        }  # fmt: skip
    results = {"machine": machine(), "compositions": args.compositions, "default_max_rwp": default_limit,
               "n_refined": len(refined), "n_rruff": len(rruff), "fits_kept": fit_only,
               "fit_seconds_per_scan": float(np.mean([r["seconds"] for r in rows.values()])),
               "frequency_baseline": frequency_baseline(truth, truth, rruff_families), "models": {}}  # fmt: skip
    results["frequency_baseline"] = {k: results["frequency_baseline"][k] for k in ("refined_topk", "rruff_family_top1")}
    print(f"\nfits kept at R_wp <= {default_limit:g}: {fit_only[f'{default_limit:g}']}")
    print(f"{'model':<34}{'refined top-1/5/10':>22}{'rruff90 family':>16}")
    for name in args.models:
        clf = SpaceGroupClassifier(pretrained=name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            order_ref = clf.classes_[np.argsort(-clf.decision_function([r[1] for r in refined]), axis=1)]
            order_rr = clf.classes_[np.argsort(-clf.decision_function([r[1] for r in rruff]), axis=1)]
        row = {"network": scores(order_ref, order_rr), "verified": {}}
        for limit in THRESHOLDS:
            row["verified"][f"{limit:g}"] = scores(fitted_first(order_ref, fitted(refined_rows, limit)),
                                                  fitted_first(order_rr, fitted(rruff_rows, limit)))  # fmt: skip
        results["models"][str(name)] = row
        for label, s in ((name, row["network"]), (f"{name} verified ({default_limit:g})",
                                                   row["verified"][f"{default_limit:g}"])):
            r = s["refined_topk"]
            print(f"{label:<34}{r[1]:>10.3f}/{r[5]:.3f}/{r[10]:.3f}{s['rruff_family_top1']:>14.3f}")
    b = results["frequency_baseline"]
    r = b["refined_topk"]
    print(f"{'frequency ranking':<34}{r[1]:>10.3f}/{r[5]:.3f}/{r[10]:.3f}{b['rruff_family_top1']:>14.3f}")
    print("threshold sweep (verified, refined top-1 / rruff family):")
    for name, row in results["models"].items():
        print(f"  {name}: " + ", ".join(f"{t}: {v['refined_topk'][1]:.3f}/{v['rruff_family_top1']:.3f}"
                                        for t, v in row["verified"].items()))  # fmt: skip
    write_json(args.out.with_name(args.out.stem + suffix + ".json"), results)


if __name__ == "__main__":
    main()
