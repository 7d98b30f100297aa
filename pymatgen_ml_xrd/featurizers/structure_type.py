"""Structure-type columns from a pattern or a structure (StructureTypeIdentifier)."""

from __future__ import annotations

from matminer.featurizers.base import BaseFeaturizer

from pymatgen_ml_xrd.featurizers.diffraction import _CITATIONS

__all__ = ["StructureTypeFeatures"]


class StructureTypeFeatures(BaseFeaturizer):
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

    def _identifier(self):
        if self.identifier is None:
            from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier

            self.identifier = StructureTypeIdentifier()
        return self.identifier

    def featurize(self, entry):
        ident = self._identifier()
        items = [entry] if not isinstance(entry, list) else entry
        r = ident.predict_reliability(items)
        answer = ident._answer(r)[0]
        top, rel = ident.predict_top_k(items, k=self.k)
        return [str(answer), float(rel[0, 0]), answer == "unknown", *map(str, top[0]), *map(float, rel[0])]

    def feature_labels(self):
        return (["structure_type", "structure_type_reliability", "structure_type_unknown"]
                + [f"structure_type_top{i + 1}" for i in range(self.k)]
                + [f"structure_type_reliability{i + 1}" for i in range(self.k)])  # fmt: skip

    def citations(self):
        return list(_CITATIONS)

    def implementors(self):
        return ["pymatgen-ml-xrd developers"]
