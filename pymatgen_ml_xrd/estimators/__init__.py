"""scikit-learn estimators around the Keras models."""

from pymatgen_ml_xrd.estimators.composition_to_xrd import CompositionToXRD
from pymatgen_ml_xrd.estimators.space_group import SpaceGroupClassifier
from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier

__all__ = ["SpaceGroupClassifier", "CompositionToXRD", "StructureTypeIdentifier"]
