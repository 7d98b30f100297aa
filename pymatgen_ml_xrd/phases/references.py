"""Reference phases for search-match: structures in their conventional cells, with their peaks.

A :class:`ReferencePhase` holds one candidate phase: its name, its conventional standard
structure (spglib, symprec 0.1), the crystal system that constrains the lattice refinement,
the cell's mass and volume (weight fractions, Hill & Howard 1987) and, per wavelength and
angular range, its reflections as arrays (:class:`PeakTable`): d-spacing, one (h, k, l) of
each reflection family and the intensity without the Lorentz-polarisation factor, all from
the package's pymatgen-exact :class:`~pymatgen_ml_xrd.XRDCalculator`. Strained lattices and
other wavelengths then only move peaks and change the LP factor, both array operations.

:class:`ReferenceLibrary` builds the references from what a user passes: ``"default"`` (the
structure-type catalogue: prototypes and members of every type, plugins included), a dict of
name -> Structure, a list of Structures, or a folder of CIF files. References that cannot be
used (unparseable CIF, no reflections) are skipped and reported by name in ``skipped``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pymatgen.core import IStructure, Structure

from pymatgen_ml_xrd.errors import InvalidInputTypeError, InvalidParameterError

__all__ = ["LATTICE_FREE", "PeakTable", "ReferenceLibrary", "ReferencePhase", "catalogue_prototypes",
           "lorentz_polarisation"]

#: free lattice parameters (indices into a, b, c, alpha, beta, gamma) and ties per crystal system
LATTICE_FREE = {
    "cubic": ((0,), {1: 0, 2: 0}),
    "tetragonal": ((0, 2), {1: 0}),
    "hexagonal": ((0, 2), {1: 0}),
    "trigonal": ((0, 2), {1: 0}),
    "orthorhombic": ((0, 1, 2), {}),
    "monoclinic": ((0, 1, 2, 4), {}),
    "triclinic": ((0, 1, 2, 3, 4, 5), {}),
}


def lorentz_polarisation(two_theta: NDArray) -> NDArray[np.float64]:
    """pymatgen's Lorentz-polarisation factor (1 + cos^2 2theta) / (sin^2 theta cos theta)."""
    theta = np.radians(np.asarray(two_theta, dtype=np.float64) / 2.0)
    return (1.0 + np.cos(2.0 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))


@dataclass(frozen=True)
class PeakTable:
    """Reflections of a reference at one wavelength: arrays of equal length, by 2-theta.

    Attributes:
        d: d-spacings [angstrom] of the unstrained cell. hkl: (n, 3) one Miller index of each
        family (of the conventional cell). f2m: intensity / LP (|F|^2 times multiplicity,
        pymatgen's unscaled intensity without the Lorentz-polarisation factor).
    """

    d: NDArray[np.float64]
    hkl: NDArray[np.int64]
    f2m: NDArray[np.float64]


@dataclass
class ReferencePhase:
    """One candidate phase.

    Attributes:
        name: unique name (e.g. "NaCl (Fm-3m)" or the key of the user's dict).
        structure: the conventional standard cell.
        crystal_system: "cubic" ... "triclinic" (spglib, symprec 0.1), constraining the lattice.
        space_group: international number. source: where it came from (plugin, file, "user").
        structure_type: the structure type it belongs to, when it came from the catalogue.
    """

    name: str
    structure: Structure
    crystal_system: str
    space_group: int
    source: str = "user"
    structure_type: str | None = None
    _peaks: dict = field(default_factory=dict, repr=False)

    @property
    def lattice_parameters(self) -> NDArray[np.float64]:
        """(a, b, c [angstrom], alpha, beta, gamma [deg]) of the conventional cell."""
        return np.array(self.structure.lattice.parameters, dtype=np.float64)

    @property
    def cell_mass(self) -> float:
        """Mass of the cell contents [amu] (ZM of Hill & Howard)."""
        return float(self.structure.composition.weight)

    @property
    def volume(self) -> float:
        """Cell volume [angstrom^3]."""
        return float(self.structure.volume)

    def families(self, wavelength: float, d_min: float) -> NDArray[np.int64]:
        """(n_reflections, m, 3) Miller indices of every member of each reflection's family in
        :meth:`peaks` (the point group applied to its representative; rows padded with zeros
        where a family has fewer than m members), for texture that weighs members apart."""
        key = ("families", round(float(wavelength), 6), round(float(d_min), 4))
        if key not in self._peaks:
            table = self.peaks(wavelength, d_min)
            rotations = _point_group_rotations(self.structure)
            members = [np.unique(np.rint(h @ rotations).astype(np.int64), axis=0) for h in table.hkl]
            m = max((len(f) for f in members), default=1)
            out = np.zeros((len(members), m, 3), dtype=np.int64)
            for i, f in enumerate(members):
                out[i, : len(f)] = f
            self._peaks[key] = out
        return self._peaks[key]

    def coordinates(self, wavelength: float, d_min: float):
        """The :class:`~pymatgen_ml_xrd.phases.coordinates.CoordinateModel` of :meth:`peaks`
        (its intensities as a function of the free atomic coordinates), or None when it has none
        to refine (cached)."""
        from pymatgen_ml_xrd.phases.coordinates import coordinate_model

        key = ("coordinates", round(float(wavelength), 6), round(float(d_min), 4))
        if key not in self._peaks:
            self._peaks[key] = coordinate_model(self.structure, self.peaks(wavelength, d_min).d, float(wavelength))
        return self._peaks[key]

    def peaks(self, wavelength: float, d_min: float) -> PeakTable:
        """Reflections with d >= ``d_min`` [angstrom] at ``wavelength`` [angstrom] (cached)."""
        key = (round(float(wavelength), 6), round(float(d_min), 4))
        if key not in self._peaks:
            self._peaks[key] = _peak_table(self.structure, float(wavelength), float(d_min))
        return self._peaks[key]


