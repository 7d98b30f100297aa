"""Rebuild tests/data from ../shared/data (run once; the outputs are committed).

    python tests/data/make_test_data.py [--data ../shared/data]

Writes
- real_structures.csv.gz: 336 real structures, 48 per crystal system (fewer where the source
  has fewer), at most 60 atoms per cell, from
  ../shared/data/structures/mpts52_val.csv.gz (Materials Project, CC-BY-4.0) and
  ../shared/data/structures/aflow_statistics.csv.gz (AFLOW via WyckoffTransformer, Apache-2.0);
  columns source, id, crystal_system, cif.
- disordered/*.cif: real structures with partially occupied sites, re-written by pymatgen's
  CifWriter from
  ../shared/data/experimental/autoanalyzer_mixtures/*/References (XRD-AutoAnalyzer, MIT) and
  ../shared/data/experimental/refined_xy (refined CIFs of measured samples).
No RRUFF data is used.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Structure
from pymatgen.io.cif import CifParser, CifWriter
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

HERE = Path(__file__).resolve().parent
SYSTEMS = ["triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic"]
DISORDERED = [
    "experimental/autoanalyzer_mixtures/PDF_Example/References/Li4Zr3O8_141.cif",
    "experimental/autoanalyzer_mixtures/PDF_Example/References/Li7La3Zr2O12_230.cif",
    "experimental/refined_xy/HoNdV2O8/HoNdV2O8.cif",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE.parents[2] / "shared" / "data")
    ap.add_argument("--per-system", type=int, default=48)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    for name, id_col in (("mpts52_val", "material_id"), ("aflow_statistics", None)):
        df = pd.read_csv(args.data / "structures" / f"{name}.csv.gz").sample(frac=1.0, random_state=0)
        for i, row in df.head(1500).iterrows():
            s = Structure.from_str(row["cif"], fmt="cif")
            if len(s) > 60:
                continue
            system = SpacegroupAnalyzer(s, symprec=0.01).get_crystal_system()
            rows.append({"source": name, "id": row[id_col] if id_col else f"aflow-{i}", "crystal_system": system,
                         "cif": row["cif"]})
    table = pd.DataFrame(rows)
    parts = []
    for cs in SYSTEMS:  # half from each source where it has enough, the rest from the other
        group = table[table.crystal_system == cs]
        aflow = group[group.source == "aflow_statistics"].head(args.per_system // 2)
        mp = group[group.source == "mpts52_val"].head(args.per_system - len(aflow))
        parts.append(pd.concat([mp, aflow]))
    picked = pd.concat(parts, ignore_index=True)
    picked.to_csv(HERE / "real_structures.csv.gz", index=False)
    print(picked.groupby(["crystal_system", "source"]).size())
    for rel in DISORDERED:  # the structure only (the refined CIFs also carry the measured data)
        structure = CifParser(args.data / rel).parse_structures(primitive=False)[0]
        CifWriter(structure).write_file(HERE / "disordered" / Path(rel).name)
    print(f"{len(picked)} structures, {len(DISORDERED)} disordered CIFs")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
