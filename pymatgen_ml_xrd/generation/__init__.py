"""Synthetic crystals that follow database statistics (no machine learning in here)."""

from pymatgen_ml_xrd.generation.generator import (
    GenerationError,
    SyntheticCrystal,
    SyntheticStructureGenerator,
)
from pymatgen_ml_xrd.generation.statistics import GeneratorStatistics, StatisticsFileError
from pymatgen_ml_xrd.generation.wyckoff_tables import crystal_system, wyckoff_table

__all__ = [
    "GeneratorStatistics",
    "StatisticsFileError",
    "SyntheticStructureGenerator",
    "SyntheticCrystal",
    "GenerationError",
    "crystal_system",
    "wyckoff_table",
]
