"""The `make demo` job: the package's main job on the shipped examples, step by step.

    python -m pymatgen_ml_xrd.demo [--out demo_output]

1. Simulate the example CIFs: peaks identical to pymatgen's, timed against it
   (``patterns.png``: dense diffractograms with peak sticks and hkl labels).
2. Classify them: space group top-5 (``SpaceGroupClassifier()``, the default: all 230
   groups, one model for clean and measured patterns) and structure type
   (``StructureTypeIdentifier()``, the union of RCNets).
3. Analyse a measured lab scan shipped with the package (a weighed TiO2 + ZnO mixture,
   :func:`~pymatgen_ml_xrd.examples.measured_example`): space group top-5 of the scan, by the
   network and checked by fitting the structure-type catalogue to it
   (``SpaceGroupClassifier(verify=True)``'s rule), and the phases found and refined by
   ``PhaseIdentifier`` with their weight fractions against those weighed (``measured_fit.png``:
   scan, fit, residual, tick marks).

Writes ``demo.json`` with every number printed.
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
    print("1. Simulate the example structures (pymatgen-exact peaks)")
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
    from pymatgen_ml_xrd import SpaceGroupClassifier

    classifier = SpaceGroupClassifier()  # the default: one model for clean and measured patterns
    classified = _classify(classifier, structures, dense)
    measured = _measured(classifier, args.out)
    (args.out / "demo.json").write_text(json.dumps({"rows": rows, "median_speedup": median, "classified": classified,
                                                     "measured": measured}, indent=2))  # fmt: skip
    return 0 if all(r["same_as_pymatgen"] for r in rows) else 1


def _classify(classifier, structures: dict, patterns: list) -> list[dict]:
    """Step 2: space group top-5 and structure type of the simulated examples."""
    from pymatgen_ml_xrd import StructureTypeIdentifier

    print("\n2. Classify the simulated patterns (machine learning, milliseconds each)")
    top5 = classifier.predict_top_k(patterns, k=5)
    types = StructureTypeIdentifier().predict(patterns)
    out = []
    print(f"{'structure':<20} {'true group':>10}  {'space group top-5':<28} {'in top-5':>8}  structure type")
    for (name, s), groups, kind in zip(structures.items(), top5, types):
        true = s.get_space_group_info()[1]
        out.append({"structure": name, "space_group": true, "top5": [int(g) for g in groups],
                    "in_top5": bool(true in groups), "structure_type": str(kind)})  # fmt: skip
        print(f"{name:<20} {true:>10}  {' '.join(str(int(g)) for g in groups):<28} "
              f"{'yes' if true in groups else 'no':>8}  {kind}")
    return out


def _measured(classifier, out: Path) -> dict:
    """Step 3: the shipped measured scan: space group top-5, then the phases fitted to it."""
    from pymatgen_ml_xrd import PhaseIdentifier
    from pymatgen_ml_xrd.examples import measured_example
    from pymatgen_ml_xrd.io import read_pattern

    example = measured_example()
    scan = read_pattern(example.path)
    print(f"\n3. A measured scan: {example.path.name} ({example.source})")
    print(f"   {len(scan.x)} points, {scan.x[0]:.1f}-{scan.x[-1]:.1f} deg 2-theta, wavelength {scan.wavelength:.5f} A "
          f"(from the file)")
    top5 = [int(g) for g in classifier.predict_top_k([scan], k=5)[0]]
    print(f"   space group top-5 of the whole scan, network alone: {top5} (its main phase, ZnO, is P6_3mc: 186)")
    verified = _verified_top5(classifier, scan, top5)
    references = {**example_structures(), **example.references}  # the five examples and anatase
    t0 = time.perf_counter()
    result = PhaseIdentifier(references).identify(scan)
    seconds = time.perf_counter() - t0
    png = out / "measured_fit.png"
    result.plot(png, title=f"{example.path.name}: PhaseIdentifier fit")
    print(f"   PhaseIdentifier against {len(references)} references ({', '.join(references)}; {seconds:.1f} s): "
          f"R_wp {result.rwp:.3f}")
    print(f"   {'phase':<16} {'found wt%':>9} {'weighed wt%':>11} {'lattice change (a, b, c)':>26}")
    for p in result.phases:
        weighed = example.weighed.get(p.name)
        change = " ".join(f"{100 * v:+.2f}%" for v in p.lattice_change[:3])
        print(f"   {p.name:<16} {100 * p.weight_fraction:9.1f} {'-' if weighed is None else f'{100 * weighed:.1f}':>11} "
              f"{change:>26}")  # fmt: skip
    missed = [n for n in example.weighed if n not in result.names]
    print(f"   weighed phases not found: {missed or 'none'}; wrote {png}")
    return {"file": example.path.name, "space_group_top5": top5, "verified": verified, "rwp": result.rwp,
            "seconds": seconds,
            "phases": {p.name: p.weight_fraction for p in result.phases}, "weighed": example.weighed}  # fmt: skip


def _verified_top5(classifier, scan, top5: list[int]) -> dict:
    """The scan's top-5 checked by a fit: the catalogue's best candidates refined against it, the
    group of a fit within R_wp ``MAX_RWP["blind"]`` first (as ``SpaceGroupClassifier(verify=True)``
    ranks, from one fit that is also reported)."""
    from pymatgen_ml_xrd.estimators.verification import MAX_RWP, fitted_first, kept_phases

    t0 = time.perf_counter()
    fit = classifier.verified_fits([scan])[0]
    seconds = time.perf_counter() - t0
    (phase,) = kept_phases([fit], None, classifier.max_rwp)
    group = None if phase is None else phase.space_group
    ranked = [int(g) for g in fitted_first(np.array([top5]), [group])[0]]
    if phase is None:
        print(f"   checked by a fit ({seconds:.0f} s): no catalogue structure fits within R_wp {MAX_RWP['blind']:g}")
    else:
        print(f"   checked by a fit ({seconds:.0f} s): {phase.name} (group {group}) fits at R_wp {fit.rwp:.3f}, "
              f"so verified top-5: {ranked}")  # fmt: skip
    return {"top5": ranked, "space_group": group, "reference": None if phase is None else phase.name,
            "rwp": None if fit is None else float(fit.rwp), "seconds": seconds}  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
