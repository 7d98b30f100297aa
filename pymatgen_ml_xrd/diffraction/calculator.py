"""XRDCalculator: pymatgen's powder XRD calculator, same peaks, numba speed, plus dense patterns."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray
from pymatgen.analysis.diffraction.core import (
    AbstractDiffractionPatternCalculator,
    DiffractionPattern,
    get_ustar,
)
from pymatgen.core import IStructure, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from pymatgen_ml_xrd.diffraction.crystal_arrays import CrystalArrays
from pymatgen_ml_xrd.diffraction.dense_kernels import (
    PROFILE_GAUSSIAN,
    PROFILE_PSEUDO_VOIGT,
    dense_pattern,
    peak_fwhm,
)
from pymatgen_ml_xrd.diffraction.diffractogram import Diffractogram, two_theta_grid
from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
from pymatgen_ml_xrd.diffraction.peak_kernel import index_bounds, over_limits, reflection_intensities
from pymatgen_ml_xrd.diffraction.peak_pattern import HklFamilies, XRDPattern
from pymatgen_ml_xrd.diffraction.reflection_kernels import group_peaks
from pymatgen_ml_xrd.diffraction.texture import (
    NO_TEXTURE,
    check_preferred_orientation,
    random_preferred_orientation,
)
from pymatgen_ml_xrd.diffraction.wavelengths import (
    KALPHA2_TO_KALPHA1_RATIO,
    WAVELENGTHS,
    kalpha_doublet,
    resolve_wavelength,
)
from pymatgen_ml_xrd.errors import (
    InvalidInputTypeError,
    InvalidParameterError,
    InvalidStructureError,
    ReflectionLimitError,
)

__all__ = ["XRDCalculator"]

_PROFILES = {"gaussian": PROFILE_GAUSSIAN, "pseudo-voigt": PROFILE_PSEUDO_VOIGT, "pseudo_voigt": PROFILE_PSEUDO_VOIGT}
_NO_USTAR = np.zeros((0, 3, 3))
_NO_DW = np.zeros(0)  # no Debye-Waller factors (the kernels read B = 0 for every element)
_MAX_INDEX = 4096  # Miller indices are packed in 12 bits when grouping families
try:  # numpy's inverse ufunc without np.linalg.inv's wrapper (see _inverse)
    from numpy.linalg._umath_linalg import inv as _UMATH_INV
except ImportError:  # pragma: no cover - a numpy that moved it: the public wrapper
    _UMATH_INV = None


class XRDCalculator(AbstractDiffractionPatternCalculator):
    """Powder X-ray diffraction calculator, a drop-in for pymatgen's ``XRDCalculator``.

    ``get_pattern`` returns the same :class:`~pymatgen.analysis.diffraction.core.DiffractionPattern`
    as pymatgen's calculator (same peaks, intensities, hkl families and d-spacings; the same
    atomic scattering factors, Lorentz-polarisation factor, Debye-Waller options and peak-merging
    tolerance), computed by numba kernels on arrays. ``get_diffractogram(s)`` add dense patterns
    with peak profiles.

    Args:
        wavelength: pymatgen radiation name (``"CuKa"``, ``"MoKa1"``, ... see ``AVAILABLE_RADIATION``)
            or a wavelength in angstrom.
        symprec: if non-zero, the structure is first refined with spglib at this precision (as pymatgen).
        debye_waller_factors: {element symbol: B [angstrom^2]}; scattering of that element is
            multiplied by exp(-B s^2), s = sin(theta) / lambda (as pymatgen).
        max_reflections: refuse (``ReflectionLimitError``) structures whose enumeration would hold
            more reflections than this (memory guard; about 100 bytes per reflection).
    """

    AVAILABLE_RADIATION = tuple(WAVELENGTHS)

    def __init__(
        self,
        wavelength: str | float = "CuKa",
        symprec: float = 0,
        debye_waller_factors: dict[str, float] | None = None,
        max_reflections: int = 5_000_000,
    ) -> None:
        self.wavelength, radiation = resolve_wavelength(wavelength)
        if radiation is not None:
            self.radiation = radiation
        if not (math.isfinite(symprec) and symprec >= 0):
            raise InvalidParameterError(f"symprec must be a finite number >= 0, got {symprec!r}")
        self.symprec = symprec
        self.debye_waller_factors = dict(debye_waller_factors or {})
        for symbol, b in self.debye_waller_factors.items():
            if not math.isfinite(b):
                raise InvalidParameterError(f"Debye-Waller factor of {symbol} must be finite, got {b!r}")
        self.max_reflections = int(max_reflections)

    # ------------------------------------------------------------------ peaks (pymatgen-exact)
    def get_pattern(
        self,
        structure: Structure,
        scaled: bool = True,
        two_theta_range: tuple[float, float] | None = (0, 90),
    ) -> DiffractionPattern:
        """Diffraction peaks of a structure, identical to pymatgen's ``XRDCalculator.get_pattern``.

        Args:
            structure: pymatgen Structure; site properties U11_cif ... U12_cif [angstrom^2] switch
                on anisotropic Debye-Waller factors, as in pymatgen.
            scaled: scale intensities so that the strongest peak is 100.
            two_theta_range: (min, max) 2-theta [deg], or None for every reflection inside the
                limiting sphere of radius 2 / lambda.

        Returns:
            XRDPattern, a pymatgen DiffractionPattern with x = 2-theta [deg], y = intensities,
            hkls = families with multiplicities (built when first read), d_hkls [angstrom]. A
            range that holds no reflection gives an empty pattern (pymatgen raises there).

        Raises:
            InvalidStructureError, InvalidParameterError, ReflectionLimitError (all ValueError).
        """
        structure, arrays, ustar = self._prepare(structure)
        min_r, max_r = self._shell(two_theta_range)
        ok, hkl, g, f2, sin_t, hexagonal = reflection_intensities(
            arrays.lattice, _inverse(arrays.lattice), arrays.volume, min_r, max_r, self.max_reflections, _MAX_INDEX,
            arrays.frac_coords, arrays.occupancies, arrays.atom_element, arrays.element_rows,
            self._dw_array(arrays), ustar, self.wavelength,
        )  # fmt: skip
        if not ok:  # the kernel's memory guard (peak_kernel.over_limits) refused the cell
            raise self._limit_error(arrays, max_r)
        if len(g) == 0:
            return XRDPattern([], [], [], [])
        # numpy's arcsin, as in pymatgen: its SIMD result can differ from libm's in the last bit,
        # and the 1e-5 deg bins that merge peaks must come out the same
        theta = np.arcsin(sin_t)
        x, y, d, order, lo, hi = group_peaks(
            theta, sin_t, g, f2, self.TWO_THETA_TOL, self.SCALED_INTENSITY_TOL, 100.0 if scaled else 0.0
        )
        # pymatgen names families with 4 indices when the lattice is hexagonal
        return XRDPattern(x, y, HklFamilies(hkl, order, lo, hi, bool(hexagonal)), d)

    def get_patterns(
        self,
        structures: Iterable[Structure],
        scaled: bool = True,
        two_theta_range: tuple[float, float] | None = (0, 90),
    ) -> list[DiffractionPattern]:
        """Diffraction peaks of many structures: ``[get_pattern(s, scaled, two_theta_range) ...]``.

        The same patterns as :meth:`get_pattern`, one per structure, in order; the range is
        checked once, before any structure. (Threads do not pay: the kernels release the GIL,
        but the Structure conversion holds it and two threads ran 18 % slower than one.)

        Raises:
            InvalidInputTypeError: ``structures`` is one Structure (iterating it would give its
                sites) or not iterable.
            The errors of :meth:`get_pattern`, naming the index of the offending structure.
        """
        if isinstance(structures, IStructure) or not isinstance(structures, Iterable):
            raise InvalidInputTypeError(
                f"get_patterns takes a list of Structures, got {type(structures).__name__}"
                + ("; for one structure call get_pattern" if isinstance(structures, IStructure) else "")
            )
        self._shell(two_theta_range)
        patterns = []
        for i, structure in enumerate(structures):
            try:
                patterns.append(self.get_pattern(structure, scaled=scaled, two_theta_range=two_theta_range))
            except (InvalidStructureError, InvalidInputTypeError, ReflectionLimitError) as err:
                raise type(err)(f"structure {i}: {err}") from None
        return patterns

    # ------------------------------------------------------------------ dense diffractograms
    def get_diffractogram(
        self,
        structure: Structure | CrystalArrays,
        two_theta_range: tuple[float, float] = (5.0, 90.0),
        step: float = 0.01,
        profile: str = "gaussian",
        crystallite_size: float | None = 50.0,
        caglioti: tuple[float, float, float] = (0.005, 0.0, 0.005),
        eta: float = 0.5,
        kalpha2: bool = False,
        scherrer_constant: float = 0.9,
        normalize: bool = True,
        effects: ExperimentalEffects | None = None,
        seed: int | np.random.Generator | None = None,
        impurity: Structure | CrystalArrays | None = None,
        preferred_orientation: tuple[Sequence[float], float] | None = None,
    ) -> Diffractogram:
        """Dense powder diffractogram with peak profiles.

        Args:
            structure: pymatgen Structure (or validated :class:`CrystalArrays`).
            two_theta_range: first and last grid point [deg], inclusive.
            step: grid step [deg]. The default grid (5-90 deg, 0.01 deg) has 8,501 points.
            profile: ``"gaussian"``: Gaussian peaks whose FWHM is the Scherrer width
                K lambda / (L cos theta) (paper 001); ``"pseudo-voigt"``: eta * Lorentzian +
                (1 - eta) * Gaussian, FWHM from Caglioti's U, V, W, with the Scherrer width of
                ``crystallite_size`` added in quadrature unless it is None (paper 001, SI S4).
            crystallite_size: mean crystallite size L [nm] (paper 001 draws 20-100 nm).
            caglioti: (U, V, W) [deg^2] of FWHM^2 = U tan^2 theta + V tan theta + W (pseudo-Voigt).
            eta: Lorentzian fraction of the pseudo-Voigt, in [0, 1]. (Paper 001 writes the mixing
                the other way round, eta G + (1 - eta) L; with eta drawn uniformly in [0, 1] the
                two conventions give the same distribution.)
            kalpha2: add the K-alpha2 line (half the K-alpha1 intensity) of the calculator's
                radiation, which must be a named K-alpha line; peaks then sit at K-alpha1 and
                K-alpha2, not at the weighted mean "CuKa" wavelength.
            scherrer_constant: shape factor K (0.9 in paper 001).
            normalize: scale so that the maximum is 1.
            effects: experimental effects (:class:`~pymatgen_ml_xrd.diffraction.
                experimental_effects.ExperimentalEffects`) drawn once for this pattern; the
                result is on the pure pattern's scale (maximum 1 with ``normalize``).
            seed: integer seed or numpy Generator of the effects' random draws.
            impurity: the impurity phase's structure, simulated with the same settings; needed
                when ``effects.impurity_fraction`` is set.
            preferred_orientation: ``((h, k, l), r)``: March-Dollase texture along the normal of
                the lattice plane (h k l) of the structure's cell, r < 1 for plates, r > 1 for
                needles, 1 for none (:mod:`~pymatgen_ml_xrd.diffraction.texture`). When None and
                ``effects.preferred_orientation`` is set, a low-index direction and r are drawn.

        Returns:
            Diffractogram on the grid, at the calculator's wavelength (K-alpha1 with ``kalpha2``).
        """
        x = two_theta_grid(two_theta_range[0], two_theta_range[1], step) if _is_pair(two_theta_range) else None
        if x is None:
            raise InvalidParameterError(f"two_theta_range must be a (start, stop) pair, got {two_theta_range!r}")
        settings = self._dense_settings(x, profile, crystallite_size, caglioti, eta, kalpha2, scherrer_constant)
        texture = check_preferred_orientation(preferred_orientation)
        if effects is not None and not isinstance(effects, ExperimentalEffects):
            raise InvalidParameterError(f"effects must be an ExperimentalEffects, got {type(effects).__name__}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if preferred_orientation is None and effects is not None and effects.preferred_orientation is not None:
            texture = random_preferred_orientation(rng, effects.preferred_orientation)
        y = np.empty(len(x), dtype=np.float64)
        self._render(structure, x, step, settings, y, normalize, label="the structure", texture=texture)
        if effects is not None:
            y = self._with_effects(x, step, settings, y, effects, rng, impurity)
        return Diffractogram(x, y, wavelength=settings["wavelength"], radiation=settings["radiation"])

    def get_diffractograms(
        self,
        structures: Iterable[Structure | CrystalArrays],
        two_theta_range: tuple[float, float] = (5.0, 90.0),
        step: float = 0.01,
        profile: str = "gaussian",
        crystallite_size: float | Sequence[float] | None = 50.0,
        caglioti: tuple[float, float, float] = (0.005, 0.0, 0.005),
        eta: float = 0.5,
        kalpha2: bool = False,
        scherrer_constant: float = 0.9,
        normalize: bool = True,
        dtype: type = np.float32,
        preferred_orientation: tuple[Sequence[float], float] | Sequence | None = None,
    ) -> NDArray:
        """Dense diffractograms of many structures as one array of shape (n, n_points).

        Same options as :meth:`get_diffractogram`; ``crystallite_size`` may also be one size [nm]
        per structure and ``preferred_orientation`` one ``((h, k, l), r)`` (or None) per
        structure. Errors name the index of the offending structure.
        """
        structures = list(structures)
        x = two_theta_grid(two_theta_range[0], two_theta_range[1], step) if _is_pair(two_theta_range) else None
        if x is None:
            raise InvalidParameterError(f"two_theta_range must be a (start, stop) pair, got {two_theta_range!r}")
        if crystallite_size is not None and np.ndim(crystallite_size) == 1:
            sizes = [float(s) for s in crystallite_size]  # type: ignore[union-attr]
            if len(sizes) != len(structures):
                raise InvalidParameterError(
                    f"crystallite_size has {len(sizes)} values for {len(structures)} structures"
                )
        else:
            sizes = [crystallite_size] * len(structures)  # type: ignore[list-item]
        textures = _per_structure_textures(preferred_orientation, len(structures))
        out = np.empty((len(structures), len(x)), dtype=dtype)
        row = np.empty(len(x), dtype=np.float64)
        cache: dict = {}
        for i, (structure, size) in enumerate(zip(structures, sizes)):
            if size not in cache:
                cache[size] = self._dense_settings(x, profile, size, caglioti, eta, kalpha2, scherrer_constant)
            self._render(structure, x, step, cache[size], row, normalize, label=f"structure {i}", texture=textures[i])
            out[i] = row
        return out

    # ------------------------------------------------------------------ internals
    def _with_effects(self, x, step, settings, y, effects, rng, impurity) -> NDArray[np.float64]:
        impurities = None
        if effects.impurity_fraction is not None:
            if impurity is None:
                raise InvalidParameterError(
                    "effects.impurity_fraction is set: pass impurity=<Structure> or use "
                    "dataclasses.replace(effects, impurity_fraction=None)"
                )
            impurities = np.empty((1, len(x)))
            self._render(impurity, x, step, settings, impurities[0], True, label="the impurity")
        top = float(y.max())
        scale = top if top > 0 else 1.0
        return effects.apply(x, y[None, :] / scale, rng, impurities=impurities)[0].astype(np.float64) * scale

    def _prepare(self, structure) -> tuple[Structure, CrystalArrays, NDArray]:
        if isinstance(structure, CrystalArrays):
            raise InvalidInputTypeError("get_pattern needs a pymatgen Structure (hkl families need the lattice object)")
        if not isinstance(structure, IStructure):
            raise InvalidInputTypeError(f"expected a pymatgen Structure, got {type(structure).__name__}")
        # pymatgen's test ("U11_cif" in structure.site_properties) without building that dict
        anisotropic = any("U11_cif" in site.properties for site in structure.sites)
        ustar = get_ustar(structure) if anisotropic else None
        if ustar is not None and (self.symprec or self.debye_waller_factors):
            raise InvalidParameterError(
                "Neither symprec nor debye_waller_factors can be used with the U11_cif, ..., U12_cif site properties."
            )
        if self.symprec:
            CrystalArrays.from_structure(structure)  # validate before spglib sees it
            structure = SpacegroupAnalyzer(structure, symprec=self.symprec).get_refined_structure()
        arrays = CrystalArrays.from_structure(structure)
        if ustar is None:
            ustar_rows = _NO_USTAR
        else:
            ustar_rows = np.ascontiguousarray(ustar[arrays.site_index], dtype=np.float64)
            if not np.isfinite(ustar_rows).all():
                raise InvalidStructureError("U11_cif ... U12_cif site properties must be finite")
        return structure, arrays, ustar_rows

    def _shell(self, two_theta_range) -> tuple[float, float]:
        """Reciprocal-space shell [1/angstrom] of a 2-theta range, computed as pymatgen does.

        Shells of tuple ranges are remembered per wavelength (a loop over structures asks for
        the same range every time).
        """
        key = (two_theta_range, self.wavelength) if type(two_theta_range) is tuple else None
        shells = self.__dict__.setdefault("_shells", {})
        try:
            if key in shells:
                return shells[key]
        except TypeError:  # a tuple holding something unhashable: not remembered
            key = None
        shell = self._compute_shell(two_theta_range)
        if key is not None and len(shells) < 64:
            shells[key] = shell
        return shell

    def _compute_shell(self, two_theta_range) -> tuple[float, float]:
        if two_theta_range is None:
            return 0.0, 2 / self.wavelength
        if not _is_pair(two_theta_range):
            raise InvalidParameterError(f"two_theta_range must be a (min, max) pair or None, got {two_theta_range!r}")
        lo, hi = (float(t) for t in two_theta_range)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise InvalidParameterError(f"two_theta_range must be finite, got {two_theta_range!r}")
        if not lo < hi:
            raise InvalidParameterError(
                f"two_theta_range {tuple(two_theta_range)} is {'empty' if lo == hi else 'inverted'}: need min < max"
            )
        if lo < 0 or hi > 180:
            raise InvalidParameterError(f"two_theta_range {tuple(two_theta_range)} must lie within [0, 180] deg")
        min_r, max_r = (2 * math.sin(math.radians(t / 2)) / self.wavelength for t in two_theta_range)
        return min_r, max_r

    def _index_bounds(self, arrays: CrystalArrays, max_r: float) -> tuple[NDArray, tuple[int, int, int]]:
        """Inverse lattice (pymatgen's reciprocal lattice is built from it) and bounds on |h|, |k|, |l|.

        Raises:
            ReflectionLimitError: the memory guard (:func:`.peak_kernel.over_limits`) refuses the
                sphere of radius ``max_r``.
        """
        *bounds, n_sphere, table_bytes = index_bounds(arrays.lattice, arrays.volume, arrays.n_atoms, max_r)
        if over_limits(*bounds, n_sphere, table_bytes, self.max_reflections, _MAX_INDEX):
            raise self._limit_error(arrays, max_r)
        return _inverse(arrays.lattice), tuple(bounds)  # type: ignore[return-value]

    def _limit_error(self, arrays: CrystalArrays, max_r: float) -> ReflectionLimitError:
        """The error for a cell the memory guard refuses, with its numbers."""
        *bounds, n_sphere, table_bytes = index_bounds(arrays.lattice, arrays.volume, arrays.n_atoms, max_r)
        return ReflectionLimitError(
            f"the cell ({arrays.volume:.4g} A^3, {arrays.n_atoms} atoms) would give about {n_sphere:.3g} "
            f"reflections up to |g| = {max_r:.4g} 1/A with Miller indices up to {max(bounds)} "
            f"(phase tables {table_bytes / 1e6:.0f} MB), above max_reflections={self.max_reflections} "
            "(about 100 bytes each); narrow two_theta_range or raise max_reflections if memory allows"
        )

    def _dw_array(self, arrays: CrystalArrays) -> NDArray[np.float64]:
        """Isotropic Debye-Waller B [angstrom^2] per element of ``arrays`` (0 where not given)."""
        if not self.debye_waller_factors:
            return _NO_DW
        return np.array([float(self.debye_waller_factors.get(s, 0.0)) for s in arrays.element_symbols])

    def _dense_settings(self, x, profile, crystallite_size, caglioti, eta, kalpha2, scherrer_constant) -> dict:
        if profile not in _PROFILES:
            raise InvalidParameterError(f"profile must be one of {sorted(set(_PROFILES))}, got {profile!r}")
        code = _PROFILES[profile]
        if crystallite_size is None:
            if code == PROFILE_GAUSSIAN:
                raise InvalidParameterError("the gaussian profile needs a crystallite_size [nm]")
            size_a = 0.0
        else:
            size = float(crystallite_size)
            if not (math.isfinite(size) and size > 0):
                raise InvalidParameterError(f"crystallite_size must be a positive size in nm, got {crystallite_size!r}")
            size_a = 10.0 * size
        u, v, w = (float(c) for c in caglioti)
        if not all(math.isfinite(c) for c in (u, v, w)):
            raise InvalidParameterError(f"caglioti (U, V, W) must be finite, got {caglioti!r}")
        if not (0.0 <= eta <= 1.0):
            raise InvalidParameterError(f"eta (Lorentzian fraction) must lie in [0, 1], got {eta!r}")
        if code == PROFILE_GAUSSIAN:
            eta = 0.0
        if not (math.isfinite(scherrer_constant) and scherrer_constant > 0):
            raise InvalidParameterError(f"scherrer_constant must be positive, got {scherrer_constant!r}")
        radiation = getattr(self, "radiation", None)
        if kalpha2:
            lam1, lam2 = kalpha_doublet(radiation)
            radiation = radiation.split("Ka")[0] + "Ka1"  # type: ignore[union-attr]
        else:
            lam1, lam2 = self.wavelength, 0.0
        ends = np.array([x[0], x[-1]])
        fwhm = peak_fwhm(ends, max(lam1, lam2), code, scherrer_constant, size_a, u, v, w)
        if code == PROFILE_PSEUDO_VOIGT:
            t = np.tan(np.radians(x / 2))
            fwhm2 = u * t * t + v * t + w
            if (fwhm2 < 0).any() or (size_a == 0.0 and (fwhm2 <= 0).any()):
                raise InvalidParameterError(
                    f"caglioti (U, V, W) = {caglioti!r} gives FWHM^2 <= 0 inside the 2-theta range"
                )
        cutoff_g, cutoff_l = 3.0, 25.0
        margin = min(10.0, float(fwhm.max()) * (cutoff_l if eta > 0 else cutoff_g))
        tt_lo = max(0.0, x[0] - margin)
        tt_hi = min(179.9, x[-1] + margin)
        r_min = 2 * math.sin(math.radians(tt_lo / 2)) / max(lam1, lam2)
        r_max = 2 * math.sin(math.radians(tt_hi / 2)) / lam1
        return dict(
            wavelength=lam1, wavelength2=lam2, ratio2=KALPHA2_TO_KALPHA1_RATIO, radiation=radiation,
            profile=code, scherrer_k=float(scherrer_constant), size_a=size_a, u=u, v=v, w=w,
            eta=float(eta), cutoff_g=cutoff_g, cutoff_l=cutoff_l, r_min=r_min, r_max=r_max,
        )  # fmt: skip

    def _render(self, structure, x, step, s: dict, out, normalize: bool, label: str, texture=NO_TEXTURE) -> None:
        if isinstance(structure, CrystalArrays):
            arrays, ustar = structure, _NO_USTAR
        else:
            try:
                structure, arrays, ustar = self._prepare(structure)
            except (InvalidStructureError, TypeError) as err:
                raise type(err)(f"{label}: {err}") from None
        inv_lattice, bounds = self._index_bounds(arrays, s["r_max"])
        peak = dense_pattern(
            inv_lattice, *bounds, s["r_min"], s["r_max"],
            arrays.frac_coords, arrays.occupancies, arrays.atom_element, arrays.element_rows,
            self._dw_array(arrays), ustar,
            s["wavelength"], s["wavelength2"], s["ratio2"],
            float(x[0]), float(step), out,
            s["profile"], s["scherrer_k"], s["size_a"], s["u"], s["v"], s["w"], s["eta"],
            s["cutoff_g"], s["cutoff_l"], texture[0], texture[1],
        )  # fmt: skip
        if peak <= 0.0:
            raise InvalidStructureError(
                f"{label} has no reflection in 2-theta {x[0]:g}-{x[-1]:g} deg at {s['wavelength']:.5f} A"
            )
        if normalize:
            out /= peak


def _per_structure_textures(value, n: int) -> list[tuple[NDArray, float]]:
    """One checked (direction, r) per structure from None, one ((h, k, l), r) or a list of them."""
    single = value is None or (_is_pair(value) and isinstance(value[1], numbers.Real))
    if single:
        return [check_preferred_orientation(value)] * n
    if not isinstance(value, Sequence) or len(value) != n:
        raise InvalidParameterError(
            f"preferred_orientation must be ((h, k, l), r), None, or one of them per structure ({n}), got {value!r}"
        )
    textures = []
    for i, v in enumerate(value):
        try:
            textures.append(check_preferred_orientation(v))
        except InvalidParameterError as err:
            raise InvalidParameterError(f"structure {i}: {err}") from None
    return textures


def _is_pair(value) -> bool:
    if type(value) is tuple or type(value) is list:  # the common case, without the ABC check
        return len(value) == 2
    return isinstance(value, Sequence | np.ndarray) and not isinstance(value, str) and len(value) == 2


def _inverse(lattice: NDArray[np.float64]) -> NDArray[np.float64]:
    """numpy's LAPACK inverse of a validated (non-singular) 3x3 lattice, bit for bit.

    pymatgen builds the reciprocal lattice from ``np.linalg.inv``; numba's LAPACK rounds
    differently in about half of all cells, so the inverse must be numpy's. Its ufunc is called
    directly: ``np.linalg.inv``'s wrapper (array checks, an errstate context) costs 3-4x the
    inversion, and the lattice was checked to be finite and of non-zero volume already.
    """
    if _UMATH_INV is None:
        return np.linalg.inv(lattice)
    return _UMATH_INV(lattice, signature="d->d")
