"""Composition -> pattern data set of real structures for CompositionToXRD (training and benchmark).

One structure per reduced formula from the Materials Project files of ../shared/data/structures
(mp20_biternary_val, mp20_pilot_train, mp20_pilot_val, mpts52_val: the polymorph with the lowest
energy above hull, as paper 004 keeps the lowest formation energy) and AFLOW's aflow_statistics
for formulas MP does not have. perov5 (hypothetical cubic perovskites) and carbon24 (one element)
are left out. Split by formula: sha1(reduced formula) mod 10 in {0, 1} is the 20% test set (the
paper's share), everything else trains; fit() takes its own 10% for early stopping.

Patterns are simulated with the package's calculator and smoothed (CompositionToXRD defaults),
cached in benchmarks/results/composition_dataset.npz.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

MP_FILES = ("mp20_biternary_val", "mp20_pilot_train", "mp20_pilot_val", "mpts52_val")
AFLOW_FILE = "aflow_statistics"


def is_test_formula(reduced_formula: str) -> bool:
    return int(hashlib.sha1(reduced_formula.encode()).hexdigest(), 16) % 10 < 2


def is_abc3(reduced_formula: str) -> bool:
    """Three elements in ratio 1:1:3 (paper 004's ABC3-XRD prototype family)."""
    from pymatgen.core import Composition

    amounts = sorted(Composition(reduced_formula).values())
    return len(amounts) == 3 and amounts == [1, 1, 3]


def load_structures(data: Path):
    """(structures, energies, sources) of every MP and AFLOW row (energies: e above hull, AFLOW inf)."""
    from pymatgen.core import Structure

    structures, energies, sources = [], [], []
    for name in (*MP_FILES, AFLOW_FILE):
        df = pd.read_csv(data / "structures" / f"{name}.csv.gz")
        col = "e_above_hull" if "e_above_hull" in df else "energy_above_hull" if "energy_above_hull" in df else None
        for i, cif in enumerate(df["cif"]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                structures.append(Structure.from_str(cif, fmt="cif"))
            energies.append(float(df[col].iloc[i]) if col else np.inf)
            sources.append(name)
    return structures, np.array(energies), sources


def composition_dataset(data: Path, cache: Path | None = None) -> dict:
    """{"formula", "abc3", "test", "patterns", "two_theta", "source"} arrays, one row per formula."""
    from pymatgen_ml_xrd import CompositionToXRD
    from pymatgen_ml_xrd.estimators.composition_to_xrd import lowest_energy_per_composition

    est = CompositionToXRD(pretrained=None)
    key = f"{est.two_theta_range}-{est.n_points}-{est.fwhm}"
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            if str(z["key"]) == key:
                return {k: z[k] for k in z.files if k != "key"}
    structures, energies, sources = load_structures(data)
    keep = lowest_energy_per_composition(structures, energies)
    chosen = [structures[i] for i in keep]
    formulas = np.array([s.composition.reduced_formula for s in chosen])
    out = {
        "formula": formulas,
        "abc3": np.array([is_abc3(f) for f in formulas]),
        "n_elements": np.array([len(s.composition) for s in chosen]),
        "test": np.array([is_test_formula(f) for f in formulas]),
        "source": np.array([sources[i] for i in keep]),
        "patterns": est.simulate_targets(chosen),
        "two_theta": est.grid_,
    }
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, key=key, **out)
    return out