def _peak_table(structure: Structure, wavelength: float, d_min: float) -> PeakTable:
    from pymatgen_ml_xrd.diffraction import XRDCalculator

    tt_max = 2.0 * math.degrees(math.asin(min(wavelength / (2.0 * d_min), 1.0)))
    pattern = XRDCalculator(wavelength).get_pattern(structure, scaled=False, two_theta_range=(0.0, min(tt_max, 179.9)))
    x, y = np.asarray(pattern.x, dtype=np.float64), np.asarray(pattern.y, dtype=np.float64)
    hkl = np.array([_three_index(families[0]["hkl"]) for families in pattern.hkls], dtype=np.int64).reshape(-1, 3)
    return PeakTable(d=np.asarray(pattern.d_hkls, dtype=np.float64), hkl=hkl, f2m=y / lorentz_polarisation(x))


def _point_group_rotations(structure: Structure) -> NDArray[np.float64]:
    """(n, 3, 3) rotations of the point group in the cell's fractional basis (spglib through
    pymatgen, symprec 0.1); Miller indices (rows) transform as h -> h R. The identity alone when
    spglib finds nothing."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    try:
        ops = SpacegroupAnalyzer(structure, symprec=0.1).get_symmetry_operations(cartesian=False)
        rotations = np.unique(np.rint([op.rotation_matrix for op in ops]).astype(np.int64), axis=0)
    except Exception:  # noqa: BLE001 - spglib gives up on some cells: each reflection is its own family
        rotations = np.eye(3, dtype=np.int64)[None]
    return rotations.astype(np.float64)


def _three_index(hkl) -> tuple[int, int, int]:
    """(h, k, l) of pymatgen's (h, k, i, l) hexagonal Miller-Bravais index, or the index itself."""
    hkl = tuple(int(v) for v in hkl)
    return (hkl[0], hkl[1], hkl[3]) if len(hkl) == 4 else hkl


def reference_phase(name: str, structure: Structure, source: str = "user",
                    structure_type: str | None = None) -> ReferencePhase:
    """A :class:`ReferencePhase` of ``structure`` in its conventional standard cell.

    Raises:
        InvalidParameterError: an ordered-site problem, no symmetry or an empty structure (named).
    """
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    if not isinstance(structure, IStructure):
        raise InvalidInputTypeError(f"reference {name!r} is a {type(structure).__name__}, not a pymatgen Structure")
    if len(structure) == 0:
        raise InvalidParameterError(f"reference {name!r} has no sites")
    try:
        analyzer = SpacegroupAnalyzer(structure, symprec=0.1)
        conventional = analyzer.get_conventional_standard_structure()
        system, group = analyzer.get_crystal_system(), analyzer.get_space_group_number()
    except Exception:  # noqa: BLE001 - spglib gives up on some disordered or odd cells: keep the cell as it is
        conventional, system, group = Structure.from_sites(structure), "triclinic", 1
    return ReferencePhase(name=str(name), structure=Structure.from_sites(conventional), crystal_system=system,
                          space_group=int(group), source=source, structure_type=structure_type)  # fmt: skip


