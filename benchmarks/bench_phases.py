"""PhaseIdentifier on measured scans with known phases (benchmarks/phase_data.py).

    python benchmarks/bench_phases.py [--data ../shared/data] [--only refined_xy iucr_pdcif ...] [--scans NAME ...]

The library holds every known phase of every loaded scan: each scan's true phases plus all the
others as distractors (40 references). Every scan is identified with ``max_phases=4`` against
the whole library. Reported per collection:
- main phase top-1: the phase with the largest refined weight fraction is the scan's main
  phase (the first of its refinement, or the largest weighed fraction). The screening alone
  is reported beside it: the best cosine score with the lattice scaled by +-3 %, the plain
  search-match baseline;
- recall and precision of the phases found against the known ones;
- for weighed mixtures, the mean absolute weight-fraction error in wt % over the known phases
  (phases not found count with a fraction of 0);
- seconds per scan.

Speed: one scan against about 1,000 references (the library plus the structure-type catalogue,
prototypes and members): the screening throughput in candidate patterns (reference x lattice
scale) per second, and the time of a whole identification.

Writes benchmarks/results/phases.json and a PNG of every fit in benchmarks/results/phases/.
Structure types of measured scans: benchmarks/bench_measured_types.py.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from _common import DEFAULT_DATA, REPO, machine, write_json  # noqa: E402


def score_scan(scan, result) -> dict:
    found = result.names
    known = list(scan.phases)
    hits = [p for p in found if p in known]
    row = {"scan": scan.name, "collection": scan.collection, "known": known, "found": found,
           "main_correct": bool(found) and found[0] == known[0], "recall": len(hits) / len(known),
           "precision": len(hits) / len(found) if found else 0.0, "rwp": result.rwp,
           "screen_top1": result.candidates[0][0] if result.candidates else None,
           "screen_correct": bool(result.candidates) and result.candidates[0][0] == known[0],
           "seconds": result.seconds,
           "fractions": {p.name: round(p.weight_fraction, 4) for p in result.phases}}  # fmt: skip
    if scan.weight_fractions is not None:
        got = {p.name: p.weight_fraction for p in result.phases}
        errors = [abs(got.get(name, 0.0) - w) for name, w in zip(known, scan.weight_fractions)]
        row["weight_fraction_error_wt%"] = 100 * float(np.mean(errors))
    return row


def summarise(rows: list[dict]) -> dict:
    out = {"n": len(rows), "main_top1": float(np.mean([r["main_correct"] for r in rows])),
           "screening_top1": float(np.mean([r["screen_correct"] for r in rows])),
           "recall": float(np.mean([r["recall"] for r in rows])),
           "precision": float(np.mean([r["precision"] for r in rows])),
           "seconds_per_scan": float(np.mean([r["seconds"] for r in rows]))}  # fmt: skip
    wf = [r["weight_fraction_error_wt%"] for r in rows if "weight_fraction_error_wt%" in r]
    if wf:
        out["weight_fraction_error_wt%"] = float(np.mean(wf))
    return out


def speed(data, library: dict, scan, n_target: int = 1000) -> dict:
    """Screening throughput and one identification against ~n_target references."""
    from _common import load_structures

    from pymatgen_ml_xrd import PhaseIdentifier
    from pymatgen_ml_xrd.phases.references import ReferenceLibrary

    catalogue = ReferenceLibrary("default")
    big = dict(library)
    for phase in catalogue.phases:
        big.setdefault(phase.name, phase.structure)
    if len(big) < n_target:  # fill up with real Materials Project structures
        _, extra = load_structures(data / "structures" / "mpts52_val.csv.gz", n_target - len(big), seed=0)
        for i, structure in enumerate(extra):
            big.setdefault(f"mpts52 {structure.composition.reduced_formula} #{i}", structure)
    t0 = time.perf_counter()
    pid = PhaseIdentifier(big, max_phases=3)
    build = time.perf_counter() - t0
    pid.screen(scan.pattern)  # reflections computed and kernel compiled
    t0 = time.perf_counter()
    pid.screen(scan.pattern)  # scan onto its grid, background, peak width and the screening itself
    screen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = pid.identify(scan.pattern)
    total = time.perf_counter() - t0
    n_candidates = len(pid.library_) * len(pid.scales_)  # each scored as it is and as square roots
    return {"references": len(pid.library_), "library_build_s": build, "screening_s": screen_s,
            "candidate_patterns_per_s": n_candidates / screen_s, "identify_s": total, "scan": scan.name,
            "found": result.names}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--only", nargs="*", default=None, help="collections to run (default: all)")
    ap.add_argument("--scans", nargs="*", default=None, help="only these scans (names as printed; a quick look)")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--speed-only", action="store_true", help="only the speed against ~1,000 references")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "phases.json")
    args = ap.parse_args()
    from phase_data import all_references, mixture_scans, single_phase_scans

    from pymatgen_ml_xrd import PhaseIdentifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scans = single_phase_scans(args.data) + mixture_scans(args.data)
    library = all_references(scans)
    if args.speed_only:
        speed_result = speed(args.data, library, next(s for s in scans if s.name == "iucr_pdcif/av5088sup4"))
        print("speed:", speed_result)
        write_json(args.out.with_name("phases_speed.json"), {"machine": machine(), **speed_result})
        return
    if args.only:
        scans = [s for s in scans if s.collection in args.only]
    if args.scans:
        scans = [s for s in scans if s.name in args.scans]
    pid = PhaseIdentifier(library, max_phases=4)
    png = args.out.parent / "phases"
    rows = []
    for scan in scans:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = pid.identify(scan.pattern)
        row = score_scan(scan, result)
        rows.append(row)
        result.plot(png / f"{scan.name.replace('/', '__')}.png", title=f"{scan.name}: known {' + '.join(scan.phases)}")
        wf = f" wf err {row['weight_fraction_error_wt%']:.1f} wt%" if "weight_fraction_error_wt%" in row else ""
        print(f"{scan.name:<62} {'ok ' if row['main_correct'] else 'BAD'} found {row['found']} known {row['known']} "
              f"Rwp {row['rwp']:.3f} {row['seconds']:.1f}s{wf}")
    by_collection = {c: summarise([r for r in rows if r["collection"] == c])
                     for c in dict.fromkeys(r["collection"] for r in rows)}  # fmt: skip
    print(f"\n{'collection':<20} {'n':>3} {'main top-1':>10} {'screening':>9} {'recall':>7} {'precision':>9} "
          f"{'wf err wt%':>10} {'s/scan':>7}")
    for name, s in {**by_collection, "all": summarise(rows)}.items():
        wf = f"{s['weight_fraction_error_wt%']:.1f}" if "weight_fraction_error_wt%" in s else "-"
        print(f"{name:<20} {s['n']:>3} {s['main_top1']:>10.3f} {s['screening_top1']:>9.3f} {s['recall']:>7.3f} "
              f"{s['precision']:>9.3f} {wf:>10} {s['seconds_per_scan']:>7.1f}")
    result = {"machine": machine(), "library": sorted(library), "by_collection": by_collection,
              "all": summarise(rows), "scans": rows}  # fmt: skip
    if not args.no_speed:
        result["speed"] = speed(args.data, library, next(s for s in scans if s.collection != "refined_xy"))
        print("speed:", result["speed"])
    write_json(args.out, result)


if __name__ == "__main__":
    main()
