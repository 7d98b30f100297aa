"""Synthetic members of a structure type (paper 003, "Dataset of Simulated XRD Patterns").

From a member structure of the type, :class:`VariantMaker` makes new members that keep the
type key (space group, Wyckoff letters, anonymized formula):

- element substitution: the elements of a real formula with the same space group and
  anonymized formula (the ICSD formula index), matched to the sites by stoichiometry and, among
  elements of equal amount, by electronegativity; the cell volume follows the sum of atomic
  volumes (the generator's table);
- lattice strain: the conventional standard cell's axis lengths scaled by factors drawn in
  [-strain, +strain], tied as the crystal system requires (a = b = c cubic; a = b tetragonal,
  trigonal, hexagonal), angles kept;
- coordinate jitter: each symmetry-distinct site moved by a random displacement (standard
  deviation ``jitter`` angstrom) projected onto its site symmetry's invariant subspace (the mean
  over the site-symmetry operations), then carried to the rest of its orbit by the operations
  of the space group, so the Wyckoff positions are kept.

Every variant is checked with spglib (its type key must equal the original's); failures are
redrawn, and after ``max_attempts`` the unsubstituted, unjittered original comes back.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from pymatgen.core import Composition, Element, Lattice, Structure

from pymatgen_ml_xrd.generation.atomic_volumes import atomic_volumes
from pymatgen_ml_xrd.generation.spglib_dataset import symmetry_dataset
from pymatgen_ml_xrd.generation.wyckoff_tables import crystal_system
from pymatgen_ml_xrd.identification.type_keys import split_key, structure_type_key

__all__ = ["VariantMaker", "formulas_by_type"]


def formulas_by_type(index_path: str | Path) -> dict[tuple[int, str], list[str]]:
    """{(space group, anonymized formula): reduced formulas} of the ICSD formula index
    (``{chemical system: [[formula, id, space group, e_hull], ...]}``); formulas with elements
    pymatgen does not know are left out."""
    with gzip.open(index_path, "rt") as fh:
        index = json.load(fh)
    out: dict[tuple[int, str], set[str]] = defaultdict(set)
    for entries in index.values():
        for formula, _id, group, *_ in entries:
            try:
                comp = Composition(formula)
                if any(not isinstance(el, Element) or el.Z > 94 for el in comp.elements):
                    continue
                out[(int(group), comp.anonymized_formula)].add(comp.reduced_formula)
            except Exception:  # noqa: BLE001 - malformed formula strings in the index are skipped
                continue
    return {k: sorted(v) for k, v in out.items()}


def _element_order(comp: Composition) -> list[Element]:
    """Elements by amount in the reduced formula, then electronegativity (the site matching order)."""
    import warnings

    reduced = comp.reduced_composition
    with warnings.catch_warnings():  # noble gases have no Pauling electronegativity: NaN, ordered last
        warnings.simplefilter("ignore", UserWarning)
        return sorted(reduced.elements, key=lambda el: (reduced[el], el.X if el.X == el.X else 4.0, el.Z))


class VariantMaker:
    """Make synthetic members of a structure type from one member.

    Args:
        formulas: {(space group, anonymized formula): formulas} for substitution (see
            :func:`formulas_by_type`); None or a missing entry: no substitution.
        strain: largest relative change of an axis length.
        jitter: standard deviation of the site displacements [angstrom].
        substitution_rate: share of variants with substituted elements.
        symprec: spglib tolerance of the type-key check.
        max_attempts: redraws before the original is returned.
    """

    def __init__(self, formulas: dict | None = None, strain: float = 0.03, jitter: float = 0.05,
                 substitution_rate: float = 0.7, symprec: float = 0.1, max_attempts: int = 10) -> None:
        self.formulas = formulas or {}
        self.strain = float(strain)
        self.jitter = float(jitter)
        self.substitution_rate = float(substitution_rate)
        self.symprec = float(symprec)
        self.max_attempts = int(max_attempts)
        self._volumes = atomic_volumes()

    def variants(self, structure: Structure, n: int, rng: np.random.Generator, key: str | None = None) -> list[Structure]:
        """``n`` variants of ``structure`` (its type key is computed when not given)."""
        from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

        key = key or structure_type_key(structure, self.symprec)
        conventional = SpacegroupAnalyzer(structure, symprec=self.symprec).get_conventional_standard_structure()
        group, _, anonymized = split_key(key)
        candidates = self.formulas.get((group, anonymized), [])
        out = []
        for _ in range(n):
            for _attempt in range(self.max_attempts):
                s = conventional
                if candidates and rng.random() < self.substitution_rate:
                    s = self._substitute(s, candidates[rng.integers(len(candidates))])
                s = self._jitter(self._strain(s, group, rng), rng)
                try:
                    if structure_type_key(s, self.symprec) == key:
                        break
                except Exception:  # noqa: BLE001 - a variant spglib cannot read is redrawn
                    pass
            else:
                s = conventional
            out.append(s)
        return out

    # ------------------------------------------------------------------ the three changes
    def _substitute(self, s: Structure, formula: str) -> Structure:
        old, new = _element_order(s.composition), _element_order(Composition(formula))
        if len(old) != len(new):
            return s
        mapping = dict(zip(old, new))
        out = s.copy()
        out.replace_species(mapping)
        v_old = sum(self._volumes[site.specie.Z] for site in s)
        v_new = sum(self._volumes[site.specie.Z] for site in out)
        out.scale_lattice(s.volume * v_new / v_old)
        return out

    def _strain(self, s: Structure, group: int, rng: np.random.Generator) -> Structure:
        a, b, c, alpha, beta, gamma = s.lattice.parameters
        e = 1.0 + rng.uniform(-self.strain, self.strain, size=3)
        system = crystal_system(group)
        if system == "cubic":
            e[:] = e[0]
        elif system in ("tetragonal", "trigonal", "hexagonal"):
            e[1] = e[0]
        lattice = Lattice.from_parameters(a * e[0], b * e[1], c * e[2], alpha, beta, gamma)
        return Structure(lattice, s.species, s.frac_coords)

    def _jitter(self, s: Structure, rng: np.random.Generator) -> Structure:
        if self.jitter <= 0:
            return s
        numbers = [site.specie.Z for site in s]
        ds = symmetry_dataset((s.lattice.matrix, s.frac_coords, numbers), self.symprec)
        if ds is None:
            return s
        rotations, translations = np.asarray(ds.rotations), np.asarray(ds.translations)
        frac = s.frac_coords.copy()
        inverse = np.linalg.inv(s.lattice.matrix)
        equivalent = np.asarray(ds.equivalent_atoms)
        new = frac.copy()
        for rep in np.unique(equivalent):
            images = (rotations @ frac[rep] + translations)  # (ops, 3)
            fixed = _same_point(images, frac[rep])
            d = rng.normal(scale=self.jitter, size=3) @ inverse  # cartesian -> fractional
            d = np.mean(rotations[fixed] @ d, axis=0)  # the part the site symmetry allows
            for j in np.flatnonzero(equivalent == rep):
                op = int(np.argmax(_same_point(images, frac[j])))
                new[j] = frac[j] + rotations[op] @ d
        return Structure(s.lattice, s.species, new % 1.0)


def _same_point(points: np.ndarray, target: np.ndarray, tol: float = 1e-3) -> np.ndarray:
    """Which fractional ``points`` (n, 3) coincide with ``target`` modulo lattice translations."""
    diff = points - target
    diff -= np.round(diff)
    return np.abs(diff).max(axis=1) < tol
