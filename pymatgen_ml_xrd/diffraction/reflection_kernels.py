"""Numba kernels: reciprocal-lattice enumeration, structure factors, peak grouping, profiles.

All inputs are plain, already validated arrays (see :mod:`.crystal_arrays`); nothing here
checks its arguments. Lengths in angstrom, reciprocal lengths in 1/angstrom (no 2 pi), angles
in degrees unless named ``theta`` (radians).

Exactness with pymatgen. ``enumerate_reflections`` reproduces, operation by operation, the
distances that pymatgen's ``Lattice.get_points_in_sphere`` (Cython ``find_points_in_spheres``)
computes for the reciprocal lattice, including its inclusion tests, and returns the points in
pymatgen's order (ascending |g|, then descending h, k, l). It is compiled *without* fastmath so
that no multiply-add is fused: |g| is bit-identical to pymatgen's. ``group_peaks`` reproduces
pymatgen's 2-theta binning bit for bit given the same theta (the caller takes theta from numpy's
arcsin, as pymatgen does). Intensities only need 1e-10 relative accuracy and use fastmath.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pymatgen_ml_xrd.diffraction.scattering import COEFF_A, COEFF_B, N_COEFF, ROW_Z
from pymatgen_ml_xrd.diffraction.vector_exp import exp_into

__all__ = [
    "enumerate_reflections",
    "distinct_shells",
    "form_factor_exponentials",
    "structure_factors_squared",
    "sin_theta",
    "group_peaks",
    "hkl_families",
    "merged_peaks",
    "render_profiles",
]

#: pymatgen's find_points_in_spheres recurses with this radius when r < 1 (its ``min_r``)
_PMG_MIN_R = 1.0
#: pymatgen's numerical tolerance on squared distances in find_points_in_spheres
_PMG_TOL = 1e-8


@njit(cache=True)
def _keep(d2, r_min, r_max):
    """pymatgen's inclusion test for a point at squared distance d2; returns |g| or -1."""
    if r_max < _PMG_MIN_R:
        g = math.sqrt(d2)
        if not g <= r_max:
            return -1.0
    else:
        if not d2 < r_max * r_max + _PMG_TOL:
            return -1.0
        g = math.sqrt(d2)
    if r_min != 0.0 and not g >= r_min:
        return -1.0
    return g


@njit(cache=True)
def _l_window(p0, p1, p2, c0, c1, c2, radius, lmax):
    """Range of l for which |p + l c| may be <= radius (one index of margin on each side)."""
    cc = c0 * c0 + c1 * c1 + c2 * c2
    pc = p0 * c0 + p1 * c1 + p2 * c2
    pp = p0 * p0 + p1 * p1 + p2 * p2
    disc = pc * pc - cc * (pp - radius * radius)
    if disc < 0.0:
        return 1, 0
    half = math.sqrt(disc) / cc
    centre = -pc / cc
    lo = max(int(math.floor(centre - half)) - 1, -lmax)
    hi = min(int(math.ceil(centre + half)) + 1, lmax)
    return lo, hi


