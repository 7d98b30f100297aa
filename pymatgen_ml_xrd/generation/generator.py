"""SyntheticStructureGenerator: random crystals on Wyckoff positions (paper 001, section 2.1, SI S1).

Per crystal: a space group from the database frequencies; a number of distinct elements and
the elements (per space group); for each element a number of asymmetric-unit sites and for each
site a Wyckoff position by its occupation probability, never twice the same position without
free parameters; uniform free coordinates; lattice parameters from a kernel density estimate
of the crystal system at unit volume; the cell volume as the summed atomic volume times a
density factor from a kernel density estimate conditioned on that atomic volume. The space
group is re-checked (moyopy, refusing cells with overlapping atoms:
:mod:`.symmetry_check`); on a mismatch the crystal is redrawn with the same number of
elements, and after 20 failures with a new number of elements (the paper's rule). Cells of 7,000 A^3 or more, or with 100 or more
atoms in the asymmetric unit, are redrawn too.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pymatgen.core import Element, Lattice, Structure

from pymatgen_ml_xrd.diffraction.crystal_arrays import CrystalArrays
from pymatgen_ml_xrd.errors import InvalidInputTypeError, InvalidParameterError, PymatgenMLXRDError
from pymatgen_ml_xrd.generation.atomic_volumes import atomic_volumes
from pymatgen_ml_xrd.generation.statistics import LATTICE_PARAMETERS, GeneratorStatistics
from pymatgen_ml_xrd.generation.symmetry_check import space_group_number
from pymatgen_ml_xrd.generation.wyckoff_tables import crystal_system, wyckoff_table

__all__ = ["SyntheticStructureGenerator", "SyntheticCrystal", "GenerationError"]

#: the generator's space-group coverages
COVERAGES = ("data", "all")
_RETRIES_PER_ELEMENT_COUNT = 20
_MAX_ATTEMPTS = 400


class GenerationError(PymatgenMLXRDError, RuntimeError):
    """No valid crystal of a space group could be drawn within the attempt budget."""


@dataclass(frozen=True)
class SyntheticCrystal:
    """A generated crystal as arrays (the fast path: no pymatgen objects).

    Attributes:
        lattice: (3, 3) conventional cell, rows a, b, c [angstrom].
        frac_coords: (n, 3) fractional coordinates.
        atomic_numbers: (n,) int.
        space_group: the intended space group, verified by a symmetry search (moyopy).
        wyckoff_letters: letter of each asymmetric-unit site, in placement order.
    """

    lattice: NDArray[np.float64]
    frac_coords: NDArray[np.float64]
    atomic_numbers: NDArray[np.int64]
    space_group: int
    wyckoff_letters: tuple[str, ...]

    def to_crystal_arrays(self) -> CrystalArrays:
        """Validated arrays for :class:`~pymatgen_ml_xrd.XRDCalculator` (no Structure is built)."""
        return CrystalArrays.from_arrays(self.lattice, self.frac_coords, self.atomic_numbers)

    def to_structure(self) -> Structure:
        """pymatgen Structure with ``properties["space_group"]`` and ``properties["wyckoff_letters"]``."""
        return Structure(
            Lattice(self.lattice), self.atomic_numbers.tolist(), self.frac_coords,
            properties={"space_group": self.space_group, "wyckoff_letters": list(self.wyckoff_letters)},
        )  # fmt: skip


class _Categorical:
    """Values and probabilities of a count table."""

    __slots__ = ("values", "p", "cdf")

    def __init__(self, counts: dict):
        self.values = list(counts)
        total = float(sum(counts.values()))
        self.p = np.array([counts[v] / total for v in self.values])
        self.cdf = _cdf(self.p)

    def draw(self, rng: np.random.Generator):
        """One value, as ``values[rng.choice(len(p), p=p)]`` draws it."""
        return self.values[_draw(rng, self.cdf)]


def _cdf(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """The cumulative distribution numpy's ``Generator.choice`` builds from ``p``."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf


def _draw(rng: np.random.Generator, cdf: NDArray[np.float64]) -> int:
    """``rng.choice(len(p), p=p)`` for ``cdf = _cdf(p)``: the same index from the same one double.

    ``Generator.choice`` re-validates ``p`` and rebuilds the cdf on every call (~15 us); the
    generator draws a dozen times per crystal from fixed tables.
    """
    return int(cdf.searchsorted(rng.random(), side="right"))


