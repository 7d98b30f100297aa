"""Whole-pattern refinement of one or more phases against a scan (scipy least squares).

Non-linear parameters - per phase the free lattice parameters of its crystal system, Caglioti U
and W and the Lorentzian fraction eta (where a phase asks for them, its March-Dollase r, its
structure parameters and its overall displacement B); globally the zero-point error and the sample
displacement - are refined by :func:`scipy.optimize.least_squares` (trust-region reflective,
bounded). For every trial of them the linear parameters - the phases' scale factors (>= 0)
and the coefficients of a Chebyshev background - are solved exactly by bounded linear least
squares (variable projection), so the optimiser never has to search for them. Residuals are
weighted by 1 / max(y, floor) (counting statistics). scipy is the well-kept library for this;
the forward model is the package's own kernel (:mod:`.profile_model`).

R_wp = sqrt(sum w (y - y_calc)^2 / sum w y^2); GOF = R_wp / R_exp with
R_exp = sqrt((N - P) / sum w y^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from pymatgen_ml_xrd.phases.profile_model import full_lattice, phase_pattern, texture_factors
from pymatgen_ml_xrd.phases.references import LATTICE_FREE, ReferencePhase

__all__ = ["PhaseState", "RefinementResult", "refine", "texture_start"]

LATTICE_RANGE = 0.05  # refined lattice parameters stay within +-5 % of their start
# weights 1 / max(y, floor): the floor is at least this share of the scan's maximum, so that scans
# that are not counts (background-subtracted, normalised to 100: RRUFF's) do not give the points
# near zero weights a million times those of the peaks
FLOOR_SHARE = 0.01
ANGLE_RANGE = 3.0  # [deg] for monoclinic and triclinic angles
TEXTURE_R_RANGE = (0.3, 3.0)  # March-Dollase r refined within these bounds
# free atomic coordinates refined within +-this (fractional, along each site's allowed directions:
# 0.05 of a 6 A cell is 0.3 A, an octahedral tilt's oxygen shift)
COORDINATE_RANGE = 0.05
# log of the factor on an orbit's scattering power refined within +-this (0.37x to 2.7x: an oxygen
# site for a sulfur one, a light cation for a heavy one is beyond it)
SITE_FACTOR_RANGE = 1.0
# overall isotropic displacement B [angstrom^2] refined within these bounds: room-temperature
# solids have 0.3-2; below 0 it stands for a surface roughness or absorption that weakens the
# low angles (B = -1 raises a 1 A reflection 1.6x against a 3 A one)
B_ISO_RANGE = (-1.0, 4.0)


@dataclass
class PhaseState:
    """A phase's refinable state (start values for :func:`refine`, results after it).

    Attributes:
        reference: the phase. lattice: (a, b, c, alpha, beta, gamma) [angstrom, deg].
        u, w: Caglioti U, W [deg^2]. eta: Lorentzian fraction. scale: scale factor of its
        unscaled intensities (|F|^2 m LP per cell). texture_r: March-Dollase r (1: random powder;
        refined when the phase has a texture direction). texture_direction: the plane normal
        (h, k, l) of the phase's preferred orientation, or None (random powder).
        coordinates: the structure parameters (:mod:`.coordinates`: free atomic coordinates as
        displacements along the site-symmetry modes, fractional; then the log scattering
        factor of each orbit but the strongest) refined from these values, or None (the
        reference's atoms as they are). coordinates_fixed: keep ``coordinates`` as they are
        (a phase found earlier, while later phases are added). b_iso: the overall isotropic
        displacement B [angstrom^2] (Debye-Waller factor exp(-B / (2 d^2)) on every reflection)
        refined from this value within ``B_ISO_RANGE``, or None (B = 0, not refined).
    """

    reference: ReferencePhase
    lattice: NDArray[np.float64]
    u: float = 0.0
    w: float = 0.01
    eta: float = 0.5
    scale: float = 0.0
    start_lattice: NDArray[np.float64] = field(default=None, repr=False)
    texture_r: float = 1.0
    texture_direction: tuple[float, float, float] | None = None
    coordinates: NDArray[np.float64] | None = None
    coordinates_fixed: bool = False
    b_iso: float | None = None

    def __post_init__(self) -> None:
        self.lattice = np.asarray(self.lattice, dtype=np.float64)
        if self.start_lattice is None:
            self.start_lattice = self.lattice.copy()


@dataclass
class RefinementResult:
    """What :func:`refine` found.

    Attributes:
        phases: refined :class:`PhaseState` per phase. zero [deg], displacement [mm].
        background: (n,) refined background. components: (n_phases, n) each phase's scaled pattern.
        y_calc: (n,) the whole fit. rwp, gof, chi2 (weighted), n_parameters, bic, success.
    """

    phases: list[PhaseState]
    zero: float
    displacement: float
    background: NDArray[np.float64]
    components: NDArray[np.float64]
    y_calc: NDArray[np.float64]
    rwp: float
    gof: float
    chi2: float
    n_parameters: int
    bic: float
    success: bool
    message: str = ""


def _lattice_bounds(state: PhaseState) -> tuple[list, list, list]:
    indices, _ = LATTICE_FREE[state.reference.crystal_system]
    x0, lo, hi = [], [], []
    for i in indices:
        start = float(state.start_lattice[i])
        span = ANGLE_RANGE if i >= 3 else LATTICE_RANGE * start
        x0.append(float(np.clip(state.lattice[i], start - span, start + span)))
        lo.append(start - span)
        hi.append(start + span)
    return x0, lo, hi


def refine(x: NDArray, y: NDArray, phases: list[PhaseState], lines: tuple, background_degree: int = 8,
           refine_displacement: bool = True, zero: float = 0.0, displacement: float = 0.0,
           max_nfev: int = 60, weights: NDArray | None = None,
           texture: tuple[int, int, int] | None = None) -> RefinementResult:  # fmt: skip
    """Refine ``phases`` jointly against the scan (x uniform [deg], y intensities); see the
    module docstring. ``lines``: ((wavelength, relative intensity), ...). ``texture``: the
    plane normal (h, k, l) of a March-Dollase preferred orientation of every phase (overrides
    their own ``texture_direction``); the r of each phase with a direction is refined within
    ``TEXTURE_R_RANGE``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    weights = _weights(y) if weights is None else weights
    sqrt_w = np.sqrt(weights)
    basis = _background_basis(x, background_degree)
    directions = [None if (texture is None and s.texture_direction is None)
                  else np.asarray(s.texture_direction if texture is None else texture, dtype=np.float64)
                  for s in phases]  # fmt: skip

    # the vector of non-linear parameters: [zero, (displacement), per phase: free lattice, U, W, eta]
    start, lower, upper, slices = [float(zero)], [-0.5], [0.5], []
    if refine_displacement:
        start.append(float(displacement))
        lower.append(-0.5)
        upper.append(0.5)
    d_mins = [_table_d_min(x, lines, state) for state in phases]
    models = [state.reference.coordinates(lines[0][0], d_min) if state.coordinates is not None else None
              for state, d_min in zip(phases, d_mins)]  # fmt: skip
    fixed_f2m = [m.f2m(s.coordinates) if m is not None and s.coordinates_fixed else None
                 for s, m in zip(phases, models)]  # fmt: skip
    models = [None if f is not None else m for m, f in zip(models, fixed_f2m)]  # refined ones only
    for state, direction, model in zip(phases, directions, models):
        lat0, lat_lo, lat_hi = _lattice_bounds(state)
        begin = len(start)
        start += [*lat0, max(state.u, 0.0), max(state.w, 1e-6), float(np.clip(state.eta, 0, 1))]
        lower += [*lat_lo, 0.0, 1e-6, 0.0]
        upper += [*lat_hi, 0.5, 0.5, 1.0]
        if direction is not None:
            start.append(float(np.clip(state.texture_r, *TEXTURE_R_RANGE)))
            lower.append(TEXTURE_R_RANGE[0])
            upper.append(TEXTURE_R_RANGE[1])
        if model is not None:
            k = model.n_parameters
            limits = np.array([COORDINATE_RANGE] * model.n_free + [SITE_FACTOR_RANGE] * model.n_site_factors)
            p0 = np.zeros(k) if len(state.coordinates) != k else np.asarray(state.coordinates, dtype=np.float64)
            start += list(np.clip(p0, -limits, limits))
            lower += list(-limits)
            upper += list(limits)
        if state.b_iso is not None:
            start.append(float(np.clip(state.b_iso, *B_ISO_RANGE)))
            lower.append(B_ISO_RANGE[0])
            upper.append(B_ISO_RANGE[1])
        slices.append((begin, len(lat0)))
    start_v = np.clip(np.array(start), np.array(lower), np.array(upper))

    def unpack(v):
        z = v[0]
        disp = v[1] if refine_displacement else 0.0
        out = []
        for state, direction, model, (begin, k) in zip(phases, directions, models, slices):
            lattice = full_lattice(v[begin:begin + k], state.start_lattice, state.reference.crystal_system)
            at = begin + k + 3
            r = v[at] if direction is not None else 1.0
            at += direction is not None
            delta = v[at:at + model.n_parameters].copy() if model is not None else None
            at += model.n_parameters if model is not None else 0
            b = float(v[at]) if state.b_iso is not None else None
            out.append((lattice, v[begin + k], v[begin + k + 1], v[begin + k + 2], r, delta, b))
        return z, disp, out

    def columns(v):
        z, disp, per_phase = unpack(v)
        cols = []
        for state, direction, d_min, model, fixed, (lattice, u, w, eta, r, delta, b) in zip(
                phases, directions, d_mins, models, fixed_f2m, per_phase):  # fmt: skip
            f2m = model.f2m(delta) if model is not None else fixed
            cols.append(_phase_column(x, state.reference, d_min, lattice, lines, z, disp, u, w, eta, direction, r,
                                      f2m=f2m, b_iso=b or 0.0))  # fmt: skip
        return np.column_stack([*cols, basis]) if cols else basis

    n_phase = len(phases)

    def linear(a):
        return _scales_and_background(a, y, weights, n_phase)

    def residual(v):
        a = columns(v)
        return (y - a @ linear(a)) * sqrt_w

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # small dense algebra: BLAS threads only cost here
        fit = least_squares(residual, start_v, bounds=(lower, upper), method="trf", x_scale="jac", diff_step=1e-4,
                            max_nfev=max_nfev * (len(start_v) + 1))  # fmt: skip
    a = columns(fit.x)
    coef = linear(a)
    z, disp, per_phase = unpack(fit.x)
    components = (a[:, :n_phase] * coef[:n_phase]).T
    background = basis @ coef[n_phase:]
    y_calc = a @ coef
    chi2 = float(np.sum(weights * (y - y_calc) ** 2))
    sum_wy2 = float(np.sum(weights * y**2))
    n_params = len(start_v) + len(coef)
    rwp = float(np.sqrt(chi2 / sum_wy2)) if sum_wy2 > 0 else float("nan")
    rexp = float(np.sqrt(max(n - n_params, 1) / sum_wy2)) if sum_wy2 > 0 else float("nan")
    refined = [PhaseState(reference=s.reference, lattice=lat, u=float(u), w=float(w), eta=float(eta),
                          scale=float(coef[i]), start_lattice=s.start_lattice, texture_r=float(r),
                          texture_direction=None if d is None else tuple(float(v) for v in d),
                          coordinates=s.coordinates if f is not None else delta, coordinates_fixed=f is not None,
                          b_iso=b)
               for i, (s, d, f, (lat, u, w, eta, r, delta, b)) in enumerate(zip(phases, directions, fixed_f2m,
                                                                             per_phase))]  # fmt: skip
    bic = float(n * np.log(max(chi2, 1e-300) / n) + n_params * np.log(n))
    return RefinementResult(phases=refined, zero=float(z), displacement=float(disp), background=background,
                            components=components, y_calc=y_calc, rwp=rwp, gof=rwp / rexp if rexp > 0 else float("nan"),
                            chi2=chi2, n_parameters=n_params, bic=bic, success=bool(fit.success),
                            message=str(fit.message))  # fmt: skip


def texture_start(x: NDArray, y: NDArray, fit: RefinementResult, lines: tuple, background_degree: int,
                  directions: tuple, r_values: tuple,
                  weights: NDArray | None = None) -> tuple[tuple[float, float, float], float, float] | None:  # fmt: skip
    """The best March-Dollase (direction, r) to start refining the last phase of ``fit`` from, and
    the weighted chi^2 it reaches, or None if no pair lowers ``fit.chi2``.

    Every (direction, r) of the grid ``directions`` x ``r_values`` is tried with all else held
    at ``fit``'s values, re-solving only the linear parameters (scales and background): the
    refined r is multimodal (started at 1 it falls into the minimum on the wrong side), so a
    coarse grid picks the start and :func:`refine` goes on from there. ``weights``: those
    ``fit`` was refined with (default: :func:`refine`'s)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    weights = _weights(y) if weights is None else weights
    basis = _background_basis(x, background_degree)
    last = fit.phases[-1]
    others = fit.components[:-1].T  # the other phases as they were fitted (their scales re-solved)
    d_min = _table_d_min(x, lines, last)
    f2m = _moved_intensities(last, lines, d_min)
    best = None
    for direction in directions:
        for r in r_values:
            column = _phase_column(x, last.reference, d_min, last.lattice, lines, fit.zero, fit.displacement,
                                   last.u, last.w, last.eta, np.asarray(direction, dtype=np.float64), float(r),
                                   f2m=f2m, b_iso=last.b_iso or 0.0)  # fmt: skip
            a = np.column_stack([others, column, basis])
            coef = _scales_and_background(a, y, weights, len(fit.phases))
            chi2 = float(np.sum(weights * (y - a @ coef) ** 2))
            if chi2 < fit.chi2 and (best is None or chi2 < best[2]):
                best = (tuple(float(v) for v in direction), float(r), chi2)
    return best


def _moved_intensities(state: PhaseState, lines: tuple, d_min: float) -> NDArray[np.float64] | None:
    """The table intensities of ``state`` with its refined coordinates (None: the table's own)."""
    if state.coordinates is None:
        return None
    model = state.reference.coordinates(lines[0][0], d_min)
    return None if model is None else model.f2m(state.coordinates)


def _weights(y: NDArray) -> NDArray[np.float64]:
    """Counting-statistics weights 1 / max(y, floor) (see ``FLOOR_SHARE``)."""
    floor = max(float(np.percentile(y[y > 0], 5)) if (y > 0).any() else 1.0, FLOOR_SHARE * float(y.max()), 1e-12)
    return 1.0 / np.maximum(y, floor)


def _background_basis(x: NDArray, degree: int) -> NDArray[np.float64]:
    """(n, degree + 1) Chebyshev polynomials over the scan."""
    t = (x - x[0]) / max(x[-1] - x[0], 1e-12) * 2.0 - 1.0
    return np.polynomial.chebyshev.chebvander(t, degree)


def _table_d_min(x: NDArray, lines: tuple, state: PhaseState) -> float:
    """A phase's reflections are needed down to the d-spacing its largest reachable cell brings
    into the scan."""
    stretch = float(np.max(state.start_lattice[:3] / state.reference.lattice_parameters[:3])) * (1.0 + LATTICE_RANGE)
    return table_d_min(_d_min(x, lines), stretch)


def _phase_column(x: NDArray, reference: ReferencePhase, d_min: float, lattice: NDArray, lines: tuple, zero: float,
                  displacement: float, u: float, w: float, eta: float, direction: NDArray | None,
                  r: float, f2m: NDArray | None = None, b_iso: float = 0.0) -> NDArray[np.float64]:  # fmt: skip
    """(n,) one phase's unscaled pattern on the uniform scan ``x``, textured when ``direction``
    is given, with the intensities ``f2m`` instead of the table's when given (moved atoms), and
    the overall displacement ``b_iso`` [angstrom^2]."""
    table = reference.peaks(lines[0][0], d_min)
    factors = None
    if direction is not None:
        factors = texture_factors(reference.families(lines[0][0], d_min), lattice, direction, r)
    return phase_pattern(float(x[0]), float(x[1] - x[0]), len(x), table, lattice, lines, zero, displacement,
                         u, w, eta, texture=factors, f2m=f2m, b_iso=b_iso)  # fmt: skip


def _scales_and_background(a: NDArray, y: NDArray, weights: NDArray, n_phase: int) -> NDArray[np.float64]:
    """Weighted linear least squares for the columns of ``a`` (phases first, then background),
    with the phases' scales >= 0: normal equations on the columns kept, dropping the most
    negative scale until none is negative (an active set; at most n_phase rounds)."""
    aw = a * weights[:, None]
    gram = a.T @ aw
    rhs = aw.T @ y
    norm = np.sqrt(np.maximum(np.diag(gram), 1e-300))
    gram_n = gram / np.outer(norm, norm)
    rhs_n = rhs / norm
    keep = np.ones(a.shape[1], dtype=bool)
    coef = np.zeros(a.shape[1])
    for _ in range(n_phase + 1):
        idx = np.flatnonzero(keep)
        sol = np.linalg.lstsq(gram_n[np.ix_(idx, idx)], rhs_n[idx], rcond=1e-12)[0]
        coef[:] = 0.0
        coef[idx] = sol
        negative = [i for i in range(n_phase) if keep[i] and coef[i] < 0]
        if not negative:
            break
        keep[min(negative, key=lambda i: coef[i])] = False
    coef[:n_phase] = np.maximum(coef[:n_phase], 0.0)
    return coef / norm


def table_d_min(d_min: float, stretch: float) -> float:
    """The d-spacing [angstrom] down to which a reference's reflections are needed when its cell
    lengths may grow by up to ``stretch`` (a factor) and the scan reaches ``d_min``: a reflection
    beyond the scan in the reference's own cell moves into it in a larger one. The factor is
    rounded up to a multiple of 0.05 (at least 1.05) so that few peak tables are cached."""
    return d_min / max(math.ceil(stretch / 0.05 - 1e-9) * 0.05, 1.05)


def _d_min(x: NDArray, lines: tuple) -> float:
    """The smallest d-spacing [angstrom] any line reaches within the scan (with a margin)."""
    lam = min(line[0] for line in lines)
    top = min(float(x[-1]) + 2.0, 179.0)
    return lam / (2.0 * np.sin(np.radians(top / 2.0)))