@njit(cache=True)
def enumerate_reflections(inv_lattice, hmax, kmax, lmax, r_min, r_max):
    """Reciprocal points g = h b1 + k b2 + l b3 of one Friedel half-space with r_min <= |g| <= r_max.

    Args:
        inv_lattice: (3, 3) ``np.linalg.inv(lattice)``; the crystallographic reciprocal lattice
            (rows b1, b2, b3 [1/angstrom]) is formed from it with pymatgen's operations,
            ``(inv.T * 2 * pi) / (2 * pi)``.
        hmax, kmax, lmax: bounds on |h|, |k|, |l| (callers pass floor(r_max |a_i|) + 1).
        r_min, r_max: shell radii [1/angstrom]; r_min == 0 disables the lower bound.

    Returns:
        hkl (M, 3) int64 and |g| (M,) float64, sorted by ascending |g| and, for equal |g|, by
        descending (h, k, l): pymatgen's order. The half-space is (h, k, l) lexicographically
        positive; the other half follows from Friedel's law.
    """
    recip = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            recip[i, j] = (inv_lattice[j, i] * 2 * math.pi) / (2 * math.pi)
    radius = r_max * (1.0 + 1e-9) + 1e-9
    c0 = recip[2, 0]
    c1 = recip[2, 1]
    c2 = recip[2, 2]
    capacity = 0
    for h in range(hmax, -1, -1):
        for k in range(kmax, (-kmax if h > 0 else 0) - 1, -1):
            p0 = float(h) * recip[0, 0] + float(k) * recip[1, 0]
            p1 = float(h) * recip[0, 1] + float(k) * recip[1, 1]
            p2 = float(h) * recip[0, 2] + float(k) * recip[1, 2]
            lo, hi = _l_window(p0, p1, p2, c0, c1, c2, radius, lmax)
            capacity += max(hi - lo + 1, 0)
    hkl = np.empty((capacity, 3), dtype=np.int64)
    gs = np.empty(capacity, dtype=np.float64)
    count = 0
    for h in range(hmax, -1, -1):
        for k in range(kmax, (-kmax if h > 0 else 0) - 1, -1):
            fh = float(h)
            fk = float(k)
            # same association as pymatgen: i*L0 + j*L1 + k*L2 + coords_in_cell (= 0.0)
            p0 = fh * recip[0, 0] + fk * recip[1, 0]
            p1 = fh * recip[0, 1] + fk * recip[1, 1]
            p2 = fh * recip[0, 2] + fk * recip[1, 2]
            lo, hi = _l_window(p0, p1, p2, c0, c1, c2, radius, lmax)
            if h == 0 and k == 0:
                lo = max(lo, 1)
            for l in range(hi, lo - 1, -1):
                fl = float(l)
                x = p0 + fl * c0 + 0.0
                y = p1 + fl * c1 + 0.0
                z = p2 + fl * c2 + 0.0
                g = _keep(x * x + y * y + z * z, r_min, r_max)
                if g >= 0.0:
                    hkl[count, 0] = h
                    hkl[count, 1] = k
                    hkl[count, 2] = l
                    gs[count] = g
                    count += 1
    # the enumeration order is descending (h, k, l); a stable sort on |g| gives pymatgen's order
    order = stable_argsort_ball(gs[:count])
    return hkl[order], gs[order]


@njit(cache=True)
def stable_argsort_ball(values):
    """Stable ascending argsort of non-negative values spread like radii of points in a ball.

    Equivalent to ``np.argsort(values, kind="stable")``, in O(n): values are put in n buckets of
    equal expected population, (v / v_max)^3 being uniform for points filling a ball, then each
    bucket is insertion-sorted (stable). Hand-written because the general O(n log n) sorts cost
    more than the rest of the enumeration here (20-30 us for 1,000 reflections).
    """
    n = values.shape[0]
    order = np.empty(n, dtype=np.int64)
    if n == 0:
        return order
    vmax = 0.0
    for i in range(n):
        vmax = max(vmax, values[i])
    if vmax <= 0.0:
        return np.argsort(values, kind="mergesort")
    bucket = np.empty(n, dtype=np.int64)
    first = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        t = values[i] / vmax
        b = min(int(t * t * t * n), n - 1)
        bucket[i] = b
        first[b + 1] += 1
    for b in range(n):
        first[b + 1] += first[b]
    fill = first[:n].copy()
    for i in range(n):
        b = bucket[i]
        order[fill[b]] = i
        fill[b] += 1
    for b in range(n):
        for i in range(first[b] + 1, first[b + 1]):
            idx = order[i]
            v = values[idx]
            j = i
            while j > first[b] and values[order[j - 1]] > v:
                order[j] = order[j - 1]
                j -= 1
            order[j] = idx
    return order


@njit(cache=True)
def distinct_shells(g):
    """Distinct values of s^2 = (|g| / 2)^2 along ascending ``g``.

    Returns:
        s2 (D,) [1/angstrom^2] and shell (M,): reflection r has s^2 = s2[shell[r]]. Form factors
        are evaluated once per shell.
    """
    m = g.shape[0]
    shell = np.empty(m, dtype=np.int64)
    values = np.empty(m)
    d = -1
    prev = -1.0
    for r in range(m):
        v = (g[r] / 2) ** 2
        if d < 0 or v != prev:
            d += 1
            values[d] = v
            prev = v
        shell[r] = d
    return values[: d + 1], shell


