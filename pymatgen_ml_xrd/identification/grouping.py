"""Grouping structure types into RCNets: similar types share one (paper 003: UMAP + affinity
propagation of the types' average patterns; here scikit-learn's agglomerative clustering with
cosine distance and average linkage, which needs no embedding step)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["group_types"]


def group_types(average_patterns: NDArray, per_group: int = 10) -> list[list[int]]:
    """Type indices per RCNet: about ``per_group`` types each, at least 2 and at most
    ``2 * per_group``; similar average patterns (cosine) end up together.

    Deterministic: the same patterns give the same groups.
    """
    from sklearn.cluster import AgglomerativeClustering

    x = np.asarray(average_patterns, dtype=np.float64)
    n = len(x)
    if n < 2:
        raise InvalidParameterError(f"need at least two types to group, got {n}")
    if per_group < 2:
        raise InvalidParameterError(f"per_group must be at least 2, got {per_group}")
    if n <= 2 * per_group:
        return [list(range(n))] if n < 2 * per_group else [list(range(per_group)), list(range(per_group, n))]
    k = math.ceil(n / per_group)
    labels = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average").fit_predict(x)
    groups = [list(np.flatnonzero(labels == c)) for c in range(k)]
    groups = _split_large(x, groups, per_group)
    return _merge_small([[int(i) for i in g] for g in groups], x)


def _split_large(x, groups, per_group):
    from sklearn.cluster import AgglomerativeClustering

    out = []
    for g in groups:
        if len(g) <= 2 * per_group:
            out.append(g)
            continue
        parts = math.ceil(len(g) / per_group)
        labels = AgglomerativeClustering(n_clusters=parts, metric="cosine", linkage="complete").fit_predict(x[g])
        out += _split_large(x, [[g[i] for i in np.flatnonzero(labels == c)] for c in range(parts)], per_group)
    return out


def _merge_small(groups, x):
    """Put the members of single-type groups into the group holding their most similar type."""
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    while any(len(g) < 2 for g in groups):
        small = next(g for g in groups if len(g) < 2)
        groups.remove(small)
        others = [i for g in groups for i in g]
        best = others[int(np.argmax(unit[others] @ unit[small[0]]))]
        next(g for g in groups if best in g).extend(small)
    return groups
