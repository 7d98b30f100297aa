"""Structure-type columns from a pattern or a structure (StructureTypeIdentifier)."""

from __future__ import annotations

from pymatgen_ml_xrd.featurizers.batching import BatchedFeaturizer, check_not_forked, shipped_model
from pymatgen_ml_xrd.featurizers.citations import cite

__all__ = ["StructureTypeFeatures"]


class StructureTypeFeatures(BatchedFeaturizer):
    """Columns ``structure_type`` (a type name or "unknown"), ``structure_type_reliability`` (R of
    the best type), ``structure_type_unknown`` (bool), and ``structure_type_top{i}`` /
    ``structure_type_reliability{i}`` (i = 1..k).

    Args:
        k: how many candidates to report.
        identifier: a :class:`~pymatgen_ml_xrd.estimators.structure_type.StructureTypeIdentifier`
            (default: the shipped RCNets and installed plugins, loaded on first use).

    Entries may be anything the identifier's ``predict`` accepts for one pattern (Diffractogram,
    Structure, (x, y), ...). Runs with ``n_jobs=1``: a forked worker cannot use the parent's
    TensorFlow.
    """

    def __init__(self, k: int = 3, identifier=None):
        self.k = int(k)
        self.identifier = identifier
        self.set_n_jobs(1)

    def featurize_batch(self, entries: list) -> list[list]:
        """One row per entry; the reliabilities are computed once for the whole batch."""
        import numpy as np

        check_not_forked(type(self).__name__)
        ident = self.identifier if self.identifier is not None else shipped_model("structure-types")
        r = ident.predict_reliability(list(entries))
        answers = ident._answer(r)
        k = min(self.k, r.shape[1])
        order = np.argsort(-r, axis=1)[:, :k]  # as predict_top_k
        rows = []
        for i, answer in enumerate(answers):
            top, rel = ident.classes_[order[i]], r[i, order[i]]
            pad = self.k - k
            rows.append([str(answer), float(rel[0]), answer == "unknown", *map(str, top), *["none"] * pad,
                         *map(float, rel), *[float("nan")] * pad])  # fmt: skip
        return rows

    def feature_labels(self):
        return (["structure_type", "structure_type_reliability", "structure_type_unknown"]
                + [f"structure_type_top{i + 1}" for i in range(self.k)]
                + [f"structure_type_reliability{i + 1}" for i in range(self.k)])  # fmt: skip

    def citations(self):
        return cite("crystinet", "pymatgen")

    def implementors(self):
        return ["pymatgen-ml-xrd developers"]
