"""SyntheticStructureGenerator: speed against pyxtal and fidelity to the real structures.

1. Speed: crystals per second with the space group verified (moyopy), ours vs pyxtal's
   ``from_random`` asked for the same space groups and the same compositions (species and
   atoms per conventional cell), in one run on one core. Attempt and failure rates per crystal
   system. The symmetry check itself: every candidate cell of the speed run (accepted or not)
   analysed by spglib and by the generator's check (moyopy + spglib's overlap rule) and by moyopy
   alone, with the time per cell and the agreement table.
2. Fidelity (paper 001, Figure 4): histograms of density factor V_cell / V_atomic, conventional
   cell volume, atoms in the asymmetric unit and number of elements, synthetic vs the real
   structures the shipped statistics came from; written as PNG, with Wasserstein distances in JSON.

    python benchmarks/bench_generator.py [--data DIR] [--n 300] [--pyxtal-n 60] [--fidelity-n 2000]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from _common import DEFAULT_DATA, REPO, machine, write_json


def descriptors_real(structures, symprec=0.1):
    import spglib

    from pymatgen_ml_xrd.generation.atomic_volumes import atomic_volumes

    vol = atomic_volumes()
    rows = []
    for s in structures:
        numbers = np.array(s.atomic_numbers)
        ds = spglib.get_symmetry_dataset((s.lattice.matrix, s.frac_coords, numbers), symprec=symprec)
        if ds is None or numbers.max() > 98:
            continue
        v = abs(np.linalg.det(ds.std_lattice))
        va = vol[np.asarray(ds.std_types)].sum()
        rows.append((v / va, v, len(set(ds.equivalent_atoms)), len(set(numbers.tolist()))))
    return np.array(rows)


def descriptors_synthetic(crystals):
    from pymatgen_ml_xrd.generation.atomic_volumes import atomic_volumes

    vol = atomic_volumes()
    rows = []
    for c in crystals:
        v = abs(np.linalg.det(c.lattice))
        rows.append((v / vol[c.atomic_numbers].sum(), v, len(c.wyckoff_letters), len(set(c.atomic_numbers.tolist()))))
    return np.array(rows)


def symmetry_check_table(gen, n: int) -> dict:
    """spglib vs the generator's check vs bare moyopy on every candidate cell of ``n`` crystals."""
    import moyopy

    import pymatgen_ml_xrd.generation.generator as generator_module
    from pymatgen_ml_xrd.generation.spglib_dataset import symmetry_dataset
    from pymatgen_ml_xrd.generation.symmetry_check import space_group_number

    cells = []
    check = generator_module.space_group_number

    def recording(lattice, frac, numbers, symprec):
        cells.append((lattice, frac, numbers))
        return check(lattice, frac, numbers, symprec)

    generator_module.space_group_number = recording
    try:
        gen.generate_arrays(n)
    finally:
        generator_module.space_group_number = check

    def bare_moyopy(lattice, frac, numbers, symprec):
        try:
            cell = moyopy.Cell(lattice.tolist(), frac.tolist(), numbers.tolist())
            return moyopy.MoyoDataset(cell, symprec=symprec).number
        except Exception:  # noqa: BLE001
            return None

    answers, seconds = {}, {}
    for name, fn in [
        ("spglib", lambda *c: getattr(symmetry_dataset(c[:3], c[3]), "number", None)),
        ("check", space_group_number),
        ("moyopy", bare_moyopy),
    ]:
        t0 = time.perf_counter()
        answers[name] = [fn(*cell, gen.symprec) for cell in cells]
        seconds[name] = time.perf_counter() - t0
    from pymatgen_ml_xrd.generation.symmetry_check import atoms_overlap

    table = {}
    table["check_refusals_of_overlapping_atoms_spglib_accepted"] = sum(
        a is not None and b is None and atoms_overlap(c[0], c[1], gen.symprec)
        for a, b, c in zip(answers["spglib"], answers["check"], cells)
    )
    for other in ("check", "moyopy"):
        pairs = Counter((a, b) for a, b in zip(answers["spglib"], answers[other]) if a != b)
        table[other] = {
            "agree": sum(a == b for a, b in zip(answers["spglib"], answers[other])),
            "differences": [{"spglib": a, other: b, "cells": k} for (a, b), k in pairs.most_common()],
            "ms_per_cell": seconds[other] / len(cells) * 1e3,
        }
    return {"cells": len(cells), "spglib_ms_per_cell": seconds["spglib"] / len(cells) * 1e3, **table}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--n", type=int, default=300, help="crystals for the speed run")
    ap.add_argument("--pyxtal-n", type=int, default=60, help="of those, how many pyxtal generates")
    ap.add_argument("--fidelity-n", type=int, default=2000)
    ap.add_argument("--real-n", type=int, default=3000, help="real structures for the histograms")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "generator.json")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from data_splits import load_statistics_structures
    from pymatgen.core import Element
    from pyxtal import pyxtal
    from scipy.stats import wasserstein_distance

    from pymatgen_ml_xrd import GeneratorStatistics, SyntheticStructureGenerator

    stats = GeneratorStatistics.default()
    gen = SyntheticStructureGenerator(stats, seed=args.seed)
    gen.warm_up()  # build the per-group tables once, as a long-running stream would
    gen.generate_arrays(args.n)  # and pay first-use costs (the first 300 crystals ran at half speed)
    gen.attempts.clear()
    gen.failures.clear()
    t0 = time.perf_counter()
    crystals = gen.generate_arrays(args.n)
    t_ours = time.perf_counter() - t0
    symmetry = symmetry_check_table(SyntheticStructureGenerator(stats, seed=args.seed), args.n)
    t0 = time.perf_counter()
    [c.to_structure() for c in crystals]
    t_structures = time.perf_counter() - t0

    subset = crystals[: args.pyxtal_n]
    pyxtal_ok = pyxtal_failed = 0
    t0 = time.perf_counter()
    for i, c in enumerate(subset):
        counts = Counter(c.atomic_numbers.tolist())
        species = [Element.from_Z(z).symbol for z in counts]
        try:
            x = pyxtal()
            x.from_random(3, c.space_group, species, [counts[z] for z in counts], random_state=args.seed + i)
            pyxtal_ok += bool(x.valid)
            pyxtal_failed += not x.valid
        except Exception:  # noqa: BLE001 - pyxtal raises many types for compositions it cannot place
            pyxtal_failed += 1
    t_pyxtal = time.perf_counter() - t0
    ours_rate = args.n / t_ours
    pyxtal_rate = len(subset) / t_pyxtal
    per_system = {
        s: {"attempts": gen.attempts[s], "failed": gen.failures[s],
            "failure_rate": gen.failures[s] / max(gen.attempts[s], 1)}
        for s in sorted(gen.attempts)
    }
    speed = {
        "ours_crystals_per_s": ours_rate,
        "ours_structures_per_s": args.n / (t_ours + t_structures),
        "pyxtal_crystals_per_s": pyxtal_rate,
        "pyxtal_valid": pyxtal_ok,
        "pyxtal_failed": pyxtal_failed,
        "speedup": ours_rate / pyxtal_rate,
        "per_crystal_system": per_system,
        "space_groups_generated": len({c.space_group for c in crystals}),
        "symmetry_check": symmetry,
    }

    # fidelity
    synthetic = descriptors_synthetic(gen.generate_arrays(args.fidelity_n))
    real_structures = load_statistics_structures(args.data)
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(real_structures), size=min(args.real_n, len(real_structures)), replace=False)
    covered = set(gen.space_groups)
    real = descriptors_real([real_structures[i] for i in pick])
    names = ["density factor V/V_atomic", "volume (A^3)", "atoms in asymmetric unit", "number of elements"]
    fidelity = {}
    for j, name in enumerate(names):
        r, s = real[:, j], synthetic[:, j]
        fidelity[name] = {
            "wasserstein": float(wasserstein_distance(r, s)),
            "wasserstein_over_real_std": float(wasserstein_distance(r, s) / r.std()),
            "real_median": float(np.median(r)),
            "synthetic_median": float(np.median(s)),
        }
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    clips = [(0, 8), (0, 4000), (0, 40), (0.5, 8.5)]
    for ax, j, name, (lo, hi) in zip(axes.ravel(), range(4), names, clips):
        bins = np.arange(1, 10) - 0.5 if j == 3 else np.linspace(lo, hi, 50)
        ax.hist(np.clip(real[:, j], lo, hi), bins=bins, density=True, alpha=0.5, label=f"real ({len(real)})")
        ax.hist(np.clip(synthetic[:, j], lo, hi), bins=bins, density=True, histtype="step", lw=2,
                label=f"synthetic ({len(synthetic)})")
        ax.set_xlabel(name)
        ax.set_title(f"W1/std = {fidelity[name]['wasserstein_over_real_std']:.3f}", fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle("Synthetic crystals vs the real structures behind the shipped statistics", fontsize=10)
    fig.tight_layout()
    png = args.out.with_suffix(".png")
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)

    print(f"\nSpeed, {args.n} crystals ({speed['space_groups_generated']} space groups), one core")
    print(f"  ours: {ours_rate:.1f} crystals/s verified (as Structures: {speed['ours_structures_per_s']:.1f}/s)")
    print(f"  pyxtal from_random, same groups and compositions ({len(subset)}): {pyxtal_rate:.2f}/s "
          f"({pyxtal_ok} valid, {pyxtal_failed} failed) -> {speed['speedup']:.0f}x")
    sym = symmetry
    print(f"  symmetry check on all {sym['cells']} candidate cells of {args.n} crystals: spglib "
          f"{sym['spglib_ms_per_cell']:.2f} ms/cell")
    for name in ("check", "moyopy"):
        r = sym[name]
        label = "generator's check (moyopy + overlap rule)" if name == "check" else "moyopy alone"
        print(f"    {label}: {r['ms_per_cell']:.2f} ms/cell ({sym['spglib_ms_per_cell'] / r['ms_per_cell']:.1f}x), "
              f"agrees with spglib on {r['agree']}/{sym['cells']}; differences {r['differences']}")
    print(f"    of the check's differences, overlapping atoms of different elements (spglib named a group): "
          f"{sym['check_refusals_of_overlapping_atoms_spglib_accepted']}")
    print(f"  {'crystal system':<14} {'attempts':>8} {'failed':>7} {'rate':>6}")
    for s, r in per_system.items():
        print(f"  {s:<14} {r['attempts']:>8} {r['failed']:>7} {r['failure_rate']:6.1%}")
    print(f"\nFidelity, {len(synthetic)} synthetic vs {len(real)} real structures "
          f"(space groups covered by the generator: {len(covered)})")
    print(f"  {'descriptor':<28} {'W1':>9} {'W1/std':>7} {'median real':>12} {'median synth':>13}")
    for name, f in fidelity.items():
        print(f"  {name:<28} {f['wasserstein']:9.3f} {f['wasserstein_over_real_std']:7.3f} "
              f"{f['real_median']:12.2f} {f['synthetic_median']:13.2f}")
    print(f"wrote {png}")
    write_json(args.out, {"machine": machine(), "speed": speed, "fidelity": fidelity,
                          "space_groups": gen.space_groups})


if __name__ == "__main__":
    main()
