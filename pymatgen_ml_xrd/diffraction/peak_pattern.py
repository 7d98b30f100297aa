"""XRDPattern: pymatgen's DiffractionPattern whose hkl families are built when first read.

Building one dict per hkl family is most of the cost of a pattern once the physics runs in
numba; most callers (featurizers, training streams) never read ``hkls``. The families are kept
as arrays and turned into pymatgen's list-of-dicts format on first access to ``hkls``; the
result is then the very list pymatgen's calculator returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pymatgen.analysis.diffraction.core import DiffractionPattern
from pymatgen.core.spectrum import Spectrum

__all__ = ["XRDPattern", "HklFamilies"]


@dataclass(frozen=True)
class HklFamilies:
    """hkl families of all peaks as arrays.

    Attributes:
        names: (F, 4) family names as (h, k, -h-k, l).
        multiplicities: (F,) number of reflections in each family.
        start: (P + 1,) families ``start[p]:start[p+1]`` belong to peak p.
        hexagonal: name families with four-index Miller-Bravais indices (as pymatgen does for
            hexagonal lattices); otherwise (h, k, l).
    """

    names: NDArray[np.int64]
    multiplicities: NDArray[np.int64]
    start: NDArray[np.int64]
    hexagonal: bool

    def to_list(self) -> list[list[dict]]:
        """pymatgen's format: per peak, ``[{"hkl": tuple, "multiplicity": int}, ...]``."""
        names = self.names if self.hexagonal else self.names[:, (0, 1, 3)]
        flat = [
            {"hkl": hkl, "multiplicity": m}
            for hkl, m in zip(map(tuple, names.tolist()), self.multiplicities.tolist())
        ]
        bounds = self.start.tolist()
        return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


class XRDPattern(DiffractionPattern):
    """A pymatgen ``DiffractionPattern`` (x = 2-theta [deg], y = intensity, hkls, d_hkls [angstrom]).

    ``hkls`` may be given as :class:`HklFamilies`; it becomes pymatgen's list of dicts when first
    read. Everything else behaves as in pymatgen (normalize, copy, arithmetic, as_dict).
    """

    def __init__(self, x, y, hkls: list | HklFamilies, d_hkls):
        Spectrum.__init__(self, x, y, hkls, d_hkls)
        self._hkls = hkls
        self.d_hkls = d_hkls

    @property
    def hkls(self) -> list[list[dict]]:
        if isinstance(self._hkls, HklFamilies):
            self._hkls = self._hkls.to_list()
            self._args = (self._hkls, self.d_hkls)
        return self._hkls

    @hkls.setter
    def hkls(self, value: list) -> None:
        self._hkls = value
