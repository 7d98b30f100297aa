"""PhaseIdentifier: search-match and whole-pattern refinement of reference phases against a scan.

Every answer is checked against the data: a phase is reported only when the fit of its
simulated pattern explains the scan better (by the Bayesian information criterion) than the
fit without it.

1. The scan goes onto a uniform grid (at most ``max_points`` points); its background is
   estimated by SNIP for screening only, and its peak width is measured.
2. Screening (:mod:`.screening`): every reference with its lattice scaled isotropically over
   ``lattice_scales`` against the background-free scan less ``SCREEN_NOISE`` noise levels (or,
   for later phases, against what the fit so far leaves unexplained); the best
   ``n_candidates`` go on.
3. Refinement (:mod:`.refinement`): each candidate is refined together with the phases found so
   far - scale, lattice under its crystal system's constraints, zero shift, sample displacement,
   Caglioti widths, pseudo-Voigt mixing and a Chebyshev background - briefly (8 evaluations),
   the ``FINALISTS`` best (of distinct structure types) fully, for the first phase also with a
   preferred orientation (``texture="auto"``); the best full fit (the most symmetric of those within
   ``SYMMETRY_TOLERANCE`` of the best R_wp, then the smallest primitive cell; for the first phase
   each finalist is also refined with its free atomic coordinates, site scattering powers and
   overall displacement B, :mod:`.coordinates`) is kept
   if its BIC drops by more than ``bic_margin``, its R_wp by at least ``min_rwp_gain`` (relative)
   and its weight fraction is at least ``min_weight_fraction``. This repeats up to ``max_phases``.
4. Weight fractions come from the scale factors (Hill & Howard 1987: w ~ S Z M V).

The wavelength is the pattern's (a Diffractogram states it), or the ``wavelength`` argument,
which wins when given. Laboratory K-alpha scans get the K-alpha2 line (``kalpha2="auto"``).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pymatgen.core import Lattice, Structure

from pymatgen_ml_xrd.errors import InvalidInputTypeError, InvalidParameterError, NoCandidatesError
from pymatgen_ml_xrd.phases.references import PeakTable, ReferenceLibrary, ReferencePhase
from pymatgen_ml_xrd.phases.refinement import (
    LATTICE_RANGE,
    PhaseState,
    RefinementResult,
    refine,
    texture_start,
)
from pymatgen_ml_xrd.phases.screening import screen_scores

__all__ = ["IdentifiedPhase", "PhaseIdentification", "PhaseIdentifier", "emission_lines"]

# Composition-guided candidates have lattices estimated from atomic volumes (errors of several
# per cent in length, more in the axial ratios): their isotropic scale range, and the axial
# stretches screened per crystal system (factors on a, b, c).
GUIDED_SCALES = (0.82, 1.22)
# Members of the default types (identification.type_members) have lattices estimated from atomic
# volumes on a prototype of other chemistry: the isotropic scales they are screened over.
MEMBER_SCALES = (0.90, 1.10)
# Cubic members have one length: they are also screened with their cell scaled by these factors
# (each over MEMBER_SCALES), since an atomic-volume estimate misses ionic and covalent cells by
# more than 10 % (KCl on the NaCl prototype: 6.29 A measured).
CUBIC_MEMBER_FACTORS = (0.85, 1.15)
FINALISTS = 3  # candidates refined fully for every phase added
FINALISTS_PER_TYPE = 1  # ... of which at most this many of one structure type
SYMMETRY_TOLERANCE = 0.05  # fits this close in R_wp (relative) are told apart by symmetry
PER_TYPE = 3  # most screened candidates of one structure type (references without a type: no limit)
# A phase added whose refined cell is within this share (lengths; angles within 1 deg) of a found
# phase of the same space group only reshapes that phase's peaks: it is not taken as a phase.
SHADOW_TOLERANCE = 0.02
# A phase added must be evidenced by peaks of its own: at most this share of its intensity may lie
# where the phases found so far exceed OVERLAP_LEVEL of their maximum (otherwise it only soaks up
# their misfit). Chosen on the measured scans of benchmarks/bench_phases.py, conservatively: it
# removes 5 of the 14 false phases there and none of the 31 true ones (docs/phases.md).
MAX_OVERLAP = 0.6
OVERLAP_LEVEL = 0.05
SCREEN_NOISE = 2.0  # noise levels taken off the screened scan (:func:`_screening_target`)
AXIAL_STEP = 0.04  # step of the axial stretches screened
#: plane normals tried for a finalist's preferred orientation (``texture="auto"``), per crystal
#: system of its conventional cell: the cube's faces, edges' diagonals and body diagonal; the
#: unique axis and the two in-plane ones; the three axes
TEXTURE_DIRECTIONS = {
    "cubic": ((0, 0, 1), (1, 1, 0), (1, 1, 1)),
    **{system: ((0, 0, 1), (1, 0, 0), (1, 1, 0)) for system in ("tetragonal", "hexagonal", "trigonal")},
    **{system: ((1, 0, 0), (0, 1, 0), (0, 0, 1)) for system in ("orthorhombic", "monoclinic", "triclinic")},
}
#: March-Dollase r tried before refining it: plates (r < 1) and needles (r > 1) of both strengths
TEXTURE_R_STARTS = (0.5, 0.7, 1.5, 2.0)
COORDINATE_NFEV = 40  # evaluations (per parameter) of the refinement with free atomic coordinates


def axial_factors(crystal_system: str, strain: float, one_axis: bool = False) -> tuple[tuple[float, float, float], ...]:
    """The (a, b, c) factors screened besides the cell as it is: the free axes of the crystal
    system (c; b and c below tetragonal, relative to a) stretched by the multiples of
    ``AXIAL_STEP`` up to +-``strain`` (a fraction); the isotropic scale covers the rest. Below
    tetragonal, every (b, c) pair, or with ``one_axis`` one axis at a time (b, c, or a against
    both, which the isotropic scale turns into a alone): 3 n instead of (n + 1)^2 - 1 entries."""
    n = int(round(strain / AXIAL_STEP + 1e-9))
    axis = [1.0 + AXIAL_STEP * i for i in range(-n, n + 1)]
    if crystal_system in ("tetragonal", "hexagonal", "trigonal"):
        return tuple((1.0, 1.0, c) for c in axis if c != 1.0)
    if crystal_system in ("orthorhombic", "monoclinic", "triclinic"):
        if one_axis:
            return tuple(f for v in axis if v != 1.0 for f in ((1.0, v, 1.0), (1.0, 1.0, v), (1.0, v, v)))
        return tuple((1.0, b, c) for b in axis for c in axis if (b, c) != (1.0, 1.0))
    return ()


# Composition-guided candidates and members are screened with their free axes stretched by
# +-4 % (their axial ratios are those of a prototype of other chemistry).
ESTIMATE_STRAIN = 0.04
# Library references, by default, by up to +-8 %: DFT-relaxed cells (Materials Project, PBE) are
# off by that much along weakly bound axes (alpha-V2O5 mp-25279: its interlayer axis 9 % long).
LIBRARY_STRAIN = 0.08
MAX_AXIAL_STRAIN = 0.2  # the most ``axial_strain`` may ask for


def emission_lines(wavelength: float, kalpha2: bool | str = "auto") -> tuple[tuple[float, float], ...]:
    """((wavelength [angstrom], relative intensity), ...) of a scan: K-alpha1 and K-alpha2 (ratio
    1/2) when ``kalpha2`` is True, or "auto" and ``wavelength`` is a named K-alpha1 or K-alpha
    line of pymatgen's table (laboratory tubes); else the single line."""
    from pymatgen_ml_xrd.diffraction.wavelengths import KALPHA2_TO_KALPHA1_RATIO, WAVELENGTHS, kalpha_doublet

    if kalpha2 not in (True, False, "auto"):
        raise InvalidParameterError(f"kalpha2 must be True, False or 'auto', got {kalpha2!r}")
    lam = float(wavelength)
    for name, value in WAVELENGTHS.items():
        if name.endswith(("Ka", "Ka1")) and abs(value - lam) < 2e-4:
            if kalpha2 is False:
                return ((lam, 1.0),)
            ka1, ka2 = kalpha_doublet(name)
            return ((ka1, 1.0), (ka2, KALPHA2_TO_KALPHA1_RATIO))
    if kalpha2 is True:
        raise InvalidParameterError(f"kalpha2=True needs a named K-alpha wavelength; {lam} A is not one")
    return ((lam, 1.0),)


