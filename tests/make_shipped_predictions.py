"""Freeze the predictions of every shipped model: writes tests/data/shipped_predictions.npz.

tests/test_shipped_predictions.py rebuilds the same inputs (:func:`build_inputs`), recomputes the
same outputs (:func:`compute_outputs`) with the package as it is now and compares them with this
file, so that a refactoring can be shown to change no prediction.

Rerun this script ONLY when shipped weights in pymatgen_ml_xrd/pretrained/ are deliberately
retrained or replaced (or when the frozen inputs below are deliberately changed). Never rerun it
to make a failing test pass after a code change: a failure means the code changed a prediction.

Generate against a pristine checkout of the commit whose predictions are frozen, e.g.::

    git worktree add /tmp/golden_base HEAD
    cp tests/make_shipped_predictions.py /tmp/golden_base/tests/
    cd /tmp/golden_base && PYTHONPATH=/tmp/golden_base /work/main/.venv/bin/python \\
        tests/make_shipped_predictions.py --out /work/main/tests/data/shipped_predictions.npz
    git -C /work/main worktree remove --force /tmp/golden_base

Inputs (fixed, all from files in the repository): the example CIFs in
pymatgen_ml_xrd/data/examples, the first 8 structures of tests/data/real_structures.csv.gz, the
measured scans tests/data/patterns/LiMnO2.xy and In2O3-MnCO3_2min.xrdml (read_pattern), one
pymatgen DiffractionPattern (pymatgen's own XRDCalculator, peaks), one dense Diffractogram at
Mo K-alpha and one (x, y) tuple. CompositionToXRD gets six formulas.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import warnings
from importlib.resources import files
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
REFERENCE = DATA / "shipped_predictions.npz"

N_REAL = 8
SPACE_GROUP_MODELS = ("default", "gaussian", "v2", "experimental", "pseudo-voigt")
FORMULAS = ("NaCl", "SrTiO3", "BaTiO3", "Fe2O3", "LiMnO2", "SiO2")


def build_inputs() -> tuple[list, list[str]]:
    """(inputs for predict, one name per input); deterministic, from repository files only."""
    import pandas as pd
    from pymatgen.analysis.diffraction.xrd import XRDCalculator as PymatgenXRD
    from pymatgen.core import Structure

    from pymatgen_ml_xrd import XRDCalculator
    from pymatgen_ml_xrd.io import read_pattern

    items, names = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        examples = sorted(Path(str(files("pymatgen_ml_xrd") / "data" / "examples")).glob("*.cif"))
        if not examples:
            raise RuntimeError("no example CIFs found in pymatgen_ml_xrd/data/examples")
        structures = {p.stem: Structure.from_file(p) for p in examples}
        table = pd.read_csv(DATA / "real_structures.csv.gz")
        real = [Structure.from_str(cif, fmt="cif") for cif in table["cif"][:N_REAL]]
    for stem, s in structures.items():
        items.append(s)
        names.append(f"structure:{stem}")
    for i, s in enumerate(real):
        items.append(s)
        names.append(f"real_structure:{i}:{s.composition.reduced_formula}")
    for fname in ("LiMnO2.xy", "In2O3-MnCO3_2min.xrdml"):
        items.append(read_pattern(DATA / "patterns" / fname))
        names.append(f"measured:{fname}")
    stems = list(structures)
    peaks = PymatgenXRD().get_pattern(structures[stems[0]])  # pymatgen DiffractionPattern, Cu K-alpha
    items.append(peaks)
    names.append(f"pymatgen_peaks:{stems[0]}")
    mo = XRDCalculator(wavelength="MoKa").get_diffractogram(structures[stems[1]], two_theta_range=(2.0, 45.0),
                                                             step=0.01)
    items.append(mo)
    names.append(f"diffractogram_MoKa:{stems[1]}")
    cu = XRDCalculator().get_diffractogram(structures[stems[2]], two_theta_range=(10.0, 80.0), step=0.02)
    items.append((np.asarray(cu.x, dtype=np.float64), np.asarray(cu.y, dtype=np.float64)))
    names.append(f"xy_tuple:{stems[2]}")
    return items, names


def _space_group(pretrained: str):
    from pymatgen_ml_xrd import SpaceGroupClassifier

    return SpaceGroupClassifier(pretrained=pretrained)


def _structure_types():
    from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier

    return StructureTypeIdentifier(plugins=False)


def _composition_to_xrd():
    from pymatgen_ml_xrd import CompositionToXRD

    return CompositionToXRD()


def _key(pretrained: str) -> str:
    return pretrained.replace("-", "_")


def space_group_outputs(clf, items: list, pretrained: str) -> dict[str, np.ndarray]:
    """Every input kind is accepted (model_rows of the estimators' pattern input)."""
    return {f"sg_{_key(pretrained)}_proba": np.asarray(clf.predict_proba(items), dtype=np.float64),
            f"sg_{_key(pretrained)}_classes": np.asarray(clf.classes_, dtype=np.int64)}  # fmt: skip


def structure_type_outputs(st, items: list) -> dict[str, np.ndarray]:
    return {"st_reliability": np.asarray(st.predict_reliability(items), dtype=np.float64),
            "st_classes": np.asarray(st.classes_, dtype=str),
            "st_predict": np.asarray(st.predict(items), dtype=str)}  # fmt: skip


def composition_outputs(c2x, items: list) -> dict[str, np.ndarray]:
    """CompositionToXRD takes formulas, not patterns: ``items`` is unused (FORMULAS)."""
    patterns = c2x.predict_diffractograms(list(FORMULAS))  # a list of Diffractograms
    return {"c2x_y": np.stack([np.asarray(d.y, dtype=np.float64) for d in patterns]),
            "c2x_x": np.stack([np.asarray(d.x, dtype=np.float64) for d in patterns])}  # fmt: skip


#: model name -> (loader, outputs(model, items)); each model is loaded once
MODELS = {
    **{f"sg_{_key(p)}": (lambda p=p: _space_group(p), lambda m, items, p=p: space_group_outputs(m, items, p))
       for p in SPACE_GROUP_MODELS},
    "st": (_structure_types, structure_type_outputs),
    "c2x": (_composition_to_xrd, composition_outputs),
}


def compute_outputs(items: list) -> dict[str, np.ndarray]:
    """All frozen outputs (float64 arrays; classes and names as int / str arrays)."""
    out: dict[str, np.ndarray] = {}
    for load, outputs in MODELS.values():
        out.update(outputs(load(), items))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=REFERENCE, help=f"where to write (default {REFERENCE})")
    args = parser.parse_args(argv)
    import pymatgen_ml_xrd

    items, names = build_inputs()
    outputs = compute_outputs(items)
    package = Path(pymatgen_ml_xrd.__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(package), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(package), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", ""
    import keras
    import tensorflow as tf

    meta = {"input_names": np.asarray(names, dtype=str), "formulas": np.asarray(FORMULAS, dtype=str),
            "provenance": np.asarray([f"commit {commit}{' (package dirty)' if dirty else ''}", f"package {package}",
                                      f"python {platform.python_version()}", f"numpy {np.__version__}",
                                      f"tensorflow {tf.__version__}", f"keras {keras.__version__}",
                                      f"machine {platform.machine()}"], dtype=str)}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **outputs, **meta)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB) from {package} at commit {commit}"
          f"{' (package dirty!)' if dirty else ''}")
    for k, v in outputs.items():
        print(f"  {k}: {v.shape} {v.dtype}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
