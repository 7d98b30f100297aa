"""Plain-array view of a crystal, validated once, for the numba kernels.

Kernels never see a pymatgen object nor unchecked numbers: everything passes through
:class:`CrystalArrays`, whose constructors raise :class:`InvalidStructureError` naming the problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray
from pymatgen.core import IStructure
from pymatgen.core.periodic_table import DummySpecies

from pymatgen_ml_xrd.diffraction.scattering import COEFF_A, COEFF_B, ROW_Z, SYMBOL_TO_ROW, Z_TO_ROW
from pymatgen_ml_xrd.errors import InvalidInputTypeError, InvalidStructureError

__all__ = ["CrystalArrays"]

#: a cell whose volume is below this fraction of |a| |b| |c| is treated as degenerate
MIN_VOLUME_RATIO = 1e-6
_ROW_TO_SYMBOL = {row: sym for sym, row in SYMBOL_TO_ROW.items()}

_OK, _BAD_LATTICE, _FLAT_CELL, _BAD_COORDS, _BAD_OCCUPANCY = range(5)


@njit(cache=True)
def _check_arrays(lattice, frac, occ):
    """Validity code of a cell (0 = fine) and its volume [angstrom^3]; safe on any float input."""
    for i in range(3):
        for j in range(3):
            if not math.isfinite(lattice[i, j]):
                return _BAD_LATTICE, 0.0
    a = lattice
    det = (
        a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
        - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
        + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])
    )
    volume = abs(det)
    lengths = 1.0
    for i in range(3):
        lengths *= math.sqrt(a[i, 0] ** 2 + a[i, 1] ** 2 + a[i, 2] ** 2)
    if not volume > MIN_VOLUME_RATIO * lengths:
        return _FLAT_CELL, volume
    for i in range(frac.shape[0]):
        for j in range(3):
            if not math.isfinite(frac[i, j]):
                return _BAD_COORDS, volume
    for i in range(occ.shape[0]):
        if not (occ[i] > 0.0 and occ[i] <= 1.0 + 1e-6):
            return _BAD_OCCUPANCY, volume
    return _OK, volume


@dataclass(slots=True, eq=False)
class CrystalArrays:
    """A crystal as arrays; one row per (site, species) pair, so a disordered site gives one row
    per species.

    Attributes:
        lattice: (3, 3) real-space lattice, rows a, b, c [angstrom].
        frac_coords: (n_atoms, 3) fractional coordinates.
        occupancies: (n_atoms,) occupancy of each row, in (0, 1].
        atom_element: (n_atoms,) index of each row's element in ``element_rows``.
        element_rows: (n_elements,) rows of the elements in the scattering tables
            (:mod:`.scattering`); ``element_z``, ``coeff_a``, ``coeff_b`` read them.
        element_symbols: symbols of the elements, in that order.
        site_index: (n_atoms,) the structure site each row came from.
        volume: cell volume [angstrom^3].
    """

    lattice: NDArray[np.float64]
    frac_coords: NDArray[np.float64]
    occupancies: NDArray[np.float64]
    atom_element: NDArray[np.int64]
    element_rows: NDArray[np.int64]
    element_symbols: tuple[str, ...]
    site_index: NDArray[np.int64]
    volume: float

    @property
    def n_atoms(self) -> int:
        return self.frac_coords.shape[0]

    @property
    def element_z(self) -> NDArray[np.float64]:
        """(n_elements,) atomic numbers."""
        return ROW_Z[self.element_rows]

    @property
    def coeff_a(self) -> NDArray[np.float64]:
        """(n_elements, 4) form-factor amplitudes a_k (pymatgen's)."""
        return COEFF_A[self.element_rows]

    @property
    def coeff_b(self) -> NDArray[np.float64]:
        """(n_elements, 4) form-factor widths b_k [angstrom^2] (pymatgen's)."""
        return COEFF_B[self.element_rows]

    @classmethod
    def from_structure(cls, structure: IStructure) -> CrystalArrays:
        """Convert a pymatgen Structure, checking everything the kernels rely on.

        Raises:
            TypeError: ``structure`` is not a pymatgen Structure.
            InvalidStructureError: empty structure, non-finite lattice or coordinates, zero-volume
                cell, dummy species or elements without X-ray scattering data, bad occupancies.
        """
        if not isinstance(structure, IStructure):
            raise InvalidInputTypeError(f"expected a pymatgen Structure, got {type(structure).__name__}")
        compositions, coords = _site_contents(structure)
        if not compositions:
            raise InvalidStructureError("the structure is empty: it has no sites to scatter X-rays")
        if max(map(len, compositions)) == 1:  # ordered: one row per site (the common case, lean)
            pairs = [next(iter(c.items())) for c in compositions]
            species = [sp for sp, _ in pairs]
            occus = [o for _, o in pairs]
            site_symbols = [sp.symbol for sp in species]
            local: dict[str, int] = {}
            atom_element = [local.setdefault(s, len(local)) for s in site_symbols]
            _check_species(dict(zip(site_symbols, species)), site_symbols)
            site_index = np.arange(len(compositions), dtype=np.int64)
            frac = np.concatenate(coords).reshape(-1, 3).astype(np.float64, copy=False)
        else:
            rows: list[int] = []
            local = {}
            atom_element = []
            occus = []
            representatives: dict = {}
            row_symbols: list[str] = []
            for i, composition in enumerate(compositions):
                for sp, occu in composition.items():
                    symbol = sp.symbol
                    representatives.setdefault(symbol, sp)
                    row_symbols.append(symbol)
                    atom_element.append(local.setdefault(symbol, len(local)))
                    rows.append(i)
                    occus.append(occu)
            _check_species(representatives, row_symbols, rows)
            site_index = np.array(rows, dtype=np.int64)
            frac = np.concatenate(coords).reshape(-1, 3).astype(np.float64, copy=False)[site_index]
        symbols = tuple(local)
        table_rows = np.array([SYMBOL_TO_ROW[s] for s in symbols], dtype=np.int64)
        return cls._checked(
            np.array(structure.lattice.matrix, dtype=np.float64),
            frac,
            np.array(occus, dtype=np.float64),
            np.array(atom_element, dtype=np.int64),
            table_rows,
            symbols,
            site_index,
        )

    @classmethod
    def from_arrays(
        cls,
        lattice: ArrayLike,
        frac_coords: ArrayLike,
        atomic_numbers: ArrayLike,
        occupancies: ArrayLike | None = None,
    ) -> CrystalArrays:
        """Build from plain arrays (the generator's fast path), with the same checks.

        Args:
            lattice: (3, 3) rows a, b, c [angstrom].
            frac_coords: (n, 3) fractional coordinates.
            atomic_numbers: (n,) integers 1..98.
            occupancies: (n,) in (0, 1]; all ones when omitted.
        """
        lat = np.ascontiguousarray(lattice, dtype=np.float64)
        if lat.shape != (3, 3):
            raise InvalidStructureError(f"lattice must have shape (3, 3), got {lat.shape}")
        frac = np.ascontiguousarray(frac_coords, dtype=np.float64)
        if frac.ndim != 2 or frac.shape[1] != 3 or frac.shape[0] == 0:
            raise InvalidStructureError(f"frac_coords must have shape (n>0, 3), got {frac.shape}")
        z = np.asarray(atomic_numbers)
        if z.shape != (frac.shape[0],) or z.dtype.kind not in "iu":
            raise InvalidStructureError(
                f"atomic_numbers must be {frac.shape[0]} integers, got shape {z.shape} of {z.dtype}"
            )
        lo, hi = int(z.min()), int(z.max())
        if lo < 1 or hi >= len(Z_TO_ROW) or (Z_TO_ROW[z] < 0).any():
            raise InvalidStructureError(f"atomic numbers must lie in 1..{len(Z_TO_ROW) - 1}, got {lo}..{hi}")
        occ = np.ones(frac.shape[0]) if occupancies is None else np.asarray(occupancies, dtype=np.float64)
        if occ.shape != (frac.shape[0],):
            raise InvalidStructureError(f"occupancies must have shape ({frac.shape[0]},), got {occ.shape}")
        # np.unique(z, return_inverse=True) by counting (atomic numbers are small integers): 5x faster
        z = z.astype(np.int64, copy=False)
        uniq = np.flatnonzero(np.bincount(z, minlength=hi + 1))
        lookup = np.empty(hi + 1, dtype=np.int64)
        lookup[uniq] = np.arange(len(uniq))
        atom_element = lookup[z]
        table_rows = Z_TO_ROW[uniq]
        symbols = tuple(_ROW_TO_SYMBOL[r] for r in table_rows.tolist())
        return cls._checked(lat, frac, occ, atom_element.astype(np.int64), table_rows, symbols, np.arange(len(z)))

    @classmethod
    def _checked(cls, lattice, frac, occ, atom_element, table_rows, symbols, site_index) -> CrystalArrays:
        code, volume = _check_arrays(lattice, frac, occ)
        if code == _BAD_LATTICE:
            raise InvalidStructureError("the lattice has non-finite (NaN or inf) entries")
        if code == _FLAT_CELL:
            lengths = np.round(np.linalg.norm(lattice, axis=1), 4).tolist()
            raise InvalidStructureError(
                f"the lattice has (near) zero volume ({volume:.3g} A^3 for axes of {lengths} A)"
            )
        if code == _BAD_COORDS:
            bad = np.flatnonzero(~np.isfinite(frac).all(axis=1))
            raise InvalidStructureError(
                f"non-finite (NaN or inf) fractional coordinates on sites {site_index[bad][:10].tolist()}"
            )
        if code == _BAD_OCCUPANCY:
            raise InvalidStructureError("site occupancies must be finite and lie in (0, 1]")
        return cls(
            lattice=lattice,
            frac_coords=frac,
            occupancies=occ,
            atom_element=atom_element,
            element_rows=table_rows,
            element_symbols=symbols,
            site_index=site_index,
            volume=volume,
        )


def _check_species(representatives: dict, row_symbols: list[str], rows: list[int] | None = None) -> None:
    """Raise InvalidStructureError naming the first site whose species cannot scatter X-rays.

    Args:
        representatives: {symbol: one species object of that symbol}.
        row_symbols: the symbol of each row; rows: the site of each row (None: row = site).
    """
    for symbol, sp in representatives.items():
        if symbol not in SYMBOL_TO_ROW or isinstance(sp, DummySpecies):
            first = row_symbols.index(symbol)
            site = first if rows is None else rows[first]
            raise InvalidStructureError(
                f"site {site} holds {sp!s}, which has no X-ray scattering factor "
                "(dummy species and elements beyond Cf cannot be simulated)"
            )


def _site_contents(structure: IStructure) -> tuple[list, list]:
    """Per site, its {species: occupancy} mapping and its fractional coordinates.

    Reads pymatgen's site internals (``_species._data``, ``_frac_coords``): the public
    ``site.species.items()`` goes through ``Composition.__getitem__`` for every entry and costs
    3x more, which at the median structure was a tenth of a whole ``get_pattern``. Falls back to
    the public API if a pymatgen version lacks them.
    """
    sites = structure.sites
    try:
        return [site._species._data for site in sites], [site._frac_coords for site in sites]
    except AttributeError:
        return [dict(site.species.items()) for site in sites], [site.frac_coords for site in sites]
