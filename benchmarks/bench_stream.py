"""Throughput of the training streams alone (no model): unique diffractograms per hour.

    python benchmarks/bench_stream.py [--seconds 60] [--workers 2] [--patterns-per-crystal 2 4]

LocalStream and RayStream with the SpaceGroupClassifier's default batch layout (128 patterns,
5-90 deg step 0.04), after a warm-up batch, for each number of patterns per crystal (2 is the
default layout, 4 the space-group-v3 recipe's: each crystal's symmetry-checked generation is
shared by more patterns with their own profile and effect draws). Goal: >= 10,000,000 per hour
on the 2-core machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import REPO, machine, write_json


def measure(stream, seconds: float) -> float:
    next(stream)  # start-up and first batch are not counted
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        x, _ = next(stream)
        n += len(x)
    return n / (time.perf_counter() - t0) * 3600


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--patterns-per-crystal", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "stream.json")
    args = ap.parse_args()
    from pymatgen_ml_xrd import SyntheticStructureGenerator
    from pymatgen_ml_xrd.streams import BatchConfig, LocalStream, RayStream

    groups = tuple(SyntheticStructureGenerator(seed=0).space_groups)
    rows = {}
    for per_crystal in args.patterns_per_crystal:
        config = BatchConfig(space_groups=groups, patterns_per_crystal=per_crystal)
        for name, make in (("local", lambda: LocalStream(config, seed=0, n_workers=args.workers)),
                           ("ray", lambda: RayStream(config, seed=0, n_workers=args.workers))):
            with make() as stream:
                rate = measure(stream, args.seconds)
            rows[f"{name}, {per_crystal} per crystal"] = rate
            print(f"{name:>6}, {per_crystal} patterns per crystal: {rate:,.0f} diffractograms/hour "
                  f"with {args.workers} workers")
    write_json(args.out, {"machine": machine(), "workers": args.workers, "per_hour": rows,
                          "batch": config.to_dict() | {"space_groups": len(config.space_groups)}})


if __name__ == "__main__":
    main()
