"""XRDPowderPattern featurizer: ours vs matminer's, same structures, same columns, one run.

    python benchmarks/bench_featurizers.py [--data DIR] [--n 200]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_DATA, REPO, load_structures, machine, write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "featurizers.json")
    args = ap.parse_args()
    from matminer.featurizers.structure import XRDPowderPattern as Theirs

    from pymatgen_ml_xrd.featurizers import XRDPowderPattern as Ours

    _, structures = load_structures(args.data / "structures" / "mpts52_val.csv.gz", n=args.n)
    ours, theirs = Ours(), Theirs()
    ours.featurize(structures[0])
    times = {}
    rows = {}
    for name, feat in (("matminer", theirs), ("ours", ours)):
        t0 = time.perf_counter()
        rows[name] = np.array([feat.featurize(s) for s in structures])
        times[name] = (time.perf_counter() - t0) / len(structures)
    max_diff = float(np.abs(rows["ours"] - rows["matminer"]).max() / np.abs(rows["matminer"]).max())
    print(f"XRDPowderPattern on {len(structures)} mpts52_val structures, one core:")
    print(f"  matminer {times['matminer'] * 1e3:.2f} ms, ours {times['ours'] * 1e3:.3f} ms per structure "
          f"-> {times['matminer'] / times['ours']:.0f}x; max relative difference {max_diff:.1e}")
    write_json(args.out, {"machine": machine(), "ms_per_structure": {k: v * 1e3 for k, v in times.items()},
                          "speedup": times["matminer"] / times["ours"], "max_relative_difference": max_diff})


if __name__ == "__main__":
    main()