@dataclass
class IdentifiedPhase:
    """A phase found in a scan.

    Attributes:
        name: the reference's name. structure_type: its type when it came from the catalogue.
        structure: the reference with its refined lattice (fractional coordinates unchanged).
        lattice: refined (a, b, c [angstrom], alpha, beta, gamma [deg]).
        weight_fraction: Hill-Howard weight fraction among the phases found (no amorphous part).
        scale: scale factor of the phase's unscaled intensities. u, w: Caglioti U, W [deg^2];
        eta: Lorentzian fraction. lattice_change: refined / reference - 1 per parameter.
        texture_r: refined March-Dollase r (1: no texture refined or none found).
        texture_direction: the plane normal (h, k, l) of that preferred orientation (None: a
            random powder was fitted).
        free_coordinates: how many free atomic coordinates were refined (0: the reference's
            atoms as they are); ``structure`` has them.
        site_factors: per site of ``structure``, the refined factor on its scattering power
            (1: as its species scatter; another value says the site holds other elements or
            another occupancy than the reference's).
        b_iso: refined overall isotropic displacement B [angstrom^2] (0: not refined).
        space_group: the reference's space-group number (1-230), which the refinement keeps
            (lattice, coordinates and site factors move within it).
    """

    name: str
    structure_type: str | None
    structure: Structure
    lattice: tuple[float, ...]
    weight_fraction: float
    scale: float
    u: float
    w: float
    eta: float
    lattice_change: tuple[float, ...]
    texture_r: float = 1.0
    texture_direction: tuple[float, float, float] | None = None
    free_coordinates: int = 0
    site_factors: tuple[float, ...] = ()
    b_iso: float = 0.0
    space_group: int = 0

    def as_dict(self) -> dict:
        return {"name": self.name, "structure_type": self.structure_type, "lattice": list(self.lattice),
                "weight_fraction": self.weight_fraction, "scale": self.scale, "u": self.u, "w": self.w,
                "eta": self.eta, "lattice_change": list(self.lattice_change), "texture_r": self.texture_r,
                "texture_direction": None if self.texture_direction is None else list(self.texture_direction),
                "free_coordinates": self.free_coordinates, "site_factors": list(self.site_factors),
                "b_iso": self.b_iso, "space_group": self.space_group,
                "formula": self.structure.composition.reduced_formula}  # fmt: skip


