"""The `make demo` job: simulate the shipped example CIFs, plot them, time against pymatgen.

    python -m pymatgen_ml_xrd.demo [--out demo_output]

Writes ``patterns.png`` (dense diffractograms with pymatgen-identical peak sticks and hkl
labels) and ``demo.json``, and prints a table with the speed-up over pymatgen's XRDCalculator.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from pymatgen.analysis.diffraction.xrd import XRDCalculator as PymatgenXRD

from pymatgen_ml_xrd.diffraction import XRDCalculator
from pymatgen_ml_xrd.examples import example_structures
from pymatgen_ml_xrd.plotting import plot_diffractograms


def _best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("demo_output"), help="folder for the PNG and JSON")
    ap.add_argument("--repeats", type=int, default=20, help="timing repeats (best is kept)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")

    structures = example_structures()
    ours, theirs = XRDCalculator("CuKa"), PymatgenXRD("CuKa")
    t0 = time.perf_counter()
    ours.get_pattern(next(iter(structures.values())))
    warmup = time.perf_counter() - t0  # numba: compile on first use, then load from the cache

    rows, dense, peaks, labels = [], [], [], []
    for name, s in structures.items():
        p_ours, p_theirs = ours.get_pattern(s), theirs.get_pattern(s)
        same = (
            len(p_ours.x) == len(p_theirs.x)
            and np.allclose(p_ours.x, p_theirs.x, atol=1e-5)
            and np.allclose(p_ours.y, p_theirs.y, atol=1e-3)
            and p_ours.hkls == p_theirs.hkls
        )
        t_ours = _best_time(lambda s=s: ours.get_pattern(s), args.repeats)
        t_theirs = _best_time(lambda s=s: theirs.get_pattern(s), max(3, args.repeats // 5))
        t_dense = _best_time(lambda s=s: ours.get_diffractogram(s), args.repeats)
        symbol, number = s.get_space_group_info()
        rows.append({
            "structure": name, "space_group": f"{symbol} ({number})", "atoms": len(s), "peaks": len(p_ours.x),
            "same_as_pymatgen": bool(same), "pymatgen_ms": t_theirs * 1e3, "ours_ms": t_ours * 1e3,
            "speedup": t_theirs / t_ours, "dense_ms": t_dense * 1e3,
        })
        dense.append(ours.get_diffractogram(s, crystallite_size=50.0))
        peaks.append(ours.get_pattern(s, two_theta_range=(5, 90)))
        labels.append(f"{s.composition.reduced_formula}  {symbol} ({number})  [{name.split('_')[-1]}]")

    png = plot_diffractograms(dense, labels, args.out / "patterns.png", peaks=peaks,
                              title="Cu Kα, Gaussian profiles (Scherrer, 50 nm); sticks: peak list with hkl")
    print(f"first call (numba compile or cache load): {warmup:.2f} s\n")
    print(f"{'structure':<20} {'space group':<14} {'atoms':>5} {'peaks':>5} {'same':>5} "
          f"{'pymatgen ms':>11} {'ours ms':>8} {'speed-up':>8} {'dense ms':>8}")
    for r in rows:
        print(f"{r['structure']:<20} {r['space_group']:<14} {r['atoms']:>5} {r['peaks']:>5} "
              f"{'yes' if r['same_as_pymatgen'] else 'NO':>5} {r['pymatgen_ms']:11.2f} {r['ours_ms']:8.3f} "
              f"{r['speedup']:7.0f}x {r['dense_ms']:8.3f}")
    median = float(np.median([r["speedup"] for r in rows]))
    print(f"\nmedian speed-up over pymatgen's get_pattern: {median:.0f}x (peaks identical: "
          f"{all(r['same_as_pymatgen'] for r in rows)})")
    print(f"wrote {png}")
    (args.out / "demo.json").write_text(json.dumps({"rows": rows, "median_speedup": median}, indent=2))
    return 0 if all(r["same_as_pymatgen"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
