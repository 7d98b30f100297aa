"""Speed of whichever pymatgen_ml_xrd is importable, against pymatgen, with get_pattern only.

For before/after comparisons on a machine whose speed drifts: run it alternately for two
versions of the package (the older one from a git worktree put first on PYTHONPATH), on the
same structures, and compare the ratios of each run (each is against pymatgen in that run).

    git worktree add /tmp/old <commit>
    (cd /tmp && PYTHONPATH=/tmp/old python /path/to/benchmarks/compare_calculator_versions.py old)
    (cd /tmp && python /path/to/benchmarks/compare_calculator_versions.py new)

Prints one JSON line: warm, cold (each call right after a pymatgen call on the same structure)
and loop ratios (``get_patterns`` where the version has it, else a loop of ``get_pattern``) on
--n stratified structures of mpts52_val + aflow_statistics, best of 3, and dense
diffractograms per second from --dense-n MP-20 Structures.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_DATA, load_structures
from bench_xrd_calculator import stratified, time_cold, time_each
from pymatgen.analysis.diffraction.xrd import XRDCalculator as PymatgenXRD


def best_time(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tag", help="a label for the JSON line (e.g. old / new)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--dense-n", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import pymatgen_ml_xrd
    from pymatgen_ml_xrd import XRDCalculator

    folder = args.data / "structures"
    _, mpts = load_structures(folder / "mpts52_val.csv.gz")
    _, aflow = load_structures(folder / "aflow_statistics.csv.gz")
    sample = stratified(mpts + aflow, args.n, np.random.default_rng(0))
    ours, theirs = XRDCalculator(), PymatgenXRD()
    ours.get_pattern(sample[0])  # compile or load the numba cache first
    ours.get_diffractograms(sample[:1])
    t_pmg = time_each(theirs.get_pattern, sample, args.repeats)
    t_warm = time_each(ours.get_pattern, sample, args.repeats)
    t_cold = time_cold(ours.get_pattern, theirs.get_pattern, sample, args.repeats)
    batch = getattr(ours, "get_patterns", None) or (lambda ss: [ours.get_pattern(s) for s in ss])
    t_loop = best_time(lambda: batch(sample), args.repeats)
    _, mp20 = load_structures(folder / "mp20_pilot_val.csv.gz", n=args.dense_n, seed=0)
    t_dense = best_time(lambda: ours.get_diffractograms(mp20), 2)
    print(json.dumps({
        "tag": args.tag, "package": pymatgen_ml_xrd.__file__,
        "pymatgen_median_ms": float(np.median(t_pmg) * 1e3),
        "warm": float(np.median(t_pmg) / np.median(t_warm)),
        "cold": float(np.median(t_pmg) / np.median(t_cold)),
        "loop": float(t_pmg.sum() / t_loop),
        "dense_per_s": len(mp20) / t_dense,
    }), flush=True)


if __name__ == "__main__":
    main()
