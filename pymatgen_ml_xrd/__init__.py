"""pymatgen-ml-xrd: fast pymatgen-exact powder XRD simulation and ML analysis of diffractograms.

Public names load lazily so that ``import pymatgen_ml_xrd`` stays light (no TensorFlow, no Ray,
no numba compilation at import time).
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import PackageNotFoundError, version

# TensorFlow, when a model is first used, prints oneDNN and CPU-feature lines from C++ to every
# terminal; they are silenced unless the user chose a level (TF_CPP_MIN_LOG_LEVEL "0" or "1"):
# this level for TensorFlow's later messages, pymatgen_ml_xrd.tensorflow_logs for its start-up
# lines (an import of TensorFlow made before this package's is not affected)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

try:
    __version__ = version("pymatgen-ml-xrd")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

_LAZY = {
    "XRDCalculator": "pymatgen_ml_xrd.diffraction.calculator",
    "Diffractogram": "pymatgen_ml_xrd.diffraction.diffractogram",
    "CrystalArrays": "pymatgen_ml_xrd.diffraction.crystal_arrays",
    "GeneratorStatistics": "pymatgen_ml_xrd.generation.statistics",
    "SyntheticStructureGenerator": "pymatgen_ml_xrd.generation.generator",
    "SpaceGroupClassifier": "pymatgen_ml_xrd.estimators.space_group",
    "CompositionToXRD": "pymatgen_ml_xrd.estimators.composition_to_xrd",
    "StructureTypeIdentifier": "pymatgen_ml_xrd.estimators.structure_type",
    "ExperimentalEffects": "pymatgen_ml_xrd.diffraction.experimental_effects",
    "PhaseIdentifier": "pymatgen_ml_xrd.phases.identifier",
    "PatternSpec": "pymatgen_ml_xrd.patterns.spec",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pymatgen_ml_xrd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