@njit(cache=True)
def form_factor_exponentials(s2, element_rows, dw_b):
    """exp(-b_k s^2) of the four form-factor terms and exp(-B s^2) (Debye-Waller) per element.

    For kernels that run without Python in between: the vectorised exp of :mod:`.vector_exp`
    (relative error below 1e-15, twice numpy's speed here, where libm's scalar exp was most of a
    30-atom pattern's time).

    Args:
        s2: (D,) [1/angstrom^2].  element_rows: (n_el,) rows of the scattering tables.
        dw_b: (n_el,) isotropic B [angstrom^2] (0 = none), or shape (0,) for none at all.

    Returns:
        (n_el, 5, D) float64.
    """
    n_el = element_rows.shape[0]
    n = s2.shape[0]
    with_dw = dw_b.shape[0] == n_el
    out = np.empty((n_el, N_COEFF + 1, n))
    arg = np.empty(n)
    bits = np.empty(n, dtype=np.int64)
    for e in range(n_el):
        for c in range(N_COEFF + 1):
            b = COEFF_B[element_rows[e], c] if c < N_COEFF else (dw_b[e] if with_dw else 0.0)
            if b == 0.0:
                out[e, c, :] = 1.0
                continue
            for d in range(n):
                arg[d] = -b * s2[d]
            exp_into(arg, out[e, c], bits)
    return out


@njit(cache=True)
def _phase_table(x, weight, hmax):
    """weight_j exp(2 pi i h x_j) for h = -hmax..hmax, as (real, imag) arrays of shape (2 hmax + 1, n).

    Built by complex multiplication from exp(2 pi i x_j): one sine and cosine per atom instead of
    one per entry; the rounding error grows like h ulp (below 1e-13 for any index allowed here).
    """
    n = x.shape[0]
    re = np.empty((2 * hmax + 1, n))
    im = np.empty((2 * hmax + 1, n))
    for j in range(n):
        c = math.cos(2.0 * math.pi * x[j])
        s = math.sin(2.0 * math.pi * x[j])
        pr = weight[j]
        pi = 0.0
        re[hmax, j] = pr
        im[hmax, j] = 0.0
        for h in range(1, hmax + 1):
            pr, pi = pr * c - pi * s, pr * s + pi * c
            re[hmax + h, j] = pr
            im[hmax + h, j] = pi
            re[hmax - h, j] = pr
            im[hmax - h, j] = -pi
    return re, im


