"""Speed of pymatgen_ml_xrd.XRDCalculator against pymatgen's XRDCalculator, in one run.

1. Peak patterns (get_pattern): median time per structure on structures from
   ../shared/data/structures (mpts52_val + aflow_statistics, stratified by atoms per cell), each
   calculator timed as the best of --repeats passes over the same structures. Every pattern is
   also checked against pymatgen's (peaks, intensities, hkl families, d-spacings). Three
   protocols, in one run:
   - warm: a tight loop of get_pattern calls (caches warm);
   - cold: each of our calls right after a pymatgen call on the same structure (caches cold, as
     in a user's loop that does other work between calls);
   - batch: get_patterns over all structures against pymatgen's loop (total times).
   Beside them the kernel floor: the numeric kernels alone on prepared arrays (no Structure
   conversion, no Python between the steps), the limit of what Python-side work can reach.
2. Dense diffractograms (get_diffractograms, 5-90 deg, step 0.01, Gaussian Scherrer profile):
   patterns per second on one core for MP-20 cells (mp20_pilot_val), against the anchor
   "pymatgen get_pattern + numpy Gaussian rendering" on the same structures.

Prints a table and writes JSON (default benchmarks/results/xrd_calculator.json).

    python benchmarks/bench_xrd_calculator.py [--data DIR] [--n 500] [--dense-n 1000]
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_DATA, REPO, load_structures, machine, write_json
from pymatgen.analysis.diffraction.xrd import XRDCalculator as PymatgenXRD

from pymatgen_ml_xrd import XRDCalculator
from pymatgen_ml_xrd.diffraction.diffractogram import two_theta_grid

SIZE_BINS = [(1, 8), (9, 16), (17, 32), (33, 64), (65, 10_000)]


def stratified(structures, n: int, rng: np.random.Generator):
    """About n structures spread evenly over SIZE_BINS (atoms per cell), the rest at random."""
    sizes = np.array([len(s) for s in structures])
    per_bin = n // len(SIZE_BINS)
    chosen: list[int] = []
    for lo, hi in SIZE_BINS:
        idx = np.flatnonzero((sizes >= lo) & (sizes <= hi))
        chosen += rng.choice(idx, size=min(per_bin, len(idx)), replace=False).tolist()
    rest = np.setdiff1d(np.arange(len(structures)), chosen)
    chosen += rng.choice(rest, size=n - len(chosen), replace=False).tolist()
    return [structures[i] for i in chosen]


def time_each(fn, structures, repeats: int) -> np.ndarray:
    """Best-of-``repeats`` wall time [s] per structure, each pass over all structures in turn."""
    best = np.full(len(structures), np.inf)
    for _ in range(repeats):
        for i, s in enumerate(structures):
            t0 = time.perf_counter()
            fn(s)
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def time_cold(ours, theirs, structures, repeats: int) -> np.ndarray:
    """Best-of-``repeats`` time [s] of ``ours`` per structure, each call right after ``theirs``."""
    best = np.full(len(structures), np.inf)
    for _ in range(repeats):
        for i, s in enumerate(structures):
            theirs(s)
            t0 = time.perf_counter()
            ours(s)
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def kernel_floor(calc, structures, repeats: int) -> np.ndarray:
    """Best-of-``repeats`` time [s] of the numeric kernels alone per structure (arrays prepared)."""
    from pymatgen_ml_xrd.diffraction.calculator import _MAX_INDEX, _NO_DW, _inverse
    from pymatgen_ml_xrd.diffraction.peak_kernel import reflection_intensities
    from pymatgen_ml_xrd.diffraction.reflection_kernels import group_peaks

    min_r, max_r = calc._shell((0, 90))
    best = np.full(len(structures), np.inf)
    for i, s in enumerate(structures):
        _, a, ustar = calc._prepare(s)
        inv = _inverse(a.lattice)
        args = (a.lattice, inv, a.volume, min_r, max_r, calc.max_reflections, _MAX_INDEX, a.frac_coords,
                a.occupancies, a.atom_element, a.element_rows, _NO_DW, ustar, calc.wavelength)  # fmt: skip
        for _ in range(repeats):
            t0 = time.perf_counter()
            _, hkl, g, f2, sin_t, _ = reflection_intensities(*args)
            group_peaks(np.arcsin(sin_t), sin_t, g, f2, calc.TWO_THETA_TOL, calc.SCALED_INTENSITY_TOL, 100.0)
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def same_pattern(a, b) -> bool:
    return (
        len(a.x) == len(b.x)
        and np.allclose(a.x, b.x, rtol=0, atol=1e-5)
        and np.allclose(a.y, b.y, rtol=0, atol=1e-3)
        and np.allclose(a.d_hkls, b.d_hkls, rtol=1e-9, atol=0)
        and a.hkls == b.hkls
    )


def gaussian_anchor(calc, structures, x, size_nm: float) -> np.ndarray:
    """The baseline a pymatgen user writes: peaks from pymatgen, Gaussians summed with numpy."""
    out = np.empty((len(structures), len(x)), dtype=np.float32)
    for i, s in enumerate(structures):
        p = calc.get_pattern(s, two_theta_range=(x[0] - 2, x[-1] + 2))
        theta = np.radians(p.x / 2)
        fwhm = np.degrees(0.9 * calc.wavelength / (size_nm * 10 * np.cos(theta)))
        sigma = fwhm / (2 * np.sqrt(2 * np.log(2)))
        y = (p.y / sigma * np.exp(-0.5 * ((x[:, None] - p.x) / sigma) ** 2)).sum(axis=1)
        out[i] = y / y.max()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--n", type=int, default=500, help="structures for the peak benchmark")
    ap.add_argument("--dense-n", type=int, default=1000, help="MP-20 structures for the dense benchmark")
    ap.add_argument("--anchor-n", type=int, default=100, help="structures for the dense anchor")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "xrd_calculator.json")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    folder = args.data / "structures"

    _, mpts = load_structures(folder / "mpts52_val.csv.gz")
    _, aflow = load_structures(folder / "aflow_statistics.csv.gz")
    sample = stratified(mpts + aflow, args.n, rng)
    ours, theirs = XRDCalculator(), PymatgenXRD()
    ours.get_pattern(sample[0])  # compile (or load the numba cache) before timing
    ours.get_diffractograms(sample[:1])

    mismatches = sum(not same_pattern(ours.get_pattern(s), theirs.get_pattern(s)) for s in sample)
    gc.collect()
    t_pmg = time_each(theirs.get_pattern, sample, args.repeats)
    t_ours = time_each(ours.get_pattern, sample, args.repeats)

    def with_lists(s):  # also build pymatgen's hkls / d_hkls lists, which XRDPattern defers
        p = ours.get_pattern(s)
        return p.hkls, p.d_hkls

    t_full = time_each(with_lists, sample, args.repeats)
    t_cold = time_cold(ours.get_pattern, theirs.get_pattern, sample, args.repeats)
    t_floor = kernel_floor(ours, sample, args.repeats)
    t_batch = np.inf
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        batch = ours.get_patterns(sample)
        t_batch = min(t_batch, time.perf_counter() - t0)
    batch_mismatches = sum(not same_pattern(p, ours.get_pattern(s)) for p, s in zip(batch, sample))
    batch_row = {
        "structures": len(sample),
        "pymatgen_loop_s": float(t_pmg.sum()),
        "ours_batch_s": float(t_batch),
        "speedup": float(t_pmg.sum() / t_batch),
        "kernel_floor_s": float(t_floor.sum()),
        "speedup_at_floor": float(t_pmg.sum() / t_floor.sum()),
        "mismatches_vs_get_pattern": batch_mismatches,
    }
    sizes = np.array([len(s) for s in sample])
    rows = []
    for lo, hi in [(1, 10_000), *SIZE_BINS]:
        m = (sizes >= lo) & (sizes <= hi)
        if m.any():
            pmg = np.median(t_pmg[m])
            rows.append({
                "atoms": f"{lo}-{hi}" if hi < 10_000 else (f">={lo}" if lo > 1 else "all"),
                "n": int(m.sum()),
                "pymatgen_ms": float(pmg * 1e3),
                "ours_ms": float(np.median(t_ours[m]) * 1e3),
                "ours_with_lists_ms": float(np.median(t_full[m]) * 1e3),
                "ours_cold_ms": float(np.median(t_cold[m]) * 1e3),
                "kernel_floor_ms": float(np.median(t_floor[m]) * 1e3),
                "speedup_median": float(pmg / np.median(t_ours[m])),
                "speedup_with_lists": float(pmg / np.median(t_full[m])),
                "speedup_cold": float(pmg / np.median(t_cold[m])),
                "speedup_at_floor": float(pmg / np.median(t_floor[m])),
            })

    # dense diffractograms on MP-20 cells
    _, mp20 = load_structures(folder / "mp20_pilot_val.csv.gz", n=args.dense_n, seed=args.seed)
    x = two_theta_grid(5, 90, 0.01)
    sizes_nm = rng.uniform(20, 100, len(mp20))
    t_dense = t_dense_random = np.inf
    for _ in range(2):  # best of two passes, as for the peaks
        t0 = time.perf_counter()
        dense = ours.get_diffractograms(mp20, crystallite_size=50.0)
        t_dense = min(t_dense, time.perf_counter() - t0)
        t0 = time.perf_counter()
        ours.get_diffractograms(mp20, crystallite_size=sizes_nm)
        t_dense_random = min(t_dense_random, time.perf_counter() - t0)
    anchor_set = mp20[: args.anchor_n]
    t0 = time.perf_counter()
    anchor = gaussian_anchor(theirs, anchor_set, x, 50.0)
    t_anchor = time.perf_counter() - t0
    agreement = float(np.median([np.corrcoef(a, b)[0, 1] for a, b in zip(anchor, dense[: args.anchor_n])]))
    dense_row = {
        "structures": len(mp20),
        "points": len(x),
        "ours_per_s": len(mp20) / t_dense,
        "ours_per_s_random_sizes": len(mp20) / t_dense_random,
        "anchor_per_s": len(anchor_set) / t_anchor,
        "speedup": (len(mp20) / t_dense) / (len(anchor_set) / t_anchor),
        "median_pearson_vs_anchor": agreement,
    }

    print(f"\nPeak patterns, {len(sample)} structures (mpts52_val + aflow_statistics), best of {args.repeats}")
    print(f"mismatching patterns vs pymatgen: {mismatches}")
    print(f"{'atoms/cell':>10} {'n':>4} {'pymatgen ms':>12} {'warm ms':>8} {'+lists ms':>10} {'cold ms':>8} "
          f"{'floor ms':>9} {'warm':>7} {'+lists':>7} {'cold':>7} {'floor':>7}")  # fmt: skip
    for r in rows:
        print(
            f"{r['atoms']:>10} {r['n']:>4} {r['pymatgen_ms']:12.3f} {r['ours_ms']:8.3f} "
            f"{r['ours_with_lists_ms']:10.3f} {r['ours_cold_ms']:8.3f} {r['kernel_floor_ms']:9.3f} "
            f"{r['speedup_median']:6.1f}x {r['speedup_with_lists']:6.1f}x {r['speedup_cold']:6.1f}x "
            f"{r['speedup_at_floor']:6.1f}x"
        )
    b = batch_row
    print(
        f"batch get_patterns: {b['ours_batch_s'] * 1e3:.1f} ms for {b['structures']} structures, pymatgen's loop "
        f"{b['pymatgen_loop_s']:.2f} s -> {b['speedup']:.1f}x (kernel floor {b['speedup_at_floor']:.1f}x); "
        f"patterns differing from get_pattern: {b['mismatches_vs_get_pattern']}"
    )
    d = dense_row
    print(f"\nDense diffractograms, {d['structures']} MP-20 cells, {d['points']} points, one core")
    print(f"  ours: {d['ours_per_s']:.0f} patterns/s (random 20-100 nm sizes: {d['ours_per_s_random_sizes']:.0f}/s)")
    print(f"  anchor (pymatgen peaks + numpy Gaussians): {d['anchor_per_s']:.1f} patterns/s -> {d['speedup']:.0f}x")
    print(f"  median Pearson r between the two: {d['median_pearson_vs_anchor']:.6f}")
    write_json(
        args.out,
        {"machine": machine(), "mismatches": mismatches, "peaks": rows, "batch": batch_row, "dense": dense_row},
    )


if __name__ == "__main__":
    main()