class SyntheticStructureGenerator:
    """Random crystals that follow database statistics, space group verified (moyopy; see :mod:`.symmetry_check`).

    Args:
        statistics: fitted :class:`GeneratorStatistics` (default: the shipped ones).
        space_groups: restrict to these space groups (default: every group the statistics cover
            with at least ``min_structures`` structures).
        seed: int, numpy SeedSequence or Generator; the same seed gives the same crystals.
        min_structures: structures a space group needs in the statistics to be generated.
        symprec: tolerance [angstrom] of the space-group check (moyopy's and spglib's meaning).
        max_volume: conventional cells at or above this volume [angstrom^3] are redrawn.
        max_asymmetric_atoms: crystals with this many or more asymmetric-unit sites are redrawn.
        coverage: "data" (groups with at least ``min_structures`` structures, each drawn from
            its own statistics) or "all" (all 230 groups; those with fewer structures drawn from
            pooled estimates of their crystal system, :meth:`GeneratorStatistics.group_tables`).
    """

    def __init__(
        self,
        statistics: GeneratorStatistics | None = None,
        space_groups: list[int] | None = None,
        seed: int | np.random.SeedSequence | np.random.Generator | None = None,
        min_structures: int = 10,
        symprec: float = 0.01,
        max_volume: float = 7000.0,
        max_asymmetric_atoms: int = 100,
        coverage: str = "data",
    ) -> None:
        self.statistics = statistics if statistics is not None else GeneratorStatistics.default()
        if not isinstance(self.statistics, GeneratorStatistics):
            raise InvalidInputTypeError(f"statistics must be GeneratorStatistics, got {type(self.statistics).__name__}")
        if coverage not in COVERAGES:
            raise InvalidParameterError(f"coverage must be one of {COVERAGES}, got {coverage!r}")
        self.coverage = coverage
        if coverage == "all":
            available = list(range(1, 231))
        else:
            available = self.statistics.space_groups(min_structures=min_structures)
        if not available:
            raise InvalidParameterError(f"the statistics cover no space group with >= {min_structures} structures")
        if space_groups is None:
            chosen = available
        else:
            chosen = []
            for sg in space_groups:
                crystal_system(sg)  # validates the number
                if sg not in available:
                    raise InvalidParameterError(
                        f"space group {sg} is not covered by the statistics (with >= {min_structures} "
                        f"structures); covered: {available}"
                    )
                chosen.append(int(sg))
        self.space_groups = sorted(set(chosen))
        self.min_structures = min_structures
        # spglib segfaults on a negative or NaN tolerance and searches forever at 0; moyopy is
        # given the same range
        if isinstance(symprec, bool) or not isinstance(symprec, int | float) or not 1e-5 <= symprec <= 1.0:
            raise InvalidParameterError(f"symprec must be a tolerance in [1e-5, 1] angstrom, got {symprec!r}")
        self.symprec = float(symprec)
        self.max_volume = max_volume
        self.max_asymmetric_atoms = max_asymmetric_atoms
        self._seed_sequence = seed if isinstance(seed, np.random.SeedSequence) else None
        if isinstance(seed, np.random.Generator):
            self.rng = seed
        else:
            if self._seed_sequence is None:
                self._seed_sequence = np.random.SeedSequence(seed)
            self.rng = np.random.default_rng(self._seed_sequence)
        self._volumes = atomic_volumes()
        frequency = self.statistics.space_group_counts  # a group absent from the index counts 1 ("all")
        self._sg = _Categorical({sg: max(frequency.get(sg, 0), 1) for sg in self.space_groups})
        self._per_sg: dict[int, dict] = {}
        self._lattice_samplers: dict[str, tuple] = {}
        #: attempts and failed attempts per crystal system since construction
        self.attempts: Counter = Counter()
        self.failures: Counter = Counter()

    # ------------------------------------------------------------------ public API
    def generate(self, n: int, space_group: int | None = None) -> list[Structure]:
        """``n`` crystals as pymatgen Structures, each with ``properties["space_group"]``."""
        return [c.to_structure() for c in self.generate_arrays(n, space_group)]

    def generate_arrays(self, n: int, space_group: int | None = None) -> list[SyntheticCrystal]:
        """``n`` crystals as arrays (the training stream's fast path)."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise InvalidParameterError(f"n must be a non-negative integer, got {n!r}")
        if space_group is not None:
            crystal_system(space_group)
            if space_group not in self.space_groups:
                raise InvalidParameterError(
                    f"space group {space_group} is not among this generator's groups {self.space_groups}"
                )
        out = []
        for _ in range(n):
            sg = space_group if space_group is not None else self._sg.draw(self.rng)
            out.append(self._crystal(int(sg)))
        return out

    def spawn(self, n: int) -> list[SyntheticStructureGenerator]:
        """``n`` generators with independent random streams derived from this one's seed."""
        if self._seed_sequence is None:
            children = [np.random.SeedSequence(self.rng.integers(2**63)) for _ in range(n)]
        else:
            children = self._seed_sequence.spawn(n)
        return [
            SyntheticStructureGenerator(
                self.statistics, self.space_groups, seed=child, min_structures=self.min_structures,
                symprec=self.symprec, max_volume=self.max_volume, max_asymmetric_atoms=self.max_asymmetric_atoms,
                coverage=self.coverage,
            )
            for child in children
        ]  # fmt: skip

    # ------------------------------------------------------------------ one crystal
    def _crystal(self, sg: int) -> SyntheticCrystal:
        tables = self._tables(sg)
        system = crystal_system(sg)
        for attempt in range(_MAX_ATTEMPTS):
            if attempt % _RETRIES_PER_ELEMENT_COUNT == 0:
                n_el = tables["n_elements"].draw(self.rng)
            self.attempts[system] += 1
            crystal = self._attempt(sg, n_el, tables)
            if crystal is not None:
                return crystal
            self.failures[system] += 1
        raise GenerationError(f"space group {sg}: no valid crystal in {_MAX_ATTEMPTS} attempts")

    def _attempt(self, sg: int, n_el: int, tables: dict) -> SyntheticCrystal | None:
        rng = self.rng
        table = tables["wyckoff_table"]
        el_z, el_p = tables["element_z"], tables["element_p"]
        if n_el > np.count_nonzero(el_p):
            return None
        zs = rng.choice(el_z, size=n_el, replace=False, p=el_p)
        wp_p = tables["wyckoff_p"].copy()
        reps = tables["repetitions"]
        sites: list[tuple[int, int]] = []
        for z in zs:
            for _ in range(reps.draw(rng)):
                total = wp_p.sum()
                if total <= 0:
                    return None
                w = _draw(rng, _cdf(wp_p / total))
                if table.dof[w] == 0:
                    wp_p[w] = 0.0  # a fixed position holds one atom
                sites.append((int(z), w))
        if len(sites) >= self.max_asymmetric_atoms:
            return None
        coords, numbers = [], []
        for z, w in sites:
            orbit = table.orbit(w, rng.random(3))
            coords.append(orbit)
            numbers.append(np.full(len(orbit), z, dtype=np.int64))
        frac = np.concatenate(coords)
        atomic_numbers = np.concatenate(numbers)
        volume = self._volume(sg, float(self._volumes[atomic_numbers].sum()), tables)
        if volume >= self.max_volume:
            return None
        lattice = self._unit_lattice(crystal_system(sg)) * volume ** (1 / 3)
        if space_group_number(lattice, frac, atomic_numbers, self.symprec) != sg:
            return None
        return SyntheticCrystal(lattice, frac, atomic_numbers, sg, tuple(table.letters[w] for _, w in sites))

    def warm_up(self) -> SyntheticStructureGenerator:
        """Build the per-space-group tables now (otherwise built on first use); returns self."""
        for sg in self.space_groups:
            self._tables(sg)
        for system in {crystal_system(sg) for sg in self.space_groups}:
            self._unit_lattice(system)
        return self

    # ------------------------------------------------------------------ samplers
    def _tables(self, sg: int) -> dict:
        tables = self._per_sg.get(sg)
        if tables is not None:
            return tables
        stats = self.statistics
        table = wyckoff_table(sg)
        counts = self._group_tables(sg)
        wp_counts = np.array([counts["wyckoff"].get(letter, 0) for letter in table.letters], dtype=np.float64)
        elements = _Categorical(counts["elements"])
        volumes = stats.volumes.get(sg)
        if volumes is not None and len(volumes) >= self.min_structures and sg in stats.volume_bandwidths:
            volume_data, bandwidths = volumes, stats.volume_bandwidths[sg]
        else:  # too few cells of this group for its own estimate: pool the crystal system
            system = crystal_system(sg)
            volume_data, bandwidths = stats.system_volumes[system], stats.system_volume_bandwidths[system]
        tables = {
            "wyckoff_table": table,
            "wyckoff_p": wp_counts / wp_counts.sum(),
            "n_elements": _Categorical(counts["n_elements"]),
            "repetitions": _Categorical(counts["repetitions"]),
            "element_z": np.array([Element(s).Z for s in elements.values], dtype=np.int64),
            "element_p": elements.p,
            "log_volume_data": (
                np.log(volume_data[:, 0]), np.log(volume_data[:, 1]) - np.log(volume_data[:, 0])
            ),
            "volume_bw": bandwidths,
        }
        self._per_sg[sg] = tables
        return tables

    def _group_tables(self, sg: int) -> dict:
        """The statistics' count tables of ``sg``: its own ("data"), pooled where thin ("all")."""
        if self.coverage == "all":
            return self.statistics.group_tables(sg, self.min_structures)
        stats = self.statistics
        return {"frequency": stats.space_group_counts[sg], "wyckoff": stats.wyckoff[sg],
                "repetitions": stats.repetitions[sg], "n_elements": stats.n_elements[sg],
                "elements": stats.elements[sg], "pooled": False}

    def _volume(self, sg: int, v_atomic: float, tables: dict) -> float:
        """Cell volume [angstrom^3]: V_atomic times a density factor V / V_atomic drawn from the
        KDE of log(V / V_atomic) conditioned on log V_atomic."""
        log_a, log_rho = tables["log_volume_data"]
        bw_rho, bw_a = tables["volume_bw"]
        log_w = -0.5 * ((math.log(v_atomic) - log_a) / bw_a) ** 2
        w = np.exp(log_w - log_w.max())
        i = _draw(self.rng, _cdf(w / w.sum()))
        return v_atomic * math.exp(log_rho[i] + bw_rho * self.rng.standard_normal())

    def _unit_lattice(self, system: str) -> NDArray[np.float64]:
        """Lattice matrix of unit volume from the crystal system's KDE (Scott's rule bandwidth)."""
        sampler = self._lattice_samplers.get(system)
        if sampler is None:
            data = np.asarray(self.statistics.lattices[system], dtype=np.float64)
            if data.shape[1] == 0 or len(data) < 2:
                chol = np.zeros((data.shape[1], data.shape[1]))
            else:
                factor = len(data) ** (-1.0 / (data.shape[1] + 4))  # Scott's rule, as scipy's gaussian_kde
                cov = np.atleast_2d(np.cov(data.T)) * factor**2
                chol = np.linalg.cholesky(cov + 1e-12 * np.eye(len(cov)))
            sampler = self._lattice_samplers[system] = (data, chol)
        data, chol = sampler
        names = LATTICE_PARAMETERS[system]
        for _ in range(100):
            v = data[self.rng.integers(len(data))] + chol @ self.rng.standard_normal(len(names))
            p = dict(zip(names, v))
            a = p["a"]
            b = p.get("b", a)
            c = p.get("c", a)
            alpha = p.get("alpha", 90.0)
            beta = p.get("beta", 90.0)
            gamma = p.get("gamma", 120.0 if system in ("trigonal", "hexagonal") else 90.0)
            if min(a, b, c) <= 0 or not all(0 < t < 180 for t in (alpha, beta, gamma)):
                continue
            matrix = Lattice.from_parameters(a, b, c, alpha, beta, gamma).matrix
            det = np.linalg.det(matrix)
            if not math.isfinite(det) or det <= 1e-3 * a * b * c:
                continue
            return matrix / det ** (1 / 3)
        raise GenerationError(f"could not draw a valid {system} lattice from the statistics")
