"""Build the GeneratorStatistics shipped with the package (``GeneratorStatistics.default()``).

    python -m pymatgen_ml_xrd.generation.build_default [--data ../shared/data] [--out DIR]

Composition parts (space-group frequencies, elements, distinct-element counts, stoichiometries)
come from the ICSD formula index (../shared/data/icsd_index, 143k entries). Structural parts
(Wyckoff occupations, repetitions, lattices, volumes) come from the real structures in
../shared/data/structures: mpts52_val, mp20_biternary_val, mp20_pilot_val, mp20_pilot_train
(Materials Project, CC-BY-4.0) and aflow_statistics (AFLOW, Apache-2.0), de-duplicated by
material id, and only the half whose id hashes even (:func:`in_statistics_half`), so that the
other half stays unseen for evaluating models trained on synthetic crystals.
"""

from __future__ import annotations

import argparse
import hashlib
import time
import warnings
from pathlib import Path

import pandas as pd

from pymatgen_ml_xrd.generation.statistics import GeneratorStatistics

STRUCTURE_FILES = ("mpts52_val", "mp20_biternary_val", "mp20_pilot_val", "mp20_pilot_train", "aflow_statistics")
INDEX_FILE = "icsd_index/icsd_filtered_info_2025_v3.json.gz"


def in_statistics_half(material_id: str) -> bool:
    """True for the half of the materials whose statistics the shipped generator uses."""
    return int(hashlib.sha1(material_id.encode()).hexdigest(), 16) % 2 == 0


def material_ids(name: str, frame: pd.DataFrame) -> list[str]:
    """Identifier per row: MP material_id, or ``aflow_statistics-<row>`` where there is none."""
    if "material_id" in frame.columns:
        return frame["material_id"].astype(str).tolist()
    return [f"{name}-{i}" for i in range(len(frame))]


def held_out_structures(data: Path, name: str, n: int | None = None, seed: int = 0):
    """Structures of ``data/structures/name.csv.gz`` outside the statistics half (unseen by the
    shipped generator), ``n`` of them at random, with their space groups: the file's
    ``spacegroup.number`` column where it has one, else spglib (symprec 0.1) via pymatgen.

    Returns:
        (list of Structure, int array of space-group numbers)
    """
    import numpy as np
    from pymatgen.core import Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    frame = pd.read_csv(data / "structures" / f"{name}.csv.gz")
    rows = [i for i, mid in enumerate(material_ids(name, frame)) if not in_statistics_half(mid)]
    rows = np.random.default_rng(seed).permutation(rows)[:n]
    structures, groups = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in rows:
            s = Structure.from_str(frame["cif"].iloc[i], fmt="cif")
            structures.append(s)
            if "spacegroup.number" in frame.columns:
                groups.append(int(frame["spacegroup.number"].iloc[i]))
            else:
                groups.append(SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number())
    return structures, np.array(groups, dtype=np.int64)


def load_statistics_structures(data: Path, half: bool = True):
    """Structures of STRUCTURE_FILES, de-duplicated by id, optionally only the statistics half."""
    from pymatgen.core import Structure

    seen: set[str] = set()
    structures = []
    for name in STRUCTURE_FILES:
        frame = pd.read_csv(data / "structures" / f"{name}.csv.gz")
        for mid, cif in zip(material_ids(name, frame), frame["cif"]):
            if mid in seen or (half and not in_statistics_half(mid)):
                continue
            seen.add(mid)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                structures.append(Structure.from_str(cif, fmt="cif"))
    return structures


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data")
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
    stats.provenance["command"] = "python -m pymatgen_ml_xrd.generation.build_default"
    stats.provenance["built"] = time.strftime("%Y-%m-%d")
    json_path, npz_path = stats.save(args.out / "generator_statistics")
    print(stats)
    print(f"space groups with >= 20 structures: {len(stats.space_groups(min_structures=20))}")
    print(f"wrote {json_path} ({json_path.stat().st_size // 1024} KiB) and {npz_path} "
          f"({npz_path.stat().st_size // 1024} KiB) in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
