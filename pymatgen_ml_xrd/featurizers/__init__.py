"""matminer featurizers built on the package's calculator and estimators."""

from pymatgen_ml_xrd.featurizers.diffraction import XRDPowderPattern

__all__ = ["XRDPowderPattern"]
