"""Wyckoff-position tables per space group, as arrays, derived once from pyxtal's data.

For every space group (standard ITA setting, conventional cell, the setting spglib
standardises to) the table holds each Wyckoff position's letter, multiplicity, degrees of
freedom and the affine operations that map a general point (x, y, z) to the members of its
orbit: ``ops[k] @ (x, y, z, 1)``. The first operation projects a general point onto the
position, so uniform random (x, y, z) gives uniform free parameters. pyxtal's ``Group`` objects
are only read when a table is first built; generation works on the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["WyckoffTable", "wyckoff_table", "CRYSTAL_SYSTEMS", "crystal_system"]

CRYSTAL_SYSTEMS = ("triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic")
_SYSTEM_BOUNDS = (2, 15, 74, 142, 167, 194, 230)


def crystal_system(space_group: int) -> str:
    """Crystal system of a space group number 1-230."""
    _check_number(space_group)
    for name, last in zip(CRYSTAL_SYSTEMS, _SYSTEM_BOUNDS):
        if space_group <= last:
            return name
    raise AssertionError("unreachable")


def _check_number(space_group) -> None:
    if isinstance(space_group, bool) or not isinstance(space_group, int | np.integer) or not 1 <= space_group <= 230:
        raise InvalidParameterError(f"space group must be an integer 1-230, got {space_group!r}")


@dataclass(frozen=True)
class WyckoffTable:
    """Wyckoff positions of one space group.

    Attributes:
        space_group: number 1-230.
        letters: (W,) Wyckoff letters, general position first (pyxtal's order).
        multiplicities: (W,) orbit sizes in the conventional cell.
        dof: (W,) degrees of freedom (0 for fixed special positions).
        ops: (sum multiplicities, 3, 4) affine operations; position w owns
            ``ops[offsets[w]:offsets[w+1]]``.
        offsets: (W + 1,)
    """

    space_group: int
    letters: tuple[str, ...]
    multiplicities: NDArray[np.int64]
    dof: NDArray[np.int64]
    ops: NDArray[np.float64]
    offsets: NDArray[np.int64]

    @property
    def crystal_system(self) -> str:
        return crystal_system(self.space_group)

    def index(self, letter: str) -> int:
        """Row of a Wyckoff letter."""
        try:
            return self.letters.index(letter)
        except ValueError:
            raise InvalidParameterError(
                f"space group {self.space_group} has no Wyckoff position {letter!r} (has {''.join(self.letters)})"
            ) from None

    def orbit(self, w: int, xyz: NDArray[np.float64]) -> NDArray[np.float64]:
        """Fractional coordinates (m, 3), wrapped to [0, 1), of the orbit of position w through ``xyz``."""
        ops = self.ops[self.offsets[w] : self.offsets[w + 1]]
        coords = ops[:, :, :3] @ xyz + ops[:, :, 3]
        return coords - np.floor(coords)


@lru_cache(maxsize=None)
def wyckoff_table(space_group: int) -> WyckoffTable:
    """The (cached) Wyckoff table of a space group."""
    _check_number(space_group)
    from pyxtal.symmetry import Group  # read once per space group, then never again

    group = Group(int(space_group))
    letters, mults, dofs, ops = [], [], [], []
    for wp in group.Wyckoff_positions:
        letters.append(wp.letter)
        mults.append(wp.multiplicity)
        dofs.append(wp.get_dof())
        ops.extend(op.affine_matrix[:3] for op in wp.ops)
    mults_arr = np.array(mults, dtype=np.int64)
    return WyckoffTable(
        space_group=int(space_group),
        letters=tuple(letters),
        multiplicities=mults_arr,
        dof=np.array(dofs, dtype=np.int64),
        ops=np.ascontiguousarray(ops, dtype=np.float64),
        offsets=np.concatenate(([0], np.cumsum(mults_arr))).astype(np.int64),
    )
