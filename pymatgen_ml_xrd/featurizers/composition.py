"""Predicted-pattern columns from a composition alone (CompositionToXRD, paper 004)."""

from __future__ import annotations

import numpy as np
from pymatgen.core import Composition, IStructure

from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.featurizers.batching import BatchedFeaturizer, check_not_forked, shipped_model
from pymatgen_ml_xrd.featurizers.citations import cite

__all__ = ["PredictedPatternFeatures"]


class PredictedPatternFeatures(BatchedFeaturizer):
    """Columns of the pattern CompositionToXRD predicts for a composition.

    ``predicted_xrd_{a}`` for each ``bin_width`` bin [deg] of the model's 2-theta range (the mean
    of the predicted pattern, maximum 1, in the bin starting at angle ``a``), and
    ``predicted_peak{i}`` (i = 1..n_peaks), the 2-theta [deg, Cu K-alpha] of the i-th strongest
    predicted peak (10%-of-maximum peaks, merged within 2 deg; NaN when there are fewer).

    Args:
        bin_width: bin width [deg]; 1 deg gives 85 columns on 5-90 deg.
        n_peaks: how many peak positions to report.
        model: a fitted :class:`~pymatgen_ml_xrd.CompositionToXRD` (default: the shipped one).

    Entries: a formula string, a pymatgen Composition, or a Structure (its composition). Runs with
    ``n_jobs=1``: a forked worker cannot use the parent's TensorFlow.
    """

    def __init__(self, bin_width: float = 1.0, n_peaks: int = 5, model=None):
        if not bin_width > 0:
            raise InvalidParameterError(f"bin_width must be positive, got {bin_width!r}")
        self.bin_width = float(bin_width)
        self.n_peaks = int(n_peaks)
        self.model = model
        self.set_n_jobs(1)

    def _model(self):
        check_not_forked(type(self).__name__)
        model = self.model if self.model is not None else shipped_model("composition-to-xrd")
        model._ensure_model()
        return model

    def _edges(self) -> np.ndarray:
        grid = self._model().grid_
        return np.arange(grid[0], grid[-1], self.bin_width)

    def featurize_batch(self, entries: list) -> list[list]:
        """One row per entry, from one model call."""
        from pymatgen_ml_xrd.patterns.metrics import find_pattern_peaks

        comps = []
        for entry in entries:
            comp = entry.composition if isinstance(entry, IStructure) else entry
            if not isinstance(comp, (str, Composition)):
                raise InvalidParameterError(f"entry must be a formula, Composition or Structure, got "
                                            f"{type(entry).__name__}")  # fmt: skip
            comps.append(comp)
        model = self._model()
        grid = model.grid_
        edges = self._edges()
        which = np.clip(np.searchsorted(edges, grid, side="right") - 1, 0, len(edges) - 1)
        counts = np.maximum(np.bincount(which, minlength=len(edges)), 1)
        rows = []
        for y in model.predict_array(comps):
            binned = np.bincount(which, weights=y, minlength=len(edges)) / counts
            peaks = find_pattern_peaks(grid, y)
            strongest = peaks[np.argsort(-np.interp(peaks, grid, y), kind="stable")][: self.n_peaks]
            pos = [float(p) for p in strongest] + [float("nan")] * (self.n_peaks - len(strongest))
            rows.append([*binned.tolist(), *pos])
        return rows

    def feature_labels(self):
        return [f"predicted_xrd_{a:g}" for a in self._edges()] + [f"predicted_peak{i + 1}" for i in range(self.n_peaks)]

    def citations(self):
        return cite("deepxrd", "pymatgen")

    def implementors(self):
        return ["pymatgen-ml-xrd developers"]
