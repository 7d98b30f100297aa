"""Build the GeneratorStatistics shipped with the package (``GeneratorStatistics.default()``).

    python benchmarks/build_generator_statistics.py [--data ../shared/data] [--out DIR]

Composition parts (space-group frequencies, elements, distinct-element counts, stoichiometries)
come from the ICSD formula index (../shared/data/icsd_index, 143k entries). Structural parts
(Wyckoff occupations, repetitions, lattices, volumes) come from the real structures in
../shared/data/structures: mpts52_val, mp20_biternary_val, mp20_pilot_val, mp20_pilot_train
(Materials Project, CC-BY-4.0) and aflow_statistics (AFLOW, Apache-2.0), de-duplicated by
material id, and only the half whose id hashes even (:func:`data_splits.in_statistics_half`),
so that the other half stays unseen for evaluating models trained on synthetic crystals.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from data_splits import STRUCTURE_FILES, load_statistics_structures

from pymatgen_ml_xrd.generation.statistics import GeneratorStatistics

INDEX_FILE = "icsd_index/icsd_filtered_info_2025_v3.json.gz"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    repo = Path(__file__).resolve().parents[1]
    ap.add_argument("--data", type=Path, default=repo.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=repo / "pymatgen_ml_xrd" / "data")
    args = ap.parse_args(argv)
    t0 = time.time()
    compositions = GeneratorStatistics.from_formula_index(
        args.data / INDEX_FILE, provenance={"source": f"../shared/data/{INDEX_FILE}", "licence": "MIT (dara-xrd)"}
    )
    structures = load_statistics_structures(args.data)
    structural = GeneratorStatistics.from_structures(
        structures,
        symprec=0.1,
        provenance={
            "source": [f"../shared/data/structures/{n}.csv.gz" for n in STRUCTURE_FILES],
            "licence": "Materials Project CC-BY-4.0; AFLOW Apache-2.0",
            "selection": "de-duplicated by material id; ids whose sha1 is even (in_statistics_half)",
            "structures": len(structures),
            "symprec": 0.1,
        },
    )
    stats = structural.with_composition_from(compositions)
    stats.provenance["command"] = "python benchmarks/build_generator_statistics.py"
    stats.provenance["built"] = time.strftime("%Y-%m-%d")
    json_path, npz_path = stats.save(args.out / "generator_statistics")
    print(stats)
    print(f"space groups with >= 20 structures: {len(stats.space_groups(min_structures=20))}")
    print(f"wrote {json_path} ({json_path.stat().st_size // 1024} KiB) and {npz_path} "
          f"({npz_path.stat().st_size // 1024} KiB) in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
