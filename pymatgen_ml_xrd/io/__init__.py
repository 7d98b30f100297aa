"""Measured pattern files -> Diffractogram."""

from pymatgen_ml_xrd.io.patterns import PatternFileError, read_pattern, read_pdcif, read_xrdml, read_xy

__all__ = ["read_pattern", "read_xy", "read_xrdml", "read_pdcif", "PatternFileError"]
