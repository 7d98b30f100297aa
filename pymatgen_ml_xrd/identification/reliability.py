"""The reliability R of paper 003 and the choice of its weight alpha and threshold R0.

Every RCNet k gives, for a pattern, type probabilities p, a confidence C and the similarity S to
each of its types (:meth:`~pymatgen_ml_xrd.identification.rcnet_member.RCNetMember.outputs`).
:func:`combine_reliability` turns them into one (n, n_types) table R; the identifier answers the
type with the largest R, or "unknown" below R0. :func:`in_out_accuracy` scores a threshold on
patterns of known types and patterns of other structures, and :func:`choose_alpha_threshold`
picks (alpha, R0) on a validation set by that score (what set the identifier's defaults; see
benchmarks/bench_structure_types.py).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["ALPHAS", "THRESHOLDS", "choose_alpha_threshold", "combine_reliability", "in_out_accuracy"]

#: the alphas and thresholds :func:`choose_alpha_threshold` searches by default
ALPHAS = np.round(np.arange(0.0, 1.01, 0.1), 2)
THRESHOLDS = np.round(np.arange(0.3, 0.951, 0.025), 3)


def combine_reliability(parts: list[tuple[NDArray, NDArray, NDArray]], alpha: float) -> NDArray[np.float64]:
    """(n, n_types) reliabilities from the RCNets' (p, C, S): R_t = alpha S_t + (1 - alpha) C p_t / p_max.

    For the type an RCNet predicts this is paper 003's R = alpha S + (1 - alpha) C; its other types
    get the confidence scaled by their probability relative to the predicted one, so that every
    column is comparable. Columns follow the RCNets' order and, within one, its types' order.
    """
    return np.concatenate([alpha * s + (1 - alpha) * c[:, None] * (p / p.max(axis=1, keepdims=True))
                           for p, c, s in parts], axis=1)  # fmt: skip


def in_out_accuracy(r_in: NDArray, truth: NDArray, r_out: NDArray, threshold: float) -> float:
    """Paper 003's in/out accuracy at R0 = ``threshold``: (patterns of known types named right with
    R >= R0 + patterns of other structures whose best R is below R0) / all patterns.

    ``r_in``: (n_in, n_types) reliabilities of patterns whose type columns are ``truth``;
    ``r_out``: (n_out, n_types) of patterns of none of the types.
    """
    ok_in = (r_in.argmax(axis=1) == truth) & (r_in.max(axis=1) >= threshold)
    ok_out = r_out.max(axis=1) < threshold
    return float((ok_in.sum() + ok_out.sum()) / (len(r_in) + len(r_out)))


def choose_alpha_threshold(parts_in: list, truth: NDArray, parts_out: list, alphas=ALPHAS,
                           thresholds=THRESHOLDS) -> tuple[float, float, float]:
    """(alpha, R0, in/out accuracy) that maximise :func:`in_out_accuracy` on validation patterns.

    ``parts_in``, ``parts_out``: the RCNets' (p, C, S) (``StructureTypeIdentifier.rcnet_outputs``)
    of patterns of known types (true columns ``truth``) and of other structures. Ties go to the
    smallest alpha, then the smallest threshold.

    Raises:
        InvalidParameterError: no alphas or thresholds to search, or ones outside [0, 1].
    """
    alphas = [float(a) for a in alphas]
    thresholds = [float(r) for r in thresholds]
    if not alphas or not thresholds or not all(0.0 <= v <= 1.0 for v in (*alphas, *thresholds)):
        raise InvalidParameterError(f"alphas and thresholds must be non-empty values in [0, 1], got {alphas} and "
                                    f"{thresholds}")  # fmt: skip
    best = None
    for a in alphas:
        r_in, r_out = combine_reliability(parts_in, a), combine_reliability(parts_out, a)
        for r in thresholds:
            score = in_out_accuracy(r_in, truth, r_out, r)
            if best is None or score > best[2]:
                best = (a, r, score)
    return best