@dataclass
class PhaseIdentification:
    """The result of :meth:`PhaseIdentifier.identify`.

    Attributes:
        phases: :class:`IdentifiedPhase` list, largest weight fraction first (empty: nothing fits).
        rwp, gof: of the final fit (R_wp of the background alone when no phase was found).
        zero: zero-point error [deg]; displacement: sample displacement [mm].
        two_theta, observed, calculated, background: (n,) arrays of the fit [deg, counts].
        components: {phase name: (n,) scaled pattern}. wavelength [angstrom] and lines used.
        candidates: the screening's best (name, score, lattice scale) for the first phase.
        seconds: time spent.
    """

    phases: list[IdentifiedPhase]
    rwp: float
    gof: float
    zero: float
    displacement: float
    two_theta: NDArray[np.float64]
    observed: NDArray[np.float64]
    calculated: NDArray[np.float64]
    background: NDArray[np.float64]
    components: dict[str, NDArray[np.float64]]
    wavelength: float
    lines: tuple
    candidates: list[tuple[str, float, float]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.phases]

    def as_dict(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {"phases": [p.as_dict() for p in self.phases], "rwp": self.rwp, "gof": self.gof, "zero": self.zero,
                "displacement": self.displacement, "wavelength": self.wavelength,
                "lines": [list(line) for line in self.lines],
                "candidates": [{"name": n, "score": s, "lattice_scale": k} for n, s, k in self.candidates],
                "seconds": self.seconds}  # fmt: skip

    def plot(self, path: str | Path | None = None, title: str | None = None):
        """Scan, fit, residual and tick marks per phase; writes a PNG when ``path`` is given and
        returns the matplotlib figure."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, (ax, rx) = plt.subplots(2, 1, figsize=(10, 5.2), sharex=True, gridspec_kw={"height_ratios": [4, 1]})
        x = self.two_theta
        top = float(self.observed.max()) or 1.0
        ax.plot(x, self.observed / top, color="black", lw=0.7, label="measured")
        ax.plot(x, self.calculated / top, color="C3", lw=0.8, label=f"fit (Rwp {self.rwp:.3f})")
        ax.plot(x, self.background / top, color="grey", lw=0.6, ls="--", label="background")
        for k, phase in enumerate(self.phases):
            table = _tick_positions(phase, self.lines[0][0], x)
            ax.vlines(table, -0.04 - 0.05 * k, -0.01 - 0.05 * k, color=f"C{k}", lw=0.7,
                      label=f"{phase.name} ({phase.weight_fraction:.0%})")  # fmt: skip
        ax.set_ylim(-0.06 - 0.05 * len(self.phases), 1.08)
        ax.set_ylabel("I / Imax")
        ax.legend(fontsize=7, loc="upper right")
        if title:
            ax.set_title(title, fontsize=9, loc="left")
        rx.plot(x, (self.observed - self.calculated) / top, color="C0", lw=0.6)
        rx.axhline(0, color="grey", lw=0.5)
        rx.set_ylabel("obs - calc")
        rx.set_xlabel(f"2θ (°), λ = {self.wavelength:.5f} Å")
        fig.tight_layout()
        if path is not None:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


def _tick_positions(phase: IdentifiedPhase, wavelength: float, x: NDArray) -> NDArray:
    from pymatgen_ml_xrd.diffraction import XRDCalculator

    peaks = XRDCalculator(wavelength).get_pattern(phase.structure, two_theta_range=(float(x[0]), float(x[-1])))
    return np.asarray(peaks.x)


class PhaseIdentifier:
    """Find the phases of a measured scan among reference structures; see the module docstring.

    Not a scikit-learn estimator (nothing is fitted): the reference library is built once, in
    ``__init__`` (seconds for the catalogue or a thousand references), and reused by every scan.

    Args:
        references: "default" (the structure-type catalogue with plugins), {name: Structure},
            [Structure], or a folder of CIF files (unreadable files are skipped and named in
            ``skipped_``).
        max_phases: the most phases :meth:`identify` reports.
        kalpha2: "auto" (lab K-alpha scans get the doublet), True or False.
        lattice_scales: (min, max, step) of the isotropic lattice scale screened.
        n_candidates: screened candidates refined for every phase added.
        bic_margin: how much a new phase must lower the BIC to be kept.
        min_rwp_gain: ... and the relative drop of R_wp it must bring (measured scans are never
            fitted perfectly, so the BIC alone would let a spurious phase soak up misfit).
        min_weight_fraction: smaller phases are not reported.
        background_degree: Chebyshev degree of the refined background.
        max_points: the scan is put on a uniform grid of at most this many points.
        d_max: angles below that of this d-spacing [angstrom] are left out (the direct beam and
            air scatter of low angles; 20 A is 4.4 deg at Cu K-alpha, 1.2 deg at 0.41 A).
        texture: "auto" (default): every finalist's fit for the first phase is also tried with a
            March-Dollase preferred orientation along the low-index directions of its crystal system
            (``TEXTURE_DIRECTIONS``, r started from ``TEXTURE_R_STARTS``), kept when it lowers the
            BIC by more than ``bic_margin``: measured scans of cleaving or platy crystals are
            rarely random powders, and a wrong type must not win because the right one was fitted
            untextured. None: random powders only. (h, k, l): the plane normal of the
            orientation of every phase (plates lying flat: their face's normal, e.g. (0, 0, 1)).
            The refined r and direction are ``IdentifiedPhase.texture_r`` and ``texture_direction``.
        members: with ``references="default"``, the first phase of a search without a
            composition is also sought among this many common formulas of every type (the ICSD's
            and COD's most refined compounds of its space group and stoichiometry, put on its
            prototypes: :mod:`~pymatgen_ml_xrd.identification.type_members`), and every element
            of the elemental types (fcc, bcc, hcp) on its measured cell; screened over the
            isotropic scales ``MEMBER_SCALES`` with the free axes stretched by +-4 %
            (``ESTIMATE_STRAIN``), cubic ones also with their cell scaled by
            ``CUBIC_MEMBER_FACTORS``; built on first use (seconds). 0: the prototypes alone.
        axial_strain: the free axes of every library reference (c; below tetragonal b, c or a,
            one at a time) are also screened stretched by the multiples of 4 % up to +-this
            fraction, and a reference chosen so is refined around its stretched cell. None (default): 0.08 for
            a library of your own (``LIBRARY_STRAIN``: DFT-relaxed cells are that far off along
            weakly bound axes), 0 for "default" (its types' members are screened +-4 %). 0: the
            isotropic scales alone. Each step multiplies the screening of non-cubic references.
        coordinates: every finalist's fit for the first phase is also refined with its free
            atomic coordinates (the Wyckoff positions' free parameters, under its space group:
            :mod:`~pymatgen_ml_xrd.phases.coordinates`, within +-``COORDINATE_RANGE``), kept when
            that lowers the BIC by more than ``bic_margin``: a prototype's atoms sit where its
            own chemistry put them (octahedral tilts, anion positions), a scan's compound has
            its own. References with more than ``MAX_PARAMETERS`` (12) such parameters keep their atoms.
        b_iso: with those (and for a phase without them), its overall isotropic displacement B
            (Debye-Waller factor exp(-B / (2 d^2)), within ``refinement.B_ISO_RANGE``) is refined
            too: the references are simulated at rest (B = 0), a measured powder's high-angle
            lines are weaker by its atoms' vibration, and without B a type of lighter atoms (their
            form factors falling faster) fits a scan better than the scan's own type.
    """

    def __init__(self, references="default", max_phases: int = 3, kalpha2: bool | str = "auto",
                 lattice_scales: tuple[float, float, float] = (0.97, 1.03, 0.002), n_candidates: int = 5,
                 bic_margin: float = 25.0, min_rwp_gain: float = 0.1, min_weight_fraction: float = 0.01,
                 background_degree: int = 8, max_points: int = 4000, d_max: float = 20.0,
                 texture: tuple[int, int, int] | str | None = "auto", members: int = 16,
                 axial_strain: float | None = None, coordinates: bool = True, b_iso: bool = True) -> None:
        _check_count("max_phases", max_phases)
        _check_count("members", members, minimum=0)
        _check_count("n_candidates", n_candidates)
        _check_count("max_points", max_points, minimum=200)
        lo, hi, step = (float(v) for v in lattice_scales)
        if not (0.5 < lo <= 1.0 <= hi < 1.5 and step > 0):
            raise InvalidParameterError(f"lattice_scales must be (min <= 1 <= max, step > 0), got {lattice_scales!r}")
        self.library_ = ReferenceLibrary(references)
        self.references = references
        self._guided: dict[str, list] = {}  # formula -> candidates of a composition-guided search
        self._extra: dict[str, object] = {}  # their names -> ReferencePhase
        self.max_phases = int(max_phases)
        self.kalpha2 = kalpha2
        self.scales_ = np.arange(lo, hi + step / 2, step)
        self.guided_scales_ = np.arange(GUIDED_SCALES[0], GUIDED_SCALES[1] + step / 2, step)
        self.member_scales_ = np.arange(MEMBER_SCALES[0], MEMBER_SCALES[1] + step / 2, step)
        self.members = int(members)
        self._members: list[ReferencePhase] | None = None
        self.n_candidates = int(n_candidates)
        for name, value, lo, hi in (("bic_margin", bic_margin, 0.0, np.inf), ("min_rwp_gain", min_rwp_gain, 0.0, 1.0),
                                    ("min_weight_fraction", min_weight_fraction, 0.0, 1.0)):  # fmt: skip
            if not (isinstance(value, (int, float)) and lo <= value < hi):
                raise InvalidParameterError(f"{name} must be a number in [{lo:g}, {hi:g}), got {value!r}")
        _check_count("background_degree", background_degree, minimum=0)
        self.bic_margin = float(bic_margin)
        self.min_rwp_gain = float(min_rwp_gain)
        self.min_weight_fraction = float(min_weight_fraction)
        self.background_degree = int(background_degree)
        self.max_points = int(max_points)
        if not (isinstance(d_max, (int, float)) and d_max > 1):
            raise InvalidParameterError(f"d_max must be a d-spacing above 1 angstrom, got {d_max!r}")
        self.d_max = float(d_max)
        if isinstance(texture, str):
            if texture != "auto":
                raise InvalidParameterError(f"texture must be 'auto', None or a plane normal (h, k, l), got {texture!r}")
        elif texture is not None:
            hkl = np.asarray(texture)
            if hkl.shape != (3,) or not np.isfinite(hkl.astype(float)).all() or not np.any(hkl):
                raise InvalidParameterError(f"texture must be a plane normal (h, k, l), not all zero, got {texture!r}")
            texture = tuple(float(v) for v in hkl)
        self.texture = texture
        if axial_strain is not None and not (isinstance(axial_strain, (int, float)) and not isinstance(axial_strain, bool)
                                             and 0 <= axial_strain <= MAX_AXIAL_STRAIN):  # fmt: skip
            raise InvalidParameterError(f"axial_strain must be None or a fraction in [0, {MAX_AXIAL_STRAIN:g}], "
                                        f"got {axial_strain!r}")  # fmt: skip
        self.axial_strain = axial_strain
        if not isinstance(coordinates, bool):
            raise InvalidParameterError(f"coordinates must be True or False, got {coordinates!r}")
        if not isinstance(b_iso, bool):
            raise InvalidParameterError(f"b_iso must be True or False, got {b_iso!r}")
        self.coordinates = coordinates
        self.b_iso = b_iso
        emission_lines(1.54056, kalpha2)  # validates kalpha2

    @property
    def members_(self) -> list[ReferencePhase]:
        """The member references of a blind search (see ``members``; empty unless the library is
        "default"), built on first use."""
        if self._members is None:
            self._members = self._build_members()
        return self._members

    def _build_members(self) -> list[ReferencePhase]:
        if self.members == 0 or not (isinstance(self.references, str) and self.references == "default"):
            return []
        from pymatgen_ml_xrd.identification.plugins import all_structure_types
        from pymatgen_ml_xrd.identification.type_members import elemental_members, member_structures
        from pymatgen_ml_xrd.phases.references import catalogue_prototypes

        hosts = catalogue_prototypes(self.library_, [r.name for r in all_structure_types()])
        taken = set(self.library_.names) | set(self._extra)
        out = []
        structures = {k: [p.structure for p in v] for k, v in hosts.items()}
        made = member_structures(structures, self.members) + elemental_members(structures)
        for name, structure, type_name, index in made:
            host = hosts[type_name][index]
            if name in taken:
                continue
            # the host's cell with other elements on its sites: the host's symmetry, no spglib call
            phase = ReferencePhase(name=name, structure=structure, crystal_system=host.crystal_system,
                                   space_group=host.space_group, source="member", structure_type=host.structure_type)
            self._extra[name] = phase
            taken.add(name)
            out.append(phase)
        return out

    @property
    def axial_strain_(self) -> float:
        """The axial stretch screened for library references (``axial_strain``; None: 0 for the
        "default" catalogue, whose types' members are screened stretched, else ``LIBRARY_STRAIN``)."""
        if self.axial_strain is not None:
            return float(self.axial_strain)
        return 0.0 if isinstance(self.references, str) and self.references == "default" else LIBRARY_STRAIN

    @property
    def skipped_(self) -> dict[str, str]:
        """{reference: reason} of the references that could not be used."""
        return self.library_.skipped

    # ------------------------------------------------------------------ public
    def identify(self, pattern, max_phases: int | None = None, wavelength: float | str | None = None,
                 composition: str | None = None, priors: list[str] | None = None) -> PhaseIdentification:  # fmt: skip
        """The phases of one scan (see the module docstring).

        Args:
            pattern: a Diffractogram, or an (x, y) / (x, y, wavelength) tuple; x in deg 2-theta.
            max_phases: overrides the identifier's.
            wavelength: radiation name or angstrom; overrides the pattern's own.
            composition: formula of the main phase when it is known ("Mg2Si"). Its candidates are
                then the library's references of that formula and the formula put on every
                prototype of the structure types with its stoichiometry (default types and
                plugins, :func:`~pymatgen_ml_xrd.identification.substitution.type_candidates`),
                screened over the isotropic scales ``GUIDED_SCALES`` (0.82-1.22) and axial ratios
                +-4 %, since their lattices are estimates from atomic volumes. Further phases come from the library as usual.
            priors: structure type names (e.g. a classifier's top-k) whose references in the
                library join the first phase's candidates: priors widen the search, the fit
                decides.

        Raises:
            InvalidParameterError: NaN or negative-only intensities, too few points, a scan without
                peaks (each named), or an invalid count.
            NoCandidatesError: (an InvalidParameterError) ``composition`` is a valid formula that
                no reference and no structure type of the library can take.
        """
        t0 = time.perf_counter()
        max_phases = self.max_phases if max_phases is None else max_phases
        _check_count("max_phases", max_phases)
        x, y, lam = _scan_arrays(pattern, wavelength, self.max_points, self.d_max)
        lines = emission_lines(lam, self.kalpha2)
        y_free = _background_free(x, y)
        noise = _noise_level(y)
        fwhm = _peak_width(x, y_free, y, noise)
        lab = len(lines) > 1
        found: list[PhaseState] = []
        result: RefinementResult | None = None
        candidates_first: list[tuple[str, float, float]] = []
        target = _screening_target(y_free, noise)
        if priors is not None and (isinstance(priors, str) or not all(isinstance(t, str) for t in priors)):
            raise InvalidParameterError(f"priors must be a list of structure type names, got {priors!r}")
        guided = self._guided_entries(composition) if composition is not None else None
        for _ in range(max_phases):
            ranked = self._candidates(x, target, lines, fwhm, found, guided, priors)
            if not candidates_first:
                candidates_first = [(name, score, scale) for name, score, scale, _ in ranked]
            quick: list[RefinementResult] = []
            for name, _score, _scale, start in ranked:
                reference = self.reference(name)
                estimated = (guided is not None and not found) or reference.source == "member"
                bounded = start if estimated or _stretched(start, reference) else reference.lattice_parameters
                trial = [*found, PhaseState(reference, start, u=0.0, w=fwhm**2, eta=0.5,
                                            start_lattice=bounded)]  # fmt: skip
                quick.append(refine(x, y, trial, lines, self.background_degree, refine_displacement=lab,
                                    zero=result.zero if result else 0.0,
                                    displacement=result.displacement if result else 0.0, max_nfev=8))  # fmt: skip
            quick = [f for f in quick if not self._rejected(f)]
            if not quick:
                break
            # quick fits rank the candidates; the best FINALISTS are refined fully and the best of
            # those decides (a quick fit of a low-symmetry cell may not have converged yet)
            fixed = None if isinstance(self.texture, str) else self.texture
            finalists = [refine(x, y, f.phases, lines, self.background_degree, refine_displacement=lab, zero=f.zero,
                                displacement=f.displacement, max_nfev=60, texture=fixed)
                         for f in _finalists(quick)]  # fmt: skip
            if self.texture == "auto" and not found:  # a minor phase's few lines cannot tell texture from misfit
                finalists = [self._textured(x, y, f, lines, lab) for f in finalists]
            if (self.coordinates or self.b_iso) and not found:
                finalists = [self._with_coordinates(x, y, f, lines, lab) for f in finalists]
            finalists = [f for f in finalists if not self._rejected(f)]
            if not finalists:
                break
            best = _most_symmetric_of_the_best(finalists)
            if _overlap_share(best) > MAX_OVERLAP:
                break  # no peaks of its own: not evidenced by the scan
            before = result if result is not None else self._background_only(x, y, lines)
            fractions = _weight_fractions(best.phases)
            gain = 1.0 - best.rwp / before.rwp
            if best.bic > before.bic - self.bic_margin or gain < self.min_rwp_gain \
                    or fractions[-1] < self.min_weight_fraction:
                break
            result = best
            # a phase found keeps its refined atoms while the next ones are sought (each free
            # coordinate would be one more Jacobian column of every later candidate's fit)
            found = [dataclasses.replace(s, coordinates_fixed=s.coordinates is not None) for s in result.phases]
            target = np.clip(y - result.y_calc, 0.0, None)  # what the phases found leave unexplained
            target = _screening_target(_background_free(x, target), noise)
            if not target.max() > 0:  # nothing left to explain
                break
        if result is None:
            result = self._background_only(x, y, lines)
        return self._report(result, x, y, lam, lines, candidates_first, time.perf_counter() - t0)

    def predict(self, patterns, wavelength: float | str | None = None) -> list[list[str]]:
        """The names of the phases found in each pattern (a list of patterns, or one)."""
        items = patterns if isinstance(patterns, list) else [patterns]
        return [self.identify(p, wavelength=wavelength).names for p in items]

    def screen(self, pattern, wavelength: float | str | None = None, k: int = 10) -> list[tuple[str, float, float]]:
        """The screening alone: (name, cosine score, lattice scale) of the ``k`` best references by
        the cosine of intensities, then of the best by the cosine of square roots not among them."""
        x, y, lam = _scan_arrays(pattern, wavelength, self.max_points, self.d_max)
        y_free = _background_free(x, y)
        noise = _noise_level(y)
        ranked = self._screen(x, _screening_target(y_free, noise), emission_lines(lam, self.kalpha2),
                              _peak_width(x, y_free, y, noise),
                              [(p, None) for p in self.library_.phases], self.scales_, k)  # fmt: skip
        return [(name, score, scale) for name, score, scale, _ in ranked]

    def composition_candidates(self, composition: str) -> list:
        """The :class:`~pymatgen_ml_xrd.phases.references.ReferencePhase` candidates of a
        composition-guided search (see :meth:`identify`), built once per formula."""
        from pymatgen_ml_xrd.identification.default_plugin import equivalent_types
        from pymatgen_ml_xrd.identification.plugins import all_structure_types
        from pymatgen_ml_xrd.identification.substitution import parse_formula, type_candidates
        from pymatgen_ml_xrd.phases.references import reference_phase

        formula = parse_formula(composition).reduced_formula
        if formula not in self._guided:
            phases = [p for p in self.library_.phases if p.structure.composition.reduced_formula == formula]
            shapes, aliases = set(), equivalent_types()
            for name, structure, type_name in type_candidates(formula, all_structure_types()):
                type_name = aliases.get(type_name, type_name)
                if name in self.library_.names:
                    continue
                try:
                    phase = reference_phase(name, structure, "substituted", type_name)
                except (InvalidParameterError, InvalidInputTypeError, ValueError):
                    continue  # a substitution spglib cannot read is no candidate
                shape = _shape(phase)
                if shape not in shapes:  # prototypes that differ only a little in size give one candidate
                    shapes.add(shape)
                    phases.append(phase)
            if not phases:
                raise NoCandidatesError(f"no reference has the formula {formula} and no structure type has its "
                                            f"stoichiometry ({parse_formula(formula).anonymized_formula})")  # fmt: skip
            self._guided[formula] = phases
            self._extra.update({p.name: p for p in phases})
        return self._guided[formula]

    # ------------------------------------------------------------------ steps
    def reference(self, name: str):
        """The :class:`~pymatgen_ml_xrd.phases.references.ReferencePhase` called ``name``.

        Raises:
            InvalidParameterError: no reference has that name.
        """
        if name in self._extra:
            return self._extra[name]
        names = self.library_.names
        if name not in names:
            raise InvalidParameterError(f"no reference is called {name!r}")
        return self.library_.phases[names.index(name)]

    def _candidates(self, x, target, lines, fwhm, found: list, guided: list | None,
                    priors: list[str] | None) -> list[tuple[str, float, float, NDArray]]:  # fmt: skip
        """The screened candidates of the next phase (:meth:`_screen` rows): of the composition
        (``guided`` entries) for the first phase when one is given, else of the library without
        the phases found (and the best few of them with their free axes stretched,
        ``axial_strain_``), with, for the first phase, the best members (``members_``) and the
        best reference of each prior type."""
        if guided is not None and not found:
            return self._screen(x, target, lines, fwhm, guided, self.guided_scales_, 2 * self.n_candidates + 2)
        taken = {s.reference.name for s in found}
        library = [p for p in self.library_.phases if p.name not in taken]
        ranked = self._screen(x, target, lines, fwhm, [(p, None) for p in library], self.scales_)
        # one axis at a time: a DFT cell is off along its weakly bound axis (estimates of members
        # and composition candidates, off in every ratio, get every pair instead)
        stretched = _with_axial_factors(library, self.axial_strain_, as_it_is=False, one_axis=True)
        if stretched:  # a few more: the best of the references with an axis off, beside (not instead of) those
            scores = {row[0]: row[1] for row in ranked}
            ranked += [row for row in self._screen(x, target, lines, fwhm, stretched, self.scales_,
                                                   max(self.n_candidates // 2, 1)) if row[1] > scores.get(row[0], 0.0)]  # fmt: skip
        if guided is None and not found and self.members_:
            names = {row[0] for row in ranked}
            entries = _with_axial_factors(self.members_)
            entries += [(p, np.full(3, f)) for p in self.members_ if p.crystal_system == "cubic"
                        for f in CUBIC_MEMBER_FACTORS]  # fmt: skip
            ranked += [row for row in self._screen(x, target, lines, fwhm, entries, self.member_scales_)
                       if row[0] not in names]
        named = [(p, None) for p in self.library_.phases if priors and not found and p.structure_type in set(priors)]
        if named:
            kinds = {self.reference(row[0]).structure_type for row in ranked}
            for row in self._screen(x, target, lines, fwhm, named, self.scales_, len(named)):
                kind = self.reference(row[0]).structure_type
                if kind not in kinds:
                    ranked.append(row)
                    kinds.add(kind)
        return ranked

    def _guided_entries(self, composition: str) -> list[tuple]:
        """(phase, axial factors) of the composition's candidates (:func:`_with_axial_factors`)."""
        return _with_axial_factors(self.composition_candidates(composition))

    def _screen(self, x, target, lines, fwhm, entries: list, scales: NDArray,
                k: int | None = None) -> list[tuple[str, float, float, NDArray]]:  # fmt: skip
        """(name, score, isotropic scale, start lattice) of the best ``k`` entries ((phase, axial
        factors or None)) by the cosine of intensities, then the best by that of square roots;
        one row per phase (its best entry), at most ``PER_TYPE`` per structure type."""
        from pymatgen_ml_xrd.phases.profile_model import d_spacings
        from pymatgen_ml_xrd.phases.refinement import _d_min, table_d_min

        d_min = _d_min(x, lines)
        # one reflection table per phase, long enough for the largest cell any of its entries reaches
        stretch: dict[str, float] = {}
        for phase, factors in entries:
            reach = float(scales.max()) * (float(np.max(factors)) if factors is not None else 1.0)
            stretch[phase.name] = max(stretch.get(phase.name, 0.0), reach)
        tables, lattices = [], []
        for phase, factors in entries:
            table = phase.peaks(lines[0][0], table_d_min(d_min, stretch[phase.name]))
            lattice = phase.lattice_parameters
            if factors is not None:
                lattice = lattice * np.concatenate([factors, np.ones(3)])
                table = PeakTable(d=d_spacings(table.hkl, lattice), hkl=table.hkl, f2m=table.f2m)
            tables.append(table)
            lattices.append(lattice)
        phases = [phase for phase, _ in entries]
        lam2, ratio2 = (lines[1][0], lines[1][1]) if len(lines) > 1 else (0.0, 0.0)
        step = float(x[1] - x[0])
        width = max(fwhm, 2.0 * step)
        factor = max(int(width / (4.0 * step)), 1)  # screen on a grid of about a quarter of a peak width
        if factor > 1:
            n = len(target) // factor * factor
            target = target[:n].reshape(-1, factor).mean(axis=1)
            x = x[:n].reshape(-1, factor).mean(axis=1)
            step *= factor
        ranked: dict[str, tuple[str, float, float, NDArray]] = {}
        # intensities as they are rank by the strong peaks; square roots add references whose weak
        # peaks match too (they alone favour references with very many peaks)
        both = screen_scores(target, float(x[0]), step, tables, scales, lines[0][0], lam2, ratio2, fwhm=width)
        for scores, share in zip(both, (k or self.n_candidates, max((k or self.n_candidates) // 2, 1))):
            best = scores.argmax(axis=1)
            top = scores[np.arange(len(phases)), best]
            chosen: dict[str, int] = {}
            per_type: dict[str, int] = {}
            for row in ranked.values():
                kind = self.reference(row[0]).structure_type
                per_type[kind] = per_type.get(kind, 0) + 1
            for i in np.argsort(-top, kind="stable"):  # the best entry of each phase, best phases first
                kind = phases[i].structure_type
                if phases[i].name in ranked or phases[i].name in chosen:
                    continue
                if kind is not None and per_type.get(kind, 0) >= PER_TYPE:
                    continue  # variety: near-copies of one type must not crowd out the others
                chosen[phases[i].name] = int(i)
                per_type[kind] = per_type.get(kind, 0) + 1
                if len(chosen) == share:
                    break
            for name, i in chosen.items():
                s = float(scales[best[i]])
                ranked[name] = (name, float(top[i]), s, lattices[i] * np.array([s] * 3 + [1.0] * 3))
        return list(ranked.values())

    def _textured(self, x, y, fit: RefinementResult, lines: tuple, lab: bool) -> RefinementResult:
        """``fit`` with its new phase's preferred orientation refined, when one of the directions
        of its crystal system lowers the BIC by more than ``bic_margin`` (else ``fit``)."""
        last = fit.phases[-1]
        start = texture_start(x, y, fit, lines, self.background_degree,
                              TEXTURE_DIRECTIONS[last.reference.crystal_system], TEXTURE_R_STARTS)  # fmt: skip
        if start is None:
            return fit
        direction, r, _ = start
        trial = [*fit.phases[:-1], dataclasses.replace(last, texture_direction=direction, texture_r=r)]
        textured = refine(x, y, trial, lines, self.background_degree, refine_displacement=lab, zero=fit.zero,
                          displacement=fit.displacement, max_nfev=60)  # fmt: skip
        return textured if textured.bic < fit.bic - self.bic_margin else fit

    def _with_coordinates(self, x, y, fit: RefinementResult, lines: tuple, lab: bool) -> RefinementResult:
        """``fit`` with its new phase's free atomic coordinates refined (:mod:`.coordinates`, with
        ``coordinates``) and its overall B (with ``b_iso``), when that lowers the BIC by more than
        ``bic_margin`` (else ``fit``; a phase without structure parameters or with more than
        ``MAX_PARAMETERS`` keeps its atoms)."""
        from pymatgen_ml_xrd.phases.refinement import _table_d_min

        last = fit.phases[-1]
        model = last.reference.coordinates(lines[0][0], _table_d_min(x, lines, last)) if self.coordinates else None
        if model is None and not self.b_iso:
            return fit
        trial = [*fit.phases[:-1], dataclasses.replace(
            last, coordinates=None if model is None else np.zeros(model.n_parameters),
            b_iso=0.0 if self.b_iso else None)]
        moved = refine(x, y, trial, lines, self.background_degree, refine_displacement=lab, zero=fit.zero,
                       displacement=fit.displacement, max_nfev=COORDINATE_NFEV)  # fmt: skip
        return moved if moved.bic < fit.bic - self.bic_margin else fit

    def _rejected(self, fit: RefinementResult) -> bool:
        """Whether the phase ``fit`` adds is no phase: it shadows a found one (:func:`_shadows`), or
        a library reference screened stretched was refined to axial ratios more than
        ``axial_strain_`` + half the refinement range (``LATTICE_RANGE``) from its own (a distractor
        bent onto misfit, not a cell a DFT error explains)."""
        if _shadows(fit):
            return True
        last = fit.phases[-1]
        reference = last.reference
        if reference.source in ("member", "substituted"):
            return False
        if not _stretched(last.start_lattice, reference):
            return False  # screened isotropically: bounded around its own cell
        ratios = last.lattice[:3] / reference.lattice_parameters[:3]
        limit = max(self.axial_strain_, ESTIMATE_STRAIN) + LATTICE_RANGE / 2
        return bool(ratios.max() / ratios.min() - 1.0 > limit)

    def _background_only(self, x, y, lines) -> RefinementResult:
        return refine(x, y, [], lines, self.background_degree, refine_displacement=False, max_nfev=1)

    def _report(self, result: RefinementResult, x, y, lam, lines, candidates, seconds) -> PhaseIdentification:
        fractions = _weight_fractions(result.phases) if result.phases else []
        phases = []
        for state, fraction in zip(result.phases, fractions):
            ref = state.reference
            lattice = Lattice.from_parameters(*state.lattice)
            coords, moved, factors = ref.structure.frac_coords, 0, (1.0,) * len(ref.structure)
            if state.coordinates is not None:
                from pymatgen_ml_xrd.phases.refinement import _table_d_min

                model = ref.coordinates(lines[0][0], _table_d_min(x, lines, state))
                if model is not None:
                    coords, moved = model.site_coordinates(state.coordinates), model.n_free
                    first = np.unique(model.site, return_index=True)[1]
                    factors = tuple(float(f) for f in model.site_factors(state.coordinates)[first])
            structure = Structure(lattice, ref.structure.species_and_occu, coords)
            phases.append(IdentifiedPhase(
                name=ref.name, structure_type=ref.structure_type, structure=structure,
                lattice=tuple(float(v) for v in state.lattice), weight_fraction=float(fraction), scale=state.scale,
                u=state.u, w=state.w, eta=state.eta,
                lattice_change=tuple(float(v) for v in state.lattice / ref.lattice_parameters - 1.0),
                texture_r=state.texture_r, texture_direction=state.texture_direction, free_coordinates=moved,
                site_factors=factors, b_iso=state.b_iso or 0.0, space_group=int(ref.space_group)))  # fmt: skip
        order = np.argsort([-p.weight_fraction for p in phases], kind="stable")
        components = {result.phases[i].reference.name: result.components[i] for i in range(len(result.phases))}
        return PhaseIdentification(phases=[phases[i] for i in order], rwp=result.rwp, gof=result.gof,
                                   zero=result.zero, displacement=result.displacement, two_theta=x, observed=y,
                                   calculated=result.y_calc, background=result.background, components=components,
                                   wavelength=lam, lines=lines, candidates=candidates, seconds=seconds)  # fmt: skip


def _with_axial_factors(phases: list, strain: float = ESTIMATE_STRAIN, as_it_is: bool = True,
                        one_axis: bool = False) -> list[tuple]:  # fmt: skip
    """(phase, axial factors or None) of ``phases``: each as it is (unless not ``as_it_is``), and
    with its free axes stretched by up to +-``strain`` (:func:`axial_factors`)."""
    out = []
    for phase in phases:
        if as_it_is:
            out.append((phase, None))
        for factors in axial_factors(phase.crystal_system, strain, one_axis):
            out.append((phase, np.array(factors)))
    return out


def _stretched(lattice: NDArray, reference: ReferencePhase) -> bool:
    """Whether ``lattice`` is ``reference``'s cell with other axial ratios (screened with an axial
    factor), not only scaled isotropically."""
    ratios = lattice[:3] / reference.lattice_parameters[:3]
    return bool(ratios.max() > ratios.min() * (1.0 + 1e-9))


def _shadows(fit: RefinementResult) -> bool:
    """Whether the last phase of ``fit`` shadows an earlier one: the same space group and a refined
    cell within ``SHADOW_TOLERANCE`` (two copies of one pattern fit peak shapes, not phases)."""
    if len(fit.phases) < 2:
        return False
    new = fit.phases[-1]
    for old in fit.phases[:-1]:
        if old.reference.space_group != new.reference.space_group:
            continue
        lengths = np.abs(new.lattice[:3] / old.lattice[:3] - 1.0)
        if lengths.max() <= SHADOW_TOLERANCE and np.abs(new.lattice[3:] - old.lattice[3:]).max() <= 1.0:
            return True
    return False


def _overlap_share(fit: RefinementResult) -> float:
    """The share of the last phase's fitted intensity that lies where the earlier phases' sum
    exceeds ``OVERLAP_LEVEL`` of its maximum (0 for a first phase)."""
    if len(fit.phases) < 2:
        return 0.0
    new = np.clip(fit.components[-1], 0.0, None)
    found = np.clip(fit.components[:-1], 0.0, None).sum(axis=0)
    total = float(new.sum())
    if not total > 0 or not found.max() > 0:
        return 0.0
    return float(new[found > OVERLAP_LEVEL * found.max()].sum() / total)


def _finalists(quick: list[RefinementResult]) -> list[RefinementResult]:
    """The ``FINALISTS`` quick fits of lowest BIC, at most ``FINALISTS_PER_TYPE`` of the new
    phase's structure type (references without a type: no limit): the full fits decide between
    hypotheses, and near-copies of one type would crowd out the others."""
    out, per_type = [], {}
    for fit in sorted(quick, key=lambda f: f.bic):
        kind = fit.phases[-1].reference.structure_type
        if kind is not None and FINALISTS_PER_TYPE is not None and per_type.get(kind, 0) >= FINALISTS_PER_TYPE:
            continue
        per_type[kind] = per_type.get(kind, 0) + 1
        out.append(fit)
        if len(out) == FINALISTS:
            break
    return out


def _most_symmetric_of_the_best(fits: list[RefinementResult]) -> RefinementResult:
    """The fit of lowest BIC, or, among the fits whose R_wp is within ``SYMMETRY_TOLERANCE``
    (relative) of its, the one whose new phase has the largest point group, then the fewest atoms
    in its primitive cell (ties: lowest BIC). A lower-symmetry cell has more reflections and free
    axes to soak up misfit; when it explains the scan no better, the crystallographer's rule is
    to take the higher symmetry. A superstructure of the same point group (AuCu3 over fcc gold,
    its two sites refined to one scattering power) has lost translations: the smaller cell wins."""
    best = min(fits, key=lambda f: f.bic)
    close = [f for f in fits if f.rwp <= best.rwp * (1.0 + SYMMETRY_TOLERANCE)]
    return max(close, key=lambda f: (_point_group_order(f.phases[-1].reference.space_group),
                                     -_primitive_sites(f.phases[-1].reference), -f.bic))  # fmt: skip


#: lattice points per conventional cell, by the first letter of the Hermann-Mauguin symbol (R: the
#: hexagonal axes of pymatgen's conventional standard cell)
_CENTRING = {"P": 1, "A": 2, "B": 2, "C": 2, "I": 2, "F": 4, "R": 3}


def _primitive_sites(reference) -> float:
    """Atoms (sites) in the primitive cell of ``reference`` (its conventional standard cell's
    sites over the lattice points of its centring)."""
    from pymatgen.symmetry.groups import SpaceGroup

    letter = SpaceGroup.from_int_number(reference.space_group).symbol[0]
    return len(reference.structure) / _CENTRING.get(letter, 1)


def _point_group_order(space_group: int) -> int:
    from pymatgen.symmetry.groups import PointGroup, SpaceGroup

    if space_group not in _POINT_GROUP_ORDER:
        _POINT_GROUP_ORDER[space_group] = PointGroup(SpaceGroup.from_int_number(space_group).point_group).order
    return _POINT_GROUP_ORDER[space_group]


_POINT_GROUP_ORDER: dict[int, int] = {}


def _shape(phase) -> tuple:
    """A phase up to a small change of size: type, space group, axial ratios, angles, the sites and
    the cell length to 5 % (the guided scale range is searched around each distinct size)."""
    a, b, c, alpha, beta, gamma = phase.lattice_parameters
    sites = sorted((site.specie.symbol, *np.round(site.frac_coords % 1.0, 3).tolist()) for site in phase.structure)
    size = round(float(np.log(phase.volume) / 3.0 / 0.05))
    return (phase.structure_type, phase.space_group, round(b / a, 3), round(c / a, 3), round(alpha, 1),
            round(beta, 1), round(gamma, 1), tuple(sites), size)  # fmt: skip


def _weight_fractions(states: list[PhaseState]) -> list[float]:
    """Hill & Howard (1987): w_p = S_p (ZMV)_p / sum_i S_i (ZMV)_i."""
    zmv = np.array([s.scale * s.reference.cell_mass * s.reference.volume for s in states])
    total = zmv.sum()
    return (zmv / total).tolist() if total > 0 else [0.0] * len(states)


def _check_count(name: str, value, minimum: int = 1) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _scan_arrays(pattern, wavelength, max_points: int, d_max: float = 20.0) -> tuple[NDArray, NDArray, float]:
    """(x uniform [deg], y, wavelength [angstrom]) of a scan above the angle of ``d_max``, validated."""
    from pymatgen_ml_xrd.diffraction import Diffractogram
    from pymatgen_ml_xrd.diffraction.wavelengths import resolve_wavelength

    if isinstance(pattern, Diffractogram):
        x, y, lam = pattern.x, pattern.y, pattern.wavelength
    elif isinstance(pattern, tuple) and len(pattern) in (2, 3):
        x, y = pattern[0], pattern[1]
        lam = pattern[2] if len(pattern) == 3 else None
    else:
        raise InvalidInputTypeError(f"a scan must be a Diffractogram or an (x, y[, wavelength]) tuple, got "
                                    f"{type(pattern).__name__}")  # fmt: skip
    if wavelength is not None:
        if lam is not None and isinstance(pattern, Diffractogram) and abs(resolve_wavelength(wavelength)[0] - lam) > 1e-4:
            warnings.warn(f"wavelength={wavelength!r} overrides the scan's {lam:.5f} A", stacklevel=3)
        lam = wavelength
    if lam is None:
        raise InvalidParameterError("the scan states no wavelength: pass wavelength= (a name such as 'CuKa' or angstrom)")
    lam = resolve_wavelength(lam)[0]
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 50:
        raise InvalidParameterError(f"a scan needs x and y of equal length >= 50, got {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InvalidParameterError("the scan contains NaN or infinite values")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    low = 2.0 * np.degrees(np.arcsin(min(lam / (2.0 * d_max), 1.0)))
    x, y = x[x >= low], y[x >= low]
    if len(x) < 50:
        raise InvalidParameterError(f"the scan has fewer than 50 points above {low:.2f} deg (d = {d_max:g} A)")
    if not (0 < x[0] and x[-1] < 180 and x[-1] - x[0] > 5):
        raise InvalidParameterError(f"the scan's 2-theta range {x[0]:g}-{x[-1]:g} deg must lie within (0, 180) and "
                                    "span more than 5 deg")  # fmt: skip
    y = y - min(float(y.min()), 0.0)  # net counts (background-subtracted files) become non-negative
    if not y.max() > 0:
        raise InvalidParameterError("the scan is all zero")
    step = max(float(np.median(np.diff(x))), (x[-1] - x[0]) / (max_points - 1), 1e-4)
    grid = np.arange(x[0], x[-1] + step / 2, step)
    if len(grid) < len(x) * 0.9:  # coarser than measured: average over the new bins, not sample
        edges = np.concatenate([[grid[0] - step / 2], grid + step / 2])
        which = np.clip(np.searchsorted(edges, x) - 1, 0, len(grid) - 1)
        counts = np.bincount(which, minlength=len(grid))
        sums = np.bincount(which, weights=y, minlength=len(grid))
        filled = counts > 0
        y_new = np.interp(grid, grid[filled], sums[filled] / counts[filled])
    else:
        y_new = np.interp(grid, x, y)
    return grid, y_new, lam


def _background_free(x: NDArray, y: NDArray) -> NDArray[np.float64]:
    """The scan minus a SNIP background (window 3 deg), clipped at zero."""
    from pymatgen_ml_xrd.patterns.background import remove_background

    return remove_background(y[None, :], float(x[1] - x[0]), "snip", 3.0)[0].astype(np.float64)


def _noise_level(y: NDArray) -> float:
    """The scan's noise level (counts): the robust scatter of neighbouring points (their
    differences' median absolute value, as a standard deviation, over sqrt 2)."""
    return 1.4826 * float(np.median(np.abs(np.diff(y)))) / np.sqrt(2.0)


def _screening_target(y_free: NDArray, noise: float) -> NDArray[np.float64]:
    """What the screening matches: the background-free scan less ``SCREEN_NOISE`` noise levels,
    clipped at zero. Noise left in would reward references with many reflections, whose peaks
    everywhere collect it (a noisy hematite scan ranked monoclinic cells above corundum)."""
    return np.clip(y_free - SCREEN_NOISE * noise, 0.0, None)


def _peak_width(x: NDArray, y_free: NDArray, y: NDArray, noise: float) -> float:
    """Median FWHM [deg] of the ten strongest peaks of a background-free scan ``y_free`` of the
    scan ``y`` whose noise level is ``noise`` (:func:`_noise_level`, counts).

    Raises:
        InvalidParameterError: the scan has no peak standing 10 noise levels (or 0.1 % of its
            maximum) above its background.
    """
    from scipy.signal import find_peaks, peak_widths

    floor = max(10.0 * noise, 1e-3 * float(y.max()))
    top = float(y_free.max())
    if not top > floor:
        raise InvalidParameterError("the scan has no peaks above its background")
    peaks, _ = find_peaks(y_free, height=max(0.05 * top, floor), prominence=max(0.05 * top, floor))
    if len(peaks) == 0:
        raise InvalidParameterError("the scan has no peaks above its background")
    strongest = peaks[np.argsort(-y_free[peaks])[:10]]
    widths = peak_widths(y_free, strongest, rel_height=0.5)[0] * float(x[1] - x[0])
    return float(np.clip(np.median(widths), 0.02, 1.0))
