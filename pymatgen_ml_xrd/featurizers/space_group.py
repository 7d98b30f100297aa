"""Space-group prediction columns from a pattern or a structure (SpaceGroupClassifier)."""

from __future__ import annotations

import numpy as np

from pymatgen_ml_xrd.featurizers.batching import BatchedFeaturizer, check_not_forked, shipped_model
from pymatgen_ml_xrd.featurizers.citations import cite

__all__ = ["SpaceGroupFeatures"]


class SpaceGroupFeatures(BatchedFeaturizer):
    """Columns ``space_group_pred``, ``space_group_top{i}``, ``space_group_prob{i}`` (i = 1..k).

    Args:
        k: how many candidates to report.
        classifier: a fitted :class:`~pymatgen_ml_xrd.SpaceGroupClassifier` (default: the shipped
            one, loaded on first use in each process).

    Entries may be anything ``SpaceGroupClassifier.predict`` accepts for one pattern: a
    Diffractogram, a Structure, an (x, y) tuple, ... Runs with ``n_jobs=1``: a forked worker
    cannot use the parent's TensorFlow.
    """

    def __init__(self, k: int = 3, classifier=None):
        self.k = int(k)
        self.classifier = classifier
        # TensorFlow does not survive the fork of matminer's process pool: run in this process
        self.set_n_jobs(1)

    def featurize_batch(self, entries: list) -> list[list]:
        """One row per entry, from one predict_proba call."""
        check_not_forked(type(self).__name__)
        clf = self.classifier if self.classifier is not None else shipped_model("space-group")
        rows = []
        for proba in clf.predict_proba(list(entries)):
            order = np.argsort(-proba)[: self.k]
            top = clf.classes_[order]
            rows.append([int(top[0]), *[int(t) for t in top], *[float(p) for p in proba[order]]])
        return rows

    def feature_labels(self):
        return (["space_group_pred"] + [f"space_group_top{i + 1}" for i in range(self.k)]
                + [f"space_group_prob{i + 1}" for i in range(self.k)])

    def citations(self):
        return cite("synthetic_crystals", "pymatgen")

    def implementors(self):
        return ["pymatgen-ml-xrd developers"]