@njit(cache=True, fastmath=True)
def structure_factors_squared(hkl, shell, s2, expo, frac, occ, atom_element, element_rows, ustar):
    """|F(hkl)|^2 for each reflection (no Lorentz-polarisation factor).

    F = sum_j f_e(j)(s) DW_e(j)(s) DW_j(hkl) occ_j exp(2 pi i hkl . r_j),
    f_e(s) = Z_e - 41.78214 s^2 sum_k a_k exp(-b_k s^2),  DW_e = exp(-B_e s^2): pymatgen's forms.

    Args:
        hkl: (M, 3) Miller indices.  shell: (M,) and s2: (D,) from :func:`distinct_shells`.
        expo: (n_el, 4 or 5, D) exp(-b_k s^2) (and exp(-B s^2) for Debye-Waller as 5th term),
            from :func:`form_factor_exponentials` or numpy.
        frac: (n, 3) fractional coordinates; occ: (n,) occupancies; atom_element: (n,) index of
            each atom's element in element_rows (n_el,), the rows of the scattering tables.
        ustar: (n, 3, 3) anisotropic U* per atom, or an array of shape (0, 3, 3) for none.

    Returns:
        (M,) float64 |F|^2 [electrons^2].
    """
    m = hkl.shape[0]
    n = frac.shape[0]
    n_el = element_rows.shape[0]
    out = np.zeros(m, dtype=np.float64)
    if m == 0:
        return out
    hmax = 0
    kmax = 0
    lmax = 0
    for r in range(m):
        hmax = max(hmax, abs(hkl[r, 0]))
        kmax = max(kmax, abs(hkl[r, 1]))
        lmax = max(lmax, abs(hkl[r, 2]))
    # phase tables exp(2 pi i h x_j) with atoms contiguous; occupancy folded into the h table
    xr, xi = _phase_table(frac[:, 0], occ, hmax)
    yr, yi = _phase_table(frac[:, 1], np.ones(n), kmax)
    zr, zi = _phase_table(frac[:, 2], np.ones(n), lmax)
    use_ustar = ustar.shape[0] == n
    ff = np.empty(n_el)
    w = np.empty(n)
    debye_waller = expo.shape[1] > N_COEFF
    for r in range(m):
        d = shell[r]
        if r == 0 or d != shell[r - 1]:
            for e in range(n_el):
                row = element_rows[e]
                acc = 0.0
                for c in range(N_COEFF):
                    acc += COEFF_A[row, c] * expo[e, c, d]
                ff[e] = ROW_Z[row] - 41.78214 * s2[d] * acc
                if debye_waller:
                    ff[e] *= expo[e, N_COEFF, d]
            for j in range(n):
                w[j] = ff[atom_element[j]]
        ih = hkl[r, 0] + hmax
        ik = hkl[r, 1] + kmax
        il = hkl[r, 2] + lmax
        fre = 0.0
        fim = 0.0
        if use_ustar:
            h = float(hkl[r, 0])
            k = float(hkl[r, 1])
            l = float(hkl[r, 2])
            for j in range(n):
                q = (
                    h * (ustar[j, 0, 0] * h + ustar[j, 0, 1] * k + ustar[j, 0, 2] * l)
                    + k * (ustar[j, 1, 0] * h + ustar[j, 1, 1] * k + ustar[j, 1, 2] * l)
                    + l * (ustar[j, 2, 0] * h + ustar[j, 2, 1] * k + ustar[j, 2, 2] * l)
                )
                wj = w[j] * math.exp(-2.0 * math.pi * math.pi * q)
                ar = xr[ih, j] * yr[ik, j] - xi[ih, j] * yi[ik, j]
                ai = xr[ih, j] * yi[ik, j] + xi[ih, j] * yr[ik, j]
                fre += wj * (ar * zr[il, j] - ai * zi[il, j])
                fim += wj * (ar * zi[il, j] + ai * zr[il, j])
        else:
            for j in range(n):
                ar = xr[ih, j] * yr[ik, j] - xi[ih, j] * yi[ik, j]
                ai = xr[ih, j] * yi[ik, j] + xi[ih, j] * yr[ik, j]
                fre += w[j] * (ar * zr[il, j] - ai * zi[il, j])
                fim += w[j] * (ar * zi[il, j] + ai * zr[il, j])
        out[r] = fre * fre + fim * fim
    return out


@njit(cache=True)
def sin_theta(g, wavelength):
    """sin(theta) = lambda |g| / 2 clipped to [-1, 1], with pymatgen's float operations."""
    out = np.empty(g.shape[0])
    for r in range(g.shape[0]):
        out[r] = min(max(wavelength * g[r] / 2, -1.0), 1.0)
    return out


@njit(cache=True)
def _family_code(h, k, l, hexagonal):
    """Sorted absolute Miller(-Bravais) indices packed in one integer: equal for one family."""
    a = abs(h)
    b = abs(k)
    c = abs(l)
    d = abs(h + k) if hexagonal else 0
    # sorting network for four values
    if a > b:
        a, b = b, a
    if c > d:
        c, d = d, c
    if a > c:
        a, c = c, a
    if b > d:
        b, d = d, b
    if b > c:
        b, c = c, b
    return ((a * 4096 + b) * 4096 + c) * 4096 + d


