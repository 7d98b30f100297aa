"""Wavelengths stated in a TOPAS input file (``.inp``), for scans refined with TOPAS.

A TOPAS emission profile lists its lines as ``la <weight> lo <wavelength> ...``; synchrotron
refinements state one line, laboratory K-alpha refinements several (K-alpha1 first).
"""

from __future__ import annotations

import re
from pathlib import Path

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["topas_wavelengths"]

_LINE = re.compile(r"\blo\s+([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)")


def topas_wavelengths(path: str | Path) -> list[float]:
    """Emission-line wavelengths [angstrom] of a TOPAS .inp, in file order (empty: none stated).

    Raises:
        InvalidParameterError: the file does not exist or is a directory.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(f"TOPAS input {path} is not a file")
    values = [float(v) for v in _LINE.findall(path.read_text(errors="replace"))]
    return [v for v in values if 0.01 < v < 10.0]  # angstrom; anything else is not a wavelength
