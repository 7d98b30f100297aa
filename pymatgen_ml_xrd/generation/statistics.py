"""GeneratorStatistics: the database statistics that steer synthetic crystals (paper 001, SI S1).

What is fitted, per space group: how often it occurs; how many distinct elements a crystal has;
which elements occur; how many asymmetric-unit sites an element takes ("repetitions"); how
often each Wyckoff position is occupied; pairs (V_atomic, V) of atomic and conventional-cell
volume for a kernel density estimate of the density factor V / V_atomic conditioned on V_atomic. Per crystal system: the
conventional lattice parameters normalised to unit volume, for a kernel density estimate.

Saved as ``NAME.json`` (counts, bandwidths, provenance; human-readable) plus ``NAME.npz``
(lattice and volume samples); no pickle and no scipy objects, so any numpy can read it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.generation.atomic_volumes import MAX_Z, atomic_volumes
from pymatgen_ml_xrd.generation.spglib_dataset import symmetry_dataset
from pymatgen_ml_xrd.generation.wyckoff_tables import CRYSTAL_SYSTEMS, crystal_system

__all__ = ["GeneratorStatistics", "StatisticsFileError", "lattice_vector", "FORMAT_VERSION"]

FORMAT_VERSION = 1
#: structures' worth of pooled estimates added to a thin space group's own counts (group_tables)
POOL_WEIGHT = 10.0
_DEFAULT_NAME = "generator_statistics"

#: free lattice parameters per crystal system (lengths at unit volume, angles in degrees)
LATTICE_PARAMETERS = {
    "triclinic": ("a", "b", "c", "alpha", "beta", "gamma"),
    "monoclinic": ("a", "b", "c", "beta"),
    "orthorhombic": ("a", "b", "c"),
    "tetragonal": ("a", "c"),
    "trigonal": ("a", "c"),
    "hexagonal": ("a", "c"),
    "cubic": ("a",),
}


class StatisticsFileError(InvalidParameterError):
    """A statistics file is missing, damaged, or of another format version."""


def lattice_vector(system: str, parameters: Iterable[float]) -> NDArray[np.float64]:
    """The free parameters of ``system`` from (a, b, c, alpha, beta, gamma), lengths at unit volume."""
    a, b, c, alpha, beta, gamma = parameters
    values = {"a": a, "b": b, "c": c, "alpha": alpha, "beta": beta, "gamma": gamma}
    return np.array([values[k] for k in LATTICE_PARAMETERS[system]], dtype=np.float64)


def _normal_reference_bandwidths(data: NDArray[np.float64]) -> list[float]:
    """statsmodels' normal-reference bandwidths (1.06 sigma n^(-1/(4+d))) of the conditional KDE
    of log(V / V_atomic) given log V_atomic, for (V_atomic, V) pairs ``data``.

    Paper 001 estimates V given V_atomic. Estimating the density factor V / V_atomic in log
    space instead keeps the same information but extrapolates sensibly: a synthetic crystal
    heavier than any real one of its group gets a real density factor (not the volume of a
    smaller crystal, which would press its atoms together), and no draw is negative.
    """
    from statsmodels.nonparametric.kernel_density import KDEMultivariateConditional

    log_a = np.log(data[:, 0])
    log_rho = np.log(data[:, 1]) - log_a
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kde = KDEMultivariateConditional(endog=[log_rho], exog=[log_a], dep_type="c", indep_type="c",
                                         bw="normal_reference")
    bw_rho, bw_a = (float(b) for b in kde.bw)
    return [max(bw_rho, 1e-6), max(bw_a, 1e-6)]


def _stoichiometry(amounts: Iterable[float]) -> str | None:
    """'1:1:3'-style key of a reduced composition, or None for non-integer amounts."""
    values = sorted(amounts)
    if any(abs(v - round(v)) > 1e-6 for v in values):
        return None
    ints = [int(round(v)) for v in values]
    g = math.gcd(*ints)
    return ":".join(str(i // g) for i in ints)


@dataclass
class GeneratorStatistics:
    """Counts and samples that a :class:`SyntheticStructureGenerator` draws from.

    All count tables map a space-group number to ``{value: count}``. Build one with
    :meth:`from_structures` (everything), :meth:`from_formula_index` (composition parts only)
    and :meth:`with_composition_from`; or load the shipped one with :meth:`default`.
    """

    space_group_counts: dict[int, int] = field(default_factory=dict)
    n_elements: dict[int, dict[int, int]] = field(default_factory=dict)
    elements: dict[int, dict[str, int]] = field(default_factory=dict)
    stoichiometries: dict[int, dict[str, int]] = field(default_factory=dict)
    repetitions: dict[int, dict[int, int]] = field(default_factory=dict)
    wyckoff: dict[int, dict[str, int]] = field(default_factory=dict)
    structure_counts: dict[int, int] = field(default_factory=dict)
    lattices: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    volumes: dict[int, NDArray[np.float64]] = field(default_factory=dict)
    volume_bandwidths: dict[int, list[float]] = field(default_factory=dict)
    system_volumes: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    system_volume_bandwidths: dict[str, list[float]] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ fitting
    @classmethod
    def from_structures(cls, structures: Iterable, symprec: float = 0.1, provenance: dict | None = None
                        ) -> GeneratorStatistics:
        """Fit every distribution from pymatgen Structures (ordered ones; others are skipped).

        Space groups, Wyckoff letters and conventional cells come from spglib at ``symprec``
        [angstrom] in the standard setting, the setting the generator's Wyckoff tables use.
        """

        vol = atomic_volumes()
        stats = cls(provenance=dict(provenance or {}))
        lattices: dict[str, list] = defaultdict(list)
        volumes: dict[int, list] = defaultdict(list)
        skipped = Counter()
        for structure in structures:
            if not structure.is_ordered:
                skipped["disordered"] += 1
                continue
            numbers = np.array(structure.atomic_numbers)
            if numbers.max() > MAX_Z:
                skipped["element beyond Cf"] += 1
                continue
            cell = (structure.lattice.matrix, structure.frac_coords, numbers)
            dataset = symmetry_dataset(cell, symprec)
            if dataset is None:
                skipped["no symmetry dataset"] += 1
                continue
            sg = int(dataset.number)
            std_lattice = np.asarray(dataset.std_lattice)
            v_cell = abs(float(np.linalg.det(std_lattice)))
            v_atomic = float(vol[np.asarray(dataset.std_types)].sum())
            lengths = np.linalg.norm(std_lattice, axis=1)
            a, b, c = lengths / v_cell ** (1 / 3)
            alpha = math.degrees(math.acos(np.dot(std_lattice[1], std_lattice[2]) / (lengths[1] * lengths[2])))
            beta = math.degrees(math.acos(np.dot(std_lattice[0], std_lattice[2]) / (lengths[0] * lengths[2])))
            gamma = math.degrees(math.acos(np.dot(std_lattice[0], std_lattice[1]) / (lengths[0] * lengths[1])))
            system = crystal_system(sg)
            lattices[system].append(lattice_vector(system, (a, b, c, alpha, beta, gamma)))
            volumes[sg].append((v_atomic, v_cell))
            unique = sorted(set(int(i) for i in dataset.equivalent_atoms))
            asym = [(int(numbers[i]), dataset.wyckoffs[i]) for i in unique]
            stats._count_composition(sg, {int(z) for z, _ in asym}, structure.composition.reduced_composition)
            reps = Counter(z for z, _ in asym)
            for count in reps.values():
                _bump(stats.repetitions, sg, int(count))
            for _, letter in asym:
                _bump(stats.wyckoff, sg, letter)
            stats.structure_counts[sg] = stats.structure_counts.get(sg, 0) + 1
        stats.lattices = {k: np.array(v) for k, v in lattices.items()}
        stats.volumes = {k: np.array(v) for k, v in volumes.items()}
        stats.volume_bandwidths = {k: _normal_reference_bandwidths(v) for k, v in stats.volumes.items() if len(v) >= 2}
        pooled: dict[str, list] = defaultdict(list)
        for sg, v in stats.volumes.items():
            pooled[crystal_system(sg)].append(v)
        stats.system_volumes = {k: np.concatenate(v) for k, v in pooled.items()}
        stats.system_volume_bandwidths = {
            k: _normal_reference_bandwidths(v) for k, v in stats.system_volumes.items() if len(v) >= 2
        }
        stats.provenance.setdefault("skipped_structures", dict(skipped))
        return stats

    @classmethod
    def from_formula_index(cls, index: Mapping | str | Path, provenance: dict | None = None) -> GeneratorStatistics:
        """Fit the composition parts from a formula + space-group index.

        Args:
            index: ``{chemical system: [[reduced formula, id, space group, e_above_hull], ...]}``
                (the layout of ../shared/data/icsd_index), or the path of such a JSON(.gz) file.
        """
        from pymatgen.core import Composition, Element

        if not isinstance(index, Mapping):
            path = Path(index)
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt") as fh:
                index = json.load(fh)
        stats = cls(provenance=dict(provenance or {}))
        skipped = Counter()
        for entries in index.values():
            for entry in entries:
                formula, sg = entry[0], entry[2]
                if not isinstance(sg, int) or not 1 <= sg <= 230:
                    skipped["bad space group"] += 1
                    continue
                try:
                    comp = Composition(formula)
                except Exception:  # noqa: BLE001 - formulas pymatgen cannot parse are counted and skipped
                    skipped["unparsable formula"] += 1
                    continue
                if not all(type(el) is Element for el in comp.elements):
                    skipped["not an element (D, dummy species)"] += 1
                    continue
                zs = {el.Z for el in comp.elements}
                if not zs or max(zs) > MAX_Z:
                    skipped["element beyond Cf"] += 1
                    continue
                stats._count_composition(sg, zs, comp.reduced_composition)
        stats.provenance.setdefault("skipped_formulas", dict(skipped))
        return stats

    def _count_composition(self, sg: int, zs: set[int], reduced) -> None:
        from pymatgen.core import Element

        self.space_group_counts[sg] = self.space_group_counts.get(sg, 0) + 1
        _bump(self.n_elements, sg, len(zs))
        for z in zs:
            _bump(self.elements, sg, Element.from_Z(z).symbol)
        key = _stoichiometry(reduced.values())
        if key is not None:
            _bump(self.stoichiometries, sg, key)

    def with_composition_from(self, other: GeneratorStatistics) -> GeneratorStatistics:
        """These structural statistics with the composition parts (space-group frequencies,
        element counts, elements, stoichiometries) of ``other``."""
        return GeneratorStatistics(
            space_group_counts=dict(other.space_group_counts),
            n_elements=_copy(other.n_elements),
            elements=_copy(other.elements),
            stoichiometries=_copy(other.stoichiometries),
            repetitions=_copy(self.repetitions),
            wyckoff=_copy(self.wyckoff),
            structure_counts=dict(self.structure_counts),
            lattices=dict(self.lattices),
            volumes=dict(self.volumes),
            volume_bandwidths=dict(self.volume_bandwidths),
            system_volumes=dict(self.system_volumes),
            system_volume_bandwidths=dict(self.system_volume_bandwidths),
            provenance={"structures": self.provenance, "compositions": other.provenance},
        )

    # ------------------------------------------------------------------ queries
    def space_groups(self, min_structures: int = 1, min_compositions: int = 1) -> list[int]:
        """Space groups the generator can draw: with Wyckoff and volume data from at least
        ``min_structures`` structures and composition data from at least ``min_compositions``."""
        out = []
        for sg in sorted(self.space_group_counts):
            if self.space_group_counts[sg] < min_compositions or self.structure_counts.get(sg, 0) < min_structures:
                continue
            if sg in self.wyckoff and sg in self.repetitions and crystal_system(sg) in self.lattices:
                out.append(sg)
        return out

    def group_tables(self, space_group: int, min_structures: int = 10) -> dict:
        """Count tables of one space group for drawing crystals, pooled where its data are thin.

        A group with at least ``min_structures`` structures gets its own tables. A thinner group
        (or one without structures) adds to its own counts ``POOL_WEIGHT`` structures' worth of
        pooled estimates from the well-covered groups of its crystal system:

        - Wyckoff occupations: the mean occupations per structure of positions with the same
          degrees of freedom (a general position is occupied like the system's general
          positions, a fixed point like its fixed points), spread over this group's positions;
        - asymmetric-unit sites per element ("repetitions"): the system's pooled counts.

        Composition parts come from the formula index (every group it has); a group absent
        from the index gets the elements and distinct-element counts pooled over its crystal
        system and a frequency of 1 (so it can be drawn, as rarely as the rarest groups).
        Volumes are pooled by the generator (:attr:`system_volumes`), lattices are per system.

        Returns:
            dict with ``frequency`` (count), ``wyckoff`` ({letter: weight}), ``repetitions``,
            ``n_elements``, ``elements`` (count tables) and ``pooled`` (bool).
        """
        from pymatgen_ml_xrd.generation.wyckoff_tables import wyckoff_table

        table = wyckoff_table(space_group)
        system = crystal_system(space_group)
        own = self.structure_counts.get(space_group, 0)
        wyckoff = {letter: float(self.wyckoff.get(space_group, {}).get(letter, 0)) for letter in table.letters}
        repetitions = {k: float(v) for k, v in self.repetitions.get(space_group, {}).items()}
        n_elements = dict(self.n_elements.get(space_group, {}))
        elements = dict(self.elements.get(space_group, {}))
        frequency = self.space_group_counts.get(space_group, 0)
        pooled = own < min_structures
        if pooled:
            rates, reps = self._pooled_rates(system, min_structures)
            for letter, dof in zip(table.letters, table.dof):
                wyckoff[letter] += POOL_WEIGHT * rates.get(int(dof), 0.0)
            for k, p in reps.items():
                repetitions[k] = repetitions.get(k, 0.0) + POOL_WEIGHT * p
        if frequency == 0 or not elements:
            pooled = True
            frequency = max(frequency, 1)
            for sg, counts in self.elements.items():
                if crystal_system(sg) == system:
                    for k, v in counts.items():
                        elements[k] = elements.get(k, 0) + v
                    for k, v in self.n_elements.get(sg, {}).items():
                        n_elements[k] = n_elements.get(k, 0) + v
        if sum(wyckoff.values()) <= 0 or not repetitions or not elements or not n_elements:
            raise InvalidParameterError(f"the statistics cannot describe space group {space_group}, not even pooled")
        return {"frequency": frequency, "wyckoff": wyckoff, "repetitions": repetitions, "n_elements": n_elements,
                "elements": elements, "pooled": pooled}

    def _pooled_rates(self, system: str, min_structures: int) -> tuple[dict[int, float], dict[int, float]]:
        """Mean occupations per structure of one Wyckoff position by its degrees of freedom, and
        repetition probabilities, over the groups of ``system`` with >= ``min_structures``
        structures (all groups of the system when none has that many)."""
        from pymatgen_ml_xrd.generation.wyckoff_tables import wyckoff_table

        cache = self.__dict__.setdefault("_pool_cache", {})
        key = (system, min_structures)
        if key in cache:
            return cache[key]
        groups = [sg for sg, n in self.structure_counts.items() if crystal_system(sg) == system and n > 0]
        rich = [sg for sg in groups if self.structure_counts[sg] >= min_structures] or groups
        if not rich:  # no structure of this system at all: pool every system
            rich = [sg for sg, n in self.structure_counts.items() if n > 0]
        occupied, positions = Counter(), Counter()
        reps = Counter()
        for sg in rich:
            table = wyckoff_table(sg)
            n = self.structure_counts[sg]
            for letter, dof in zip(table.letters, table.dof):
                occupied[int(dof)] += self.wyckoff.get(sg, {}).get(letter, 0) / n
                positions[int(dof)] += 1
            reps.update(self.repetitions.get(sg, {}))
        rates = {dof: occupied[dof] / positions[dof] for dof in positions}
        total = sum(reps.values())
        result = (rates, {int(k): v / total for k, v in reps.items()})
        cache[key] = result
        return result

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> tuple[Path, Path]:
        """Write ``path.json`` and ``path.npz`` (a suffix on ``path`` is ignored); returns both paths."""
        base = Path(path).with_suffix("")
        arrays = {f"lattice_{k}": v for k, v in self.lattices.items()}
        arrays.update({f"volume_{k}": v for k, v in self.volumes.items()})
        arrays.update({f"system_volume_{k}": v for k, v in self.system_volumes.items()})
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        blob = buffer.getvalue()
        meta = {
            "format": "pymatgen_ml_xrd.GeneratorStatistics",
            "format_version": FORMAT_VERSION,
            "npz_sha256": hashlib.sha256(blob).hexdigest(),
            "provenance": self.provenance,
            "space_group_counts": self.space_group_counts,
            "structure_counts": self.structure_counts,
            "n_elements": self.n_elements,
            "elements": self.elements,
            "stoichiometries": self.stoichiometries,
            "repetitions": self.repetitions,
            "wyckoff": self.wyckoff,
            "volume_kde": "log(V/V_atomic) given log V_atomic; bandwidths [bw_log_density, bw_log_V_atomic]",
            "volume_bandwidths": self.volume_bandwidths,
            "system_volume_bandwidths": self.system_volume_bandwidths,
            "lattice_parameters": {k: LATTICE_PARAMETERS[k] for k in self.lattices},
        }
        base.parent.mkdir(parents=True, exist_ok=True)
        json_path, npz_path = base.with_suffix(".json"), base.with_suffix(".npz")
        json_path.write_text(json.dumps(meta, indent=1, sort_keys=True))
        npz_path.write_bytes(blob)
        return json_path, npz_path

    @classmethod
    def load(cls, path: str | Path) -> GeneratorStatistics:
        """Read statistics written by :meth:`save` (``path`` with or without suffix).

        Raises:
            StatisticsFileError: missing file, damaged JSON or npz (checksum), another format or
                format version, or missing entries.
        """
        base = Path(path).with_suffix("")
        json_path, npz_path = base.with_suffix(".json"), base.with_suffix(".npz")
        from pymatgen_ml_xrd.io.format_files import read_format_json

        meta = read_format_json(json_path, (npz_path,), "pymatgen_ml_xrd.GeneratorStatistics", FORMAT_VERSION,
                                StatisticsFileError, "statistics file")
        blob = npz_path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != meta.get("npz_sha256"):
            raise StatisticsFileError(f"{npz_path} does not match the checksum in {json_path} (damaged or replaced)")
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            stats = cls(
                space_group_counts=_int_keys(meta["space_group_counts"]),
                structure_counts=_int_keys(meta["structure_counts"]),
                n_elements={int(k): _int_keys(v) for k, v in meta["n_elements"].items()},
                elements={int(k): dict(v) for k, v in meta["elements"].items()},
                stoichiometries={int(k): dict(v) for k, v in meta["stoichiometries"].items()},
                repetitions={int(k): _int_keys(v) for k, v in meta["repetitions"].items()},
                wyckoff={int(k): dict(v) for k, v in meta["wyckoff"].items()},
                volume_bandwidths={int(k): list(v) for k, v in meta["volume_bandwidths"].items()},
                system_volume_bandwidths=dict(meta["system_volume_bandwidths"]),
                lattices={k[len("lattice_"):]: v for k, v in arrays.items() if k.startswith("lattice_")},
                volumes={int(k[len("volume_"):]): v for k, v in arrays.items() if k.startswith("volume_")},
                system_volumes={
                    k[len("system_volume_"):]: v for k, v in arrays.items() if k.startswith("system_volume_")
                },
                provenance=meta.get("provenance", {}),
            )
        except (KeyError, ValueError, TypeError, AttributeError) as err:
            raise StatisticsFileError(f"{json_path} is incomplete or malformed: {err!r}") from None
        for system in stats.lattices:
            if system not in CRYSTAL_SYSTEMS:
                raise StatisticsFileError(f"{npz_path} holds lattices of an unknown crystal system {system!r}")
        return stats

    @classmethod
    def default(cls) -> GeneratorStatistics:
        """The statistics shipped with the package (provenance in docs/generation.md)."""
        return cls.load(Path(str(files("pymatgen_ml_xrd") / "data" / _DEFAULT_NAME)))

    def __repr__(self) -> str:
        return (
            f"GeneratorStatistics({len(self.space_group_counts)} space groups with compositions, "
            f"{len(self.structure_counts)} with structures, "
            f"{sum(self.structure_counts.values())} structures, lattices for {sorted(self.lattices)})"
        )


def _bump(table: dict, sg: int, key) -> None:
    inner = table.setdefault(sg, {})
    inner[key] = inner.get(key, 0) + 1


def _copy(table: dict) -> dict:
    return {k: dict(v) for k, v in table.items()}


def _int_keys(d: Mapping) -> dict:
    return {int(k): v for k, v in d.items()}