@njit(cache=True, error_model="numpy")
def group_peaks(theta, sin_t, g, f2, two_theta_tol, scaled_tol, scale_to):
    """Merge reflections into peaks exactly as pymatgen's get_pattern does.

    Args:
        theta: (M,) Bragg angles [rad] (from numpy's arcsin, like pymatgen); sin_t: (M,) their
            sines (the arcsin argument); g, f2: as returned by the kernels above, in pymatgen's
            order. The Lorentz-polarisation factor is computed from sin_t without further
            transcendental functions (same value to ~1e-15 relative) except next to 90 deg.
        two_theta_tol: pymatgen's bin width [deg] (1e-5).  scaled_tol: pymatgen's threshold on
            the 0-100 scale (1e-3) below which a peak is dropped.
        scale_to: if > 0, intensities are divided by max / scale_to (pymatgen's normalize).

    Returns:
        x (P,) 2-theta [deg], y (P,) intensities, d (P,) [angstrom], and the members of each kept
        peak: reflections ``order[lo[p]:hi[p]]`` (for :func:`hkl_families`).
    """
    m = theta.shape[0]
    tt = np.empty(m)
    inten = np.empty(m)
    keys = np.empty(m, dtype=np.int64)
    monotone = True
    for r in range(m):
        sint = sin_t[r]
        cos2t = 1.0 - 2.0 * sint * sint
        cos_sq = 1.0 - sint * sint
        # near theta = 90 deg, 1 - sin^2 cancels: take cos(theta) itself (finite there, as in pymatgen)
        cost = math.sqrt(cos_sq) if cos_sq > 1e-6 else math.cos(theta[r])
        lorentz = (1 + cos2t**2) / (sint**2 * cost)
        inten[r] = 2 * f2[r] * lorentz
        tt[r] = math.degrees(2 * theta[r])
        keys[r] = np.int64(np.rint(tt[r] / two_theta_tol))
        if r > 0 and keys[r] < keys[r - 1]:
            monotone = False
    # pymatgen groups by key in a dict; with sorted keys, peaks are runs of equal key
    order = np.arange(m) if monotone else np.argsort(keys, kind="mergesort")
    peak_first = np.empty(m + 1, dtype=np.int64)
    peak_sum = np.empty(m)
    n_peaks = 0
    for i in range(m):
        r = order[i]
        if i == 0 or keys[r] != keys[order[i - 1]]:
            peak_first[n_peaks] = i
            peak_sum[n_peaks] = inten[r]
            n_peaks += 1
        else:
            peak_sum[n_peaks - 1] += inten[r]
    peak_first[n_peaks] = m
    biggest = 0.0
    for p in range(n_peaks):
        biggest = max(biggest, peak_sum[p])
    x = np.empty(n_peaks)
    y = np.empty(n_peaks)
    d = np.empty(n_peaks)
    lo = np.empty(n_peaks, dtype=np.int64)
    hi = np.empty(n_peaks, dtype=np.int64)
    kept = 0
    for p in range(n_peaks):
        if not peak_sum[p] / biggest * 100 > scaled_tol:
            continue
        r0 = order[peak_first[p]]
        x[kept] = tt[r0]
        y[kept] = peak_sum[p]
        d[kept] = 1.0 / g[r0]
        lo[kept] = peak_first[p]
        hi[kept] = peak_first[p + 1]
        kept += 1
    y = y[:kept]
    if scale_to > 0.0 and kept > 0:
        factor = y.max() / scale_to
        for p in range(kept):
            y[p] /= factor
    return x[:kept], y, d[:kept], order, lo[:kept], hi[:kept]


@njit(cache=True)
def hkl_families(hkl, order, lo, hi, hexagonal):
    """hkl families of each peak, as pymatgen's ``get_unique_families`` forms them.

    Two reflections belong to one family when their absolute (Miller-Bravais, if hexagonal)
    indices are permutations of each other; a family is named by its lexicographically largest
    member and families keep their order of first appearance. Each reflection stands for itself
    and its Friedel mate -hkl (the half-space member is always the larger of the two).

    Args:
        hkl: (M, 3) reflections; order, lo, hi: from :func:`group_peaks`.

    Returns:
        names (F, 4) as (h, k, -h-k, l), multiplicities (F,), start (P + 1,): families of peak p
        are ``start[p]:start[p+1]``.
    """
    n_peaks = lo.shape[0]
    total = 0
    for p in range(n_peaks):
        total += hi[p] - lo[p]
    names = np.empty((total, 4), dtype=np.int64)
    mult = np.empty(total, dtype=np.int64)
    codes = np.empty(total, dtype=np.int64)
    start = np.empty(n_peaks + 1, dtype=np.int64)
    n_fam = 0
    for p in range(n_peaks):
        start[p] = n_fam
        for i in range(lo[p], hi[p]):
            r = order[i]
            h = hkl[r, 0]
            k = hkl[r, 1]
            l = hkl[r, 2]
            code = _family_code(h, k, l, hexagonal)
            f = start[p]
            while f < n_fam and codes[f] != code:
                f += 1
            if f == n_fam:  # a new family, in order of first appearance
                codes[f] = code
                names[f, 0] = h
                names[f, 1] = k
                names[f, 2] = -h - k
                names[f, 3] = l
                mult[f] = 2
                n_fam += 1
            else:
                mult[f] += 2
                if (h, k, l) > (names[f, 0], names[f, 1], names[f, 3]):
                    names[f, 0] = h
                    names[f, 1] = k
                    names[f, 2] = -h - k
                    names[f, 3] = l
    start[n_peaks] = n_fam
    return names[:n_fam], mult[:n_fam], start


