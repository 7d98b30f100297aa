"""XRDPattern: pymatgen's DiffractionPattern whose hkls and d_hkls are built when first read.

Building one dict per hkl family (and one float per d-spacing) is most of the cost of a pattern
once the physics runs in numba, and most callers (featurizers, training streams) never read
them. They are kept as arrays and turned into pymatgen's list formats on first access; the
result is then the very lists pymatgen's calculator returns.
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

    ``hkls`` may be given as :class:`HklFamilies` and ``d_hkls`` as an array; they become
    pymatgen's lists when first read. Everything else behaves as in pymatgen (normalize, copy,
    arithmetic, as_dict).
    """

    def __init__(self, x, y, hkls: list | HklFamilies, d_hkls: list | NDArray):
        Spectrum.__init__(self, x, y, hkls, d_hkls)
        self._hkls = hkls
        self._d_hkls = d_hkls

    @property
    def hkls(self) -> list[list[dict]]:
        """Per peak, ``[{"hkl": (h, k, l) or (h, k, i, l), "multiplicity": m}, ...]``."""
        if isinstance(self._hkls, HklFamilies):
            self._hkls = self._hkls.to_list()
            self._args = (self._hkls, self._args[1])
        return self._hkls

    @hkls.setter
    def hkls(self, value: list) -> None:
        self._hkls = value

    @property
    def d_hkls(self) -> list[float]:
        """Interplanar spacing of each peak [angstrom]."""
        if isinstance(self._d_hkls, np.ndarray):
            self._d_hkls = self._d_hkls.tolist()
            self._args = (self._args[0], self._d_hkls)
        return self._d_hkls

    @d_hkls.setter
    def d_hkls(self, value: list) -> None:
        self._d_hkls = value
