"""Physics: X-ray powder diffraction simulation (no machine learning in here)."""

from pymatgen_ml_xrd.diffraction.calculator import XRDCalculator
from pymatgen_ml_xrd.diffraction.crystal_arrays import CrystalArrays
from pymatgen_ml_xrd.diffraction.diffractogram import Diffractogram, two_theta_grid
from pymatgen_ml_xrd.diffraction.wavelengths import WAVELENGTHS

__all__ = ["XRDCalculator", "CrystalArrays", "Diffractogram", "two_theta_grid", "WAVELENGTHS"]
