"""Gallery: measured scans next to their refined structures simulated pure and with effects.

    python benchmarks/gallery_experimental.py [--data ../shared/data] [--seed 0]

For each material of ../shared/data/experimental/refined_xy (raw .xy scan + refined CIF): the
measured pattern (scaled to a maximum of 1), the refined structure simulated with the package's
calculator (pseudo-Voigt; the wavelength and K-alpha2 from the scan's TOPAS .inp) on the measured
2-theta range, and the same
with the experimental effects the shipped experimental SpaceGroupClassifier was trained with
(read from its metadata; preferred orientation included, the 2-theta range left at the scan's),
drawn with the seed (the impurity is a random synthetic crystal). Use it to choose effect ranges
that make simulated patterns look measured. Writes benchmarks/results/experimental_gallery.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "experimental_gallery.png")
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pymatgen.core import Structure

    from pymatgen_ml_xrd import (
        GeneratorStatistics,
        SpaceGroupClassifier,
        SyntheticStructureGenerator,
        XRDCalculator,
    )
    from pymatgen_ml_xrd.io import read_pattern
    from pymatgen_ml_xrd.io.topas import topas_wavelengths

    rng = np.random.default_rng(args.seed)
    shipped = SpaceGroupClassifier(pretrained="experimental")
    # the training effects come with the weights, in their PatternSpec
    effects = dataclasses.replace(shipped.spec_.experimental_effects(), two_theta_start=None, two_theta_stop=None)
    impurity_source = SyntheticStructureGenerator(GeneratorStatistics.default(), seed=args.seed)
    folders = sorted(p for p in (args.data / "experimental" / "refined_xy").iterdir() if p.is_dir())
    fig, axes = plt.subplots(len(folders), 1, figsize=(10, 2.1 * len(folders)), squeeze=False)
    for ax, folder in zip(axes[:, 0], folders):
        lines = topas_wavelengths(next(folder.glob("*.inp")))
        lam = lines[0] if lines else 1.540562
        calc = XRDCalculator("CuKa1" if abs(lam - 1.5406) < 1e-3 else lam)
        scan = read_pattern(next(folder.glob("*.xy")), lam)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structure = Structure.from_file(next(folder.glob("*.cif")))
        lo, hi = float(np.ceil(scan.x[0])), float(np.floor(scan.x[-1]))
        step = 0.02
        kwargs = dict(two_theta_range=(lo, hi), step=step, profile="pseudo-voigt", crystallite_size=80.0,
                      caglioti=(0.005, 0.0, 0.003), eta=0.5, kalpha2=len(lines) > 1)  # fmt: skip
        pure = calc.get_diffractogram(structure, **kwargs)
        impurity = impurity_source.generate_arrays(1)[0].to_crystal_arrays()
        noisy = calc.get_diffractogram(structure, effects=effects, seed=rng, impurity=impurity, **kwargs).y
        measured = (scan.y - scan.y.min()) / (scan.y.max() - scan.y.min())
        ax.plot(scan.x, measured + 2.2, color="black", lw=0.7, label="measured (min-max scaled)")
        ax.plot(pure.x, noisy / noisy.max() + 1.1, color="tab:red", lw=0.7, label="simulated with effects")
        ax.plot(pure.x, pure.y, color="tab:blue", lw=0.7, label="simulated pure")
        ax.set_yticks([])
        ax.text(0.995, 0.95, f"{folder.name}  ({structure.composition.reduced_formula}, λ = {lam:.4f} Å)",
                transform=ax.transAxes,
                ha="right", va="top", fontsize=9)
        ax.set_xlim(lo, hi)
    axes[0, 0].legend(loc="upper left", fontsize=7, ncol=3)
    axes[-1, 0].set_xlabel("2θ (°) at each scan's wavelength (from its TOPAS .inp)")
    fig.suptitle(f"refined_xy: measured scans vs their refined structures (effects seed {args.seed})")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
