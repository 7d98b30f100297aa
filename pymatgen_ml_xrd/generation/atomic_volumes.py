"""Atomic volumes used to condition the cell volume (paper 001, SI S1).

V_atom = 4/3 pi r^3 with r = (r_covalent + r_vdW) / 2: covalent radii from ASE
(``ase.data.covalent_radii``, Cordero et al.), van der Waals radii from pymatgen
(``Element.van_der_waals_radius``, complete for Z = 1-98, unlike ASE's table).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["atomic_volumes", "MAX_Z"]

MAX_Z = 98  # the X-ray scattering table ends at Cf


@lru_cache(maxsize=1)
def atomic_volumes() -> NDArray[np.float64]:
    """(MAX_Z + 1,) atomic volume [angstrom^3] indexed by atomic number (index 0 unused, NaN)."""
    from ase.data import covalent_radii
    from pymatgen.core import Element

    out = np.full(MAX_Z + 1, np.nan)
    for z in range(1, MAX_Z + 1):
        r = (float(covalent_radii[z]) + float(Element.from_Z(z).van_der_waals_radius)) / 2
        out[z] = 4 / 3 * np.pi * r**3
    return out