class ReferenceLibrary:
    """The candidate phases of a search; see the module docstring.

    Args:
        references: "default", {name: Structure}, [Structure], or a folder of ``*.cif`` files.

    Attributes:
        phases: the usable references. skipped: {name or file: reason} of those left out.
    """

    def __init__(self, references="default") -> None:
        self.skipped: dict[str, str] = {}
        self.phases: list[ReferencePhase] = []
        items = self._items(references)
        seen: set[str] = set()
        for name, structure, source, type_name in items:
            if name in seen:
                self.skipped[name] = "the name is already taken by an earlier reference"
                continue
            try:
                self.phases.append(reference_phase(name, structure, source, type_name))
                seen.add(name)
            except (InvalidParameterError, InvalidInputTypeError, ValueError) as err:
                self.skipped[name] = str(err)
        if self.skipped:
            listed = "; ".join(f"{k}: {v}" for k, v in list(self.skipped.items())[:5])
            warnings.warn(f"{len(self.skipped)} reference(s) skipped ({listed}{' ...' if len(self.skipped) > 5 else ''})",
                          stacklevel=2)  # fmt: skip
        if not self.phases:
            raise InvalidParameterError(f"no usable reference phases in {_describe(references)}"
                                        + (f" (skipped: {self.skipped})" if self.skipped else ""))  # fmt: skip

    def __len__(self) -> int:
        return len(self.phases)

    def __iter__(self):
        return iter(self.phases)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.phases]

    def _items(self, references) -> list[tuple[str, Structure, str, str | None]]:
        if isinstance(references, str) and references == "default":
            return _catalogue_items()
        if isinstance(references, (str, Path)):
            return self._folder_items(Path(references))
        if isinstance(references, dict):
            if not references:
                raise InvalidParameterError("the reference dict is empty")
            return [(str(k), v, "user", None) for k, v in references.items()]
        if isinstance(references, (list, tuple)):
            if not references:
                raise InvalidParameterError("the reference list is empty")
            out = []
            for i, s in enumerate(references):
                if not isinstance(s, IStructure):
                    raise InvalidInputTypeError(f"reference {i} is a {type(s).__name__}, not a pymatgen Structure")
                out.append((_default_name(s, i), s, "user", None))
            return out
        raise InvalidInputTypeError(f"references must be 'default', a dict of Structures, a list of Structures or a "
                                    f"folder of CIF files, got {type(references).__name__}")  # fmt: skip

    def _folder_items(self, folder: Path) -> list:
        if not folder.is_dir():
            raise InvalidParameterError(f"references {str(folder)!r} is not 'default' and not a folder of CIF files")
        files = sorted(folder.glob("*.cif"))
        if not files:
            raise InvalidParameterError(f"the reference folder {folder} holds no .cif files")
        out = []
        for path in files:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    structure = Structure.from_file(path)
            except Exception as err:  # noqa: BLE001 - any parse failure skips that file, named
                self.skipped[path.name] = f"could not be read as a structure: {str(err)[:160]}"
                continue
            out.append((path.stem, structure, str(path), None))
        return out


def _default_name(structure: Structure, i: int) -> str:
    return f"{structure.composition.reduced_formula} #{i}"


def _describe(references) -> str:
    if isinstance(references, (str, Path)):
        return repr(str(references))
    return f"the given {type(references).__name__}"


def _catalogue_items() -> list:
    """Every prototype (members included) of the structure types of the shipped catalogue and of
    installed plugins, named "TYPE [FORMULA]"; a type that is another under a second name
    (``default_plugin.equivalent_types``) is reported under that one."""
    from pymatgen_ml_xrd.identification.default_plugin import equivalent_types
    from pymatgen_ml_xrd.identification.plugins import all_structure_types

    aliases = equivalent_types()
    out, taken = [], set()
    for record in all_structure_types():
        for j, cif in enumerate(record.prototypes):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    structure = Structure.from_str(cif, fmt="cif")
            except Exception:  # noqa: BLE001 - a broken prototype of a plugin is skipped below, named
                structure = None
            name = f"{record.name} [{structure.composition.reduced_formula if structure else j}]"
            if name in taken:  # two prototypes of one type with the same formula: both are kept
                name = f"{name[:-1]} #{j + 1}]"
            taken.add(name)
            out.append((name, structure, record.source, aliases.get(record.name, record.name)))
    return out


def catalogue_prototypes(library: ReferenceLibrary, type_names) -> dict[str, list[ReferencePhase]]:
    """{type name: the library's references of that structure-type record} for a library built
    from "default": the references :func:`_catalogue_items` named "TYPE [FORMULA]", by the name the
    type was registered under (before ``equivalent_types`` merges two names)."""
    return {name: [p for p in library.phases if p.name.startswith(f"{name} [")] for name in type_names}

