"""XRDPattern: pymatgen's DiffractionPattern whose hkls and d_hkls are built when first read.

Building one dict per hkl family (and one float per d-spacing) is most of the cost of a pattern
once the physics runs in numba, and most callers (featurizers, training streams) never read
them. They are kept as arrays and turned into pymatgen's list formats on first access; the
result is then the very lists pymatgen's calculator returns.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pymatgen.analysis.diffraction.core import DiffractionPattern
from pymatgen.core.spectrum import Spectrum

from pymatgen_ml_xrd.diffraction.reflection_kernels import hkl_families

__all__ = ["XRDPattern", "HklFamilies"]


class HklFamilies:
    """The reflections of each peak, turned into pymatgen's hkl families on request.

    Args:
        hkl: (M, 3) reflections of one Friedel half-space in pymatgen's order.
        order, lo, hi: peak p holds reflections ``order[lo[p]:hi[p]]`` (from ``group_peaks``).
        hexagonal: name families with four-index Miller-Bravais indices, as pymatgen does for
            hexagonal lattices; otherwise (h, k, l).
    """

    __slots__ = ("hkl", "order", "lo", "hi", "hexagonal")

    def __init__(self, hkl: NDArray, order: NDArray, lo: NDArray, hi: NDArray, hexagonal: bool):
        self.hkl, self.order, self.lo, self.hi, self.hexagonal = hkl, order, lo, hi, hexagonal

    def to_list(self) -> list[list[dict]]:
        """pymatgen's format: per peak, ``[{"hkl": tuple, "multiplicity": int}, ...]``."""
        names, mults, start = hkl_families(self.hkl, self.order, self.lo, self.hi, self.hexagonal)
        if not self.hexagonal:
            names = names[:, (0, 1, 3)]
        flat = [{"hkl": hkl, "multiplicity": m} for hkl, m in zip(map(tuple, names.tolist()), mults.tolist())]
        bounds = start.tolist()
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
