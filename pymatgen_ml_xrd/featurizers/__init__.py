"""matminer featurizers built on the package's calculator and estimators."""

from pymatgen_ml_xrd.featurizers.composition import PredictedPatternFeatures
from pymatgen_ml_xrd.featurizers.diffraction import XRDPowderPattern
from pymatgen_ml_xrd.featurizers.space_group import SpaceGroupFeatures
from pymatgen_ml_xrd.featurizers.structure_type import StructureTypeFeatures

__all__ = ["XRDPowderPattern", "SpaceGroupFeatures", "StructureTypeFeatures", "PredictedPatternFeatures"]