@njit(cache=True)
def merged_peaks(g, f2, wavelength, tol_deg):
    """Lorentz-polarised intensities of both Friedel halves, merged within ``tol_deg``.

    Args:
        g: (M,) ascending |g| [1/angstrom]; f2: (M,) |F|^2; wavelength [angstrom];
        tol_deg: reflections closer than this in 2-theta [deg] become one peak.

    Returns:
        two_theta (P,) [deg] of each peak's first reflection and its summed intensity (P,).
        Reflections outside the limiting sphere at this wavelength are left out.
    """
    m = g.shape[0]
    tt = np.empty(m)
    inten = np.empty(m)
    count = 0
    for r in range(m):
        sin_t = wavelength * g[r] / 2.0
        if sin_t >= 1.0:
            break
        theta = math.asin(sin_t)
        cos2t = 1.0 - 2.0 * sin_t * sin_t
        lp = (1.0 + cos2t * cos2t) / (sin_t * sin_t * math.sqrt(1.0 - sin_t * sin_t))
        i = 2.0 * f2[r] * lp
        two_theta = math.degrees(2.0 * theta)
        if count > 0 and two_theta - tt[count - 1] < tol_deg:
            inten[count - 1] += i
        else:
            tt[count] = two_theta
            inten[count] = i
            count += 1
    return tt[:count], inten[:count]


@njit(cache=True, fastmath=True)
def render_profiles(out, x0, step, pos, area, fwhm, eta, cutoff_gauss, cutoff_lorentz):
    """Add area-normalised pseudo-Voigt peaks to ``out`` on the grid x0 + i*step [deg].

    pV = eta * L + (1 - eta) * G, both with full width at half maximum ``fwhm`` and unit area
    (eta = 0: pure Gaussian). The Gaussian is evaluated by a two-term multiplicative recurrence
    (three exponentials per peak, not one per point); each part is cut at the given number of
    FWHMs from the centre.

    Args:
        out: (n,) float64 accumulator.  pos, area, fwhm: (P,) centre [deg], integrated
        intensity and FWHM [deg] per peak.  eta: Lorentzian fraction in [0, 1].
    """
    n = out.shape[0]
    ln2 = math.log(2.0)
    for p in range(pos.shape[0]):
        wid = fwhm[p]
        if area[p] == 0.0 or wid <= 0.0:
            continue
        if eta < 1.0:
            sigma = wid / (2.0 * math.sqrt(2.0 * ln2))
            amp = (1.0 - eta) * area[p] / (sigma * math.sqrt(2.0 * math.pi))
            lo = max(int(math.ceil((pos[p] - cutoff_gauss * wid - x0) / step)), 0)
            hi = min(int(math.floor((pos[p] + cutoff_gauss * wid - x0) / step)), n - 1)
            if lo <= hi:
                inv2s2 = 1.0 / (2.0 * sigma * sigma)
                dx = x0 + lo * step - pos[p]
                v = amp * math.exp(-dx * dx * inv2s2)
                q = math.exp(-(2.0 * dx * step + step * step) * inv2s2)
                c = math.exp(-2.0 * step * step * inv2s2)
                for i in range(lo, hi + 1):
                    out[i] += v
                    v *= q
                    q *= c
        if eta > 0.0:
            gamma = wid / 2.0
            amp = eta * area[p] * gamma / math.pi
            lo = max(int(math.ceil((pos[p] - cutoff_lorentz * wid - x0) / step)), 0)
            hi = min(int(math.floor((pos[p] + cutoff_lorentz * wid - x0) / step)), n - 1)
            g2 = gamma * gamma
            for i in range(lo, hi + 1):
                dx = x0 + i * step - pos[p]
                out[i] += amp / (dx * dx + g2)
