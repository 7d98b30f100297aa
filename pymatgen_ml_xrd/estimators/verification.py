"""Answers checked by fitting: the one-phase whole-pattern fit behind ``verify=True``.

``StructureTypeIdentifier(verify=True)`` and ``SpaceGroupClassifier(verify=True)`` both refine the
default catalogue's best candidates against each pattern (a
:class:`~pymatgen_ml_xrd.PhaseIdentifier` with one phase: screening, then least squares on the
package's own simulator) and trust the fit kept when its R_wp is at most a threshold. This module
holds that shared step: the one identifier per process, the thresholds, and the way estimator
inputs reach the fit (measured scans on their own grid, everything else on the model's grid).
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError, NoCandidatesError
from pymatgen_ml_xrd.patterns import PatternSpec
from pymatgen_ml_xrd.patterns.inputs import patterns_on_grid

__all__ = ["MAX_RWP", "check_compositions", "check_max_rwp", "check_verify", "fit_patterns", "fitted_first",
           "is_scan_tuple", "kept_fit", "kept_phases", "pattern_items", "rwp_limit"]

#: R_wp above which a verified answer is not trusted, with and without the pattern's formula:
#: chosen for structure types on half of the measured scans of benchmarks/bench_measured_types.py;
#: for space groups 0.31 is also the best of the sweep in bench_verified_space_group.py (docs/benchmarks.md)
MAX_RWP = {"composition": 0.39, "blind": 0.31}
_VERIFIERS: dict = {}  # the shared PhaseIdentifier of verified answers (see verifier)


def verifier():
    """The PhaseIdentifier of verified answers: the default catalogue with the installed plugins'
    types, one phase, built once per process (seconds) and shared by every estimator."""
    from pymatgen_ml_xrd.phases import PhaseIdentifier

    if "default" not in _VERIFIERS:
        _VERIFIERS["default"] = PhaseIdentifier("default", max_phases=1)
    return _VERIFIERS["default"]


def check_max_rwp(max_rwp) -> None:
    """Raise InvalidParameterError unless ``max_rwp`` is None or a positive number."""
    if max_rwp is not None and (isinstance(max_rwp, bool) or not isinstance(max_rwp, (int, float))
                                or not max_rwp > 0):  # fmt: skip
        raise InvalidParameterError(f"max_rwp must be a positive number or None, got {max_rwp!r}")


def check_verify(verify) -> None:
    """Raise InvalidParameterError unless ``verify`` is True or False (a string such as "no" is
    truthy and would fit every pattern)."""
    if not isinstance(verify, (bool, np.bool_)):
        raise InvalidParameterError(f"verify must be True or False, got {verify!r}")


def check_compositions(compositions, n: int) -> list:
    """One formula (or None) per pattern of ``n``: ``compositions`` as a list, or Nones.

    Raises:
        InvalidParameterError: one string for several patterns, or a list of another length.
    """
    if compositions is None:
        return [None] * n
    if isinstance(compositions, str) or len(compositions) != n:
        raise InvalidParameterError(f"compositions must be a list with one formula (or None) per pattern: "
                                    f"{n} patterns")  # fmt: skip
    return list(compositions)


def rwp_limit(max_rwp: float | None, formula: str | None) -> float:
    """The R_wp threshold of one pattern: ``max_rwp``, or ``MAX_RWP`` for a pattern with or without
    its formula."""
    return float(max_rwp) if max_rwp is not None else MAX_RWP["composition" if formula else "blind"]


def kept_fit(fit, limit: float):
    """The first (main) phase of a one-phase identification when the fit is kept (a phase was
    found and the R_wp is at most ``limit``), else None (also for ``fit`` None: nothing fitted)."""
    return fit.phases[0] if fit is not None and fit.phases and fit.rwp <= limit else None


def kept_phases(fits: list, compositions, max_rwp: float | None) -> list:
    """Per fit of :func:`fit_patterns` its main phase where the fit is kept at its pattern's
    threshold (:func:`rwp_limit`: with or without that pattern's formula), else None."""
    formulas = check_compositions(compositions, len(fits))
    return [kept_fit(fit, rwp_limit(max_rwp, formula)) for fit, formula in zip(fits, formulas)]


def fitted_first(order: NDArray, fitted: list) -> NDArray:
    """Rows of ``order`` (a model's answers, best first) with each row's fitted answer (None: no
    fit kept) moved to the front and the rest in their order; a fitted answer absent from its row
    (outside the model's classes, or beyond the row's columns) enters it and the row's last
    answer leaves."""
    if len(fitted) != len(order):
        raise InvalidParameterError(f"one fitted answer (or None) per row: {len(fitted)} for {len(order)} rows")
    out = np.array(order, copy=True)
    for i, answer in enumerate(fitted):
        if answer is None:
            continue
        rest = [a for a in out[i] if a != answer]
        out[i] = [answer, *rest[: out.shape[1] - 1]]
    return out


def is_scan_tuple(item) -> bool:
    """An (x, y) or (x, y, wavelength) tuple of one scan (not a tuple of patterns)."""
    return (isinstance(item, tuple) and len(item) in (2, 3) and all(np.ndim(v) == 1 for v in item[:2])
            and len(item[0]) == len(item[1]) and (len(item) == 2 or np.ndim(item[2]) == 0))


def pattern_items(X) -> list:
    """The patterns of an estimator's ``X`` one by one (one scan tuple or Diffractogram is one
    item; a 2-D array gives its rows)."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return list(np.atleast_2d(X))
    return list(X) if isinstance(X, (list, tuple)) and not is_scan_tuple(X) else [X]


def fit_patterns(items: list, spec: PatternSpec, compositions=None, priors: list | None = None) -> list:
    """One :class:`~pymatgen_ml_xrd.phases.PhaseIdentification` (one phase at most) per pattern,
    or None (with a UserWarning naming the pattern) where its formula is valid but no catalogue
    type has its stoichiometry: nothing can check that answer.

    Args:
        items: patterns (:func:`pattern_items`). Diffractograms and (x, y[, wavelength]) tuples
            are fitted on their own grid and wavelength (a measured scan as it was measured);
            anything else (Structures, peak lists, rows on the model's grid) is first put on
            ``spec``'s grid.
        spec: the calling model's pattern contract (its grid and wavelength).
        compositions: None, or one formula (or None) per pattern: the main phase's formula puts
            its elements on every prototype of its stoichiometry
            (``PhaseIdentifier.identify(composition=)``).
        priors: None, or per pattern a list of structure type names whose references join the
            candidates (``PhaseIdentifier.identify(priors=)``).

    Raises:
        InvalidParameterError: compositions or priors of the wrong length, an unreadable formula,
            or a pattern the fit refuses (its index named).
    """
    from pymatgen_ml_xrd.diffraction import Diffractogram

    n = len(items)
    compositions = check_compositions(compositions, n)
    if priors is not None and len(priors) != n:
        raise InvalidParameterError(f"priors must hold one list of type names per pattern: {len(priors)} for {n}")
    identifier = verifier()
    fits = []
    for i, (item, formula) in enumerate(zip(items, compositions)):
        if not (isinstance(item, Diffractogram) or is_scan_tuple(item)):
            raw = patterns_on_grid([item], spec.grid, spec.wavelength_angstrom, offset_negative=True)[0]
            item = (spec.grid, raw, spec.wavelength_angstrom)
        try:
            fits.append(identifier.identify(item, max_phases=1, composition=formula,
                                            priors=None if priors is None else [str(t) for t in priors[i]]))
        except NoCandidatesError as err:  # a real formula the catalogue has no type for: nothing to verify
            warnings.warn(f"pattern {i}: {err}; its answer is not verified", UserWarning, stacklevel=3)
            fits.append(None)
        except InvalidParameterError as err:
            raise InvalidParameterError(f"pattern {i}: {err}") from None
    return fits
