"""Free atomic coordinates and site scattering powers of a reference, and the intensities they give.

A prototype's atoms sit where the prototype's chemistry put them; a scan of another compound of
the type has the same Wyckoff positions with other free coordinates (the octahedral tilts of a
perovskite, the anion position of a spinel). Refining them is what makes a type's intensities
match a compound it was not drawn from.

The free coordinates of each orbit come from the site-symmetry group of its first atom: the
mean of the rotations that leave the atom in place projects onto the displacements the site
allows (its Wyckoff position's free parameters); the symmetry operation that maps the first
atom onto each other one carries the displacement over, so the structure keeps its space group
for every value. Operations are spglib's (symprec 0.1 angstrom, as the references' symmetry).

Each orbit's scattering power (its form factors times a refined factor, the strongest orbit's
kept at 1) stands in for the chemistry: a member of a type carries a formula of other elements
than the scan's compound (a sulfide's anions scatter twice an oxide's), and on a measured scan a
site's real occupancy is rarely the prototype's.

The structure factors are pymatgen's (``XRDCalculator``: Cromer-Mann-type form factors, no
anomalous dispersion, one Friedel half-space doubled) over every reflection of each of the
reference's peaks, so the intensities of the unmoved structure are the reference's peak table.

Why written here: spglib gives the operations, not the free parameters of a cell as it is
(pyxtal's Wyckoff objects do, in their own standard settings, which the references' pymatgen
cells need not be in); and a refinement evaluates the structure factors hundreds of times for
one fixed set of reflections, where building a Structure and calling the calculator each time
would enumerate the reflections again on every call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pymatgen.core import Element, Structure

__all__ = ["CoordinateModel", "coordinate_model", "symmetry_modes", "MAX_PARAMETERS"]

#: references with more structure parameters (free coordinates and site factors) than this keep
#: their atoms: a low-symmetry cell with many of them fits misfit, not a structure (a cryolite
#: distractor, 16 of them, took the place of MgO, Rh and BiRh3 on the measured Rh3Bi scan of
#: benchmarks/bench_phases.py; a GdFeO3-type perovskite has 10)
MAX_PARAMETERS = 12
#: the most (reflections x atoms) one evaluation of the structure factors may cost
MAX_TERMS = 400_000
SYMPREC = 0.1  # [angstrom], as :func:`~pymatgen_ml_xrd.phases.references.reference_phase`
TWO_THETA_TOL = 1e-4  # [deg] a reflection belongs to the table's peak this close


@dataclass(frozen=True)
class CoordinateModel:
    """The intensities of a reference's peaks as a function of its free coordinates.

    Attributes:
        positions: (n_atoms, 3) fractional coordinates of the reference.
        modes: (n_atoms, 3, n_free) fractional displacement of each atom per unit of each free
            coordinate (a unit is one fractional cell length along an orthonormal basis of the
            site's allowed displacements).
        hkl: (n_terms, 3) reflections of one Friedel half-space; peak: (n_terms,) index of the
            table peak each belongs to; n_peaks: the table's length.
        scattering: (n_terms, n_atoms) form factor times occupancy of each atom at each reflection.
        site: (n_atoms,) the structure's site of each atom (a disordered site has one atom per
            species).
        orbit: (n_atoms,) index of each atom's orbit (its Wyckoff site) among those whose
            scattering power is refined (-1: the reference orbit, the strongest scatterer, kept
            as it is: the phase's scale factor carries the overall level).
    """

    positions: NDArray[np.float64]
    modes: NDArray[np.float64]
    hkl: NDArray[np.float64]
    peak: NDArray[np.int64]
    n_peaks: int
    scattering: NDArray[np.float64]
    site: NDArray[np.int64]
    orbit: NDArray[np.int64]

    @property
    def n_free(self) -> int:
        """Free atomic coordinates."""
        return int(self.modes.shape[2])

    @property
    def n_site_factors(self) -> int:
        """Orbits whose scattering factor is refined (all but the reference orbit)."""
        return int(self.orbit.max()) + 1 if len(self.orbit) else 0

    @property
    def n_parameters(self) -> int:
        """Length of the parameter vector: the free coordinates, then the log scattering factors."""
        return self.n_free + self.n_site_factors

    def moved(self, parameters: NDArray) -> NDArray[np.float64]:
        """(n_atoms, 3) fractional coordinates for ``parameters`` (its first ``n_free`` entries)."""
        delta = np.asarray(parameters, dtype=np.float64)[: self.n_free]
        return self.positions + np.einsum("ajk,k->aj", self.modes, delta)

    def site_coordinates(self, parameters: NDArray) -> NDArray[np.float64]:
        """(number of the structure's sites, 3) their fractional coordinates for ``parameters``."""
        first = np.unique(self.site, return_index=True)[1]
        return self.moved(parameters)[first]

    def site_factors(self, parameters: NDArray) -> NDArray[np.float64]:
        """(n_atoms,) factor on each atom's scattering: exp of its orbit's entry of ``parameters``
        (after the coordinates), 1 for the reference orbit."""
        logs = np.concatenate([np.asarray(parameters, dtype=np.float64)[self.n_free:], [0.0]])
        return np.exp(logs[self.orbit])

    def f2m(self, parameters: NDArray) -> NDArray[np.float64]:
        """(n_peaks,) |F|^2 times multiplicity of each table peak (its ``f2m``) at ``parameters``
        (:attr:`n_parameters`: free coordinates, then log scattering factors per orbit)."""
        phase = (2.0 * math.pi) * (self.hkl @ self.moved(parameters).T)
        scattering = self.scattering * self.site_factors(parameters)
        re = np.einsum("ta,ta->t", scattering, np.cos(phase))
        im = np.einsum("ta,ta->t", scattering, np.sin(phase))
        return np.bincount(self.peak, weights=2.0 * (re * re + im * im), minlength=self.n_peaks)


def symmetry_modes(structure: Structure, symprec: float = SYMPREC) -> tuple[NDArray, NDArray] | None:
    """((n_atoms, 3, n_free) symmetry-allowed displacement modes of ``structure``'s sites (see
    the module docstring), (n_atoms,) the first atom of each one's orbit), or None when spglib
    finds no symmetry operations for it."""
    import spglib

    lattice = structure.lattice.matrix
    positions = np.asarray(structure.frac_coords, dtype=np.float64)
    kinds: dict = {}
    numbers = [kinds.setdefault(tuple(sorted((str(k), round(v, 6)) for k, v in site.species.items())), len(kinds) + 1)
               for site in structure]  # fmt: skip
    try:
        sym = spglib.get_symmetry((lattice, positions, numbers), symprec=symprec)
    except Exception:  # noqa: BLE001 - spglib raises or returns None on odd cells
        sym = None
    if not sym:
        return None
    rotations = np.asarray(sym["rotations"], dtype=np.float64)
    translations = np.asarray(sym["translations"], dtype=np.float64)
    orbits = np.asarray(sym["equivalent_atoms"])

    def close(a, b):  # (n_ops, 3) images against one position, modulo lattice translations
        diff = a - b
        diff -= np.round(diff)
        return np.linalg.norm(diff @ lattice, axis=-1) < symprec

    n_free = 0
    blocks: dict[int, tuple[int, NDArray]] = {}
    for first in np.unique(orbits):
        images = rotations @ positions[first] + translations
        stabiliser = close(images, positions[first])
        projector = rotations[stabiliser].mean(axis=0)
        u, s, _ = np.linalg.svd(projector)
        basis = u[:, s > 1e-6]
        blocks[int(first)] = (n_free, basis)
        n_free += basis.shape[1]
    modes = np.zeros((len(structure), 3, n_free))
    for atom in range(len(structure)):
        first = int(orbits[atom])
        start, basis = blocks[first]
        if basis.shape[1] == 0:
            continue
        images = rotations @ positions[first] + translations
        hits = np.flatnonzero(close(images, positions[atom]))
        if len(hits) == 0:
            return None  # spglib's orbit without an operation onto the atom: no consistent modes
        modes[atom, :, start:start + basis.shape[1]] = rotations[hits[0]] @ basis
    return modes, orbits


def coordinate_model(structure: Structure, d: NDArray, wavelength: float) -> CoordinateModel | None:
    """The :class:`CoordinateModel` of ``structure`` for the table peaks of d-spacings ``d``
    [angstrom] at ``wavelength`` [angstrom], or None when the structure has no structure
    parameter (free coordinate or second orbit), more than ``MAX_PARAMETERS``, anisotropic displacement parameters (pymatgen's U*, not
    modelled here), no symmetry operations or too many reflections x atoms (``MAX_TERMS``)."""
    from pymatgen.analysis.diffraction.xrd import ATOMIC_SCATTERING_PARAMS

    d = np.asarray(d, dtype=np.float64)
    if len(d) == 0 or any(k in structure.site_properties for k in ("U11", "U22", "U33", "U12", "U13", "U23")):
        return None
    symmetry = symmetry_modes(structure)
    if symmetry is None:
        return None
    modes, orbits = symmetry
    n_parameters = modes.shape[2] + len(np.unique(orbits)) - 1
    if n_parameters == 0 or n_parameters > MAX_PARAMETERS:
        return None
    # atoms: one entry per (site, species) with its occupancy
    atom_site, symbols, occupancy = [], [], []
    for i, site in enumerate(structure):
        for sp, occu in site.species.items():
            atom_site.append(i)
            symbols.append(sp.symbol)
            occupancy.append(float(occu))
    if any(s not in ATOMIC_SCATTERING_PARAMS for s in symbols):
        return None
    d_min = float(d.min()) * (1.0 - 1e-6)
    abc = np.array(structure.lattice.abc)
    h_max = np.ceil(abc / d_min).astype(int)
    if np.prod(2.0 * h_max + 1) > 20 * MAX_TERMS:  # the index box alone would be too large
        return None
    grids = np.meshgrid(*(np.arange(-m, m + 1) for m in h_max), indexing="ij")
    hkl = np.stack([g.ravel() for g in grids], axis=1)
    h, k, ell = hkl.T
    hkl = hkl[(h > 0) | ((h == 0) & (k > 0)) | ((h == 0) & (k == 0) & (ell > 0))]  # one Friedel half-space
    g = np.linalg.norm(hkl @ structure.lattice.reciprocal_lattice_crystallographic.matrix, axis=1)
    hkl, g = hkl[g <= 1.0 / d_min], g[g <= 1.0 / d_min]
    if len(hkl) * len(atom_site) > MAX_TERMS:
        return None
    # each reflection to the table peak nearest in 2-theta (pymatgen merges peaks within 1e-5 deg)
    table_tt = 2.0 * np.degrees(np.arcsin(np.clip(wavelength / (2.0 * d), 0.0, 1.0)))
    tt = 2.0 * np.degrees(np.arcsin(np.clip(wavelength * g / 2.0, 0.0, 1.0)))
    order = np.argsort(table_tt)
    ranked = table_tt[order]
    right = np.clip(np.searchsorted(ranked, tt), 0, len(d) - 1)
    left = np.clip(right - 1, 0, len(d) - 1)
    peak = order[np.where(np.abs(ranked[left] - tt) < np.abs(ranked[right] - tt), left, right)]
    keep = np.abs(table_tt[peak] - tt) < TWO_THETA_TOL
    hkl, g, peak = hkl[keep], g[keep], peak[keep]
    s2 = (g / 2.0) ** 2
    scattering = np.empty((len(hkl), len(atom_site)))
    for j, (symbol, occu) in enumerate(zip(symbols, occupancy)):
        coeff = np.asarray(ATOMIC_SCATTERING_PARAMS[symbol], dtype=np.float64)
        z = Element(symbol).Z
        fs = z - 41.78214 * s2 * np.sum(coeff[:, 0] * np.exp(-coeff[:, 1] * s2[:, None]), axis=1)
        scattering[:, j] = fs * occu
    # the orbit scattering most (its electrons in the cell) keeps its factor 1; the others are numbered
    site_orbit = orbits[atom_site]
    power = {o: float(np.sum(scattering[0, site_orbit == o])) for o in np.unique(site_orbit)}
    reference = max(power, key=power.get)
    numbers = {o: i for i, o in enumerate(o for o in sorted(power) if o != reference)}
    orbit = np.array([numbers.get(o, -1) for o in site_orbit], dtype=np.int64)
    return CoordinateModel(positions=np.asarray(structure.frac_coords, dtype=np.float64)[atom_site],
                           modes=modes[atom_site], hkl=hkl.astype(np.float64), peak=peak.astype(np.int64),
                           n_peaks=len(d), scattering=scattering, site=np.asarray(atom_site, dtype=np.int64),
                           orbit=orbit)  # fmt: skip
