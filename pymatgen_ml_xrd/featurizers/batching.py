"""What the model featurizers share: one model call per batch of entries, the shipped models
loaded once per process (never stored on the featurizer: featurize changes no state), and a
clear error instead of a hang in a forked worker.

matminer's ``featurize_many`` calls ``featurize`` once per entry, and each call pays a model's
fixed cost (tens of milliseconds); :meth:`BatchedFeaturizer.featurize_many` calls
``featurize_batch`` on chunks of ``batch_size`` entries instead and falls back to matminer's
per-entry wrapper for a chunk in which an entry fails, so ``ignore_errors``/``return_errors``
keep matminer's meaning and the error names the entry's problem.

TensorFlow does not survive ``fork``: a process pool forked from a process that used it hangs
in the first model call. matminer's pools fork (``set_n_jobs`` > 1, ``MultipleFeaturizer``'s
own ``n_jobs``), so a featurizer called in a forked child raises :class:`ForkedWorkerError`
before it touches TensorFlow.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache

from matminer.featurizers.base import BaseFeaturizer

from pymatgen_ml_xrd.errors import PymatgenMLXRDError

__all__ = ["BatchedFeaturizer", "ForkedWorkerError", "shipped_model"]

_IMPORT_PID = os.getpid()  # a forked child inherits this module, and with it the parent's pid


class ForkedWorkerError(PymatgenMLXRDError, RuntimeError):
    """A model featurizer was called in a worker forked from a process that holds TensorFlow."""


def check_not_forked(name: str) -> None:
    """Raise :class:`ForkedWorkerError` in a forked child of a process that imported TensorFlow."""
    if os.getpid() != _IMPORT_PID and "tensorflow" in sys.modules:
        raise ForkedWorkerError(
            f"{name} runs a TensorFlow model, which hangs in a forked worker: run it with n_jobs=1 "
            "(featurizer.set_n_jobs(1)); inside matminer's MultipleFeaturizer, set its n_jobs to 1 "
            "(MultipleFeaturizer(...).set_n_jobs(1)) or pass iterate_over_entries=False"
        )


@lru_cache(maxsize=None)
def shipped_model(kind: str):
    """The shipped estimator ``kind`` ("space-group", "structure-types", "composition-to-xrd"),
    loaded once per process."""
    if kind == "space-group":
        from pymatgen_ml_xrd.estimators import SpaceGroupClassifier

        model = SpaceGroupClassifier()
    elif kind == "structure-types":
        from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier

        model = StructureTypeIdentifier()
    elif kind == "composition-to-xrd":
        from pymatgen_ml_xrd.estimators import CompositionToXRD

        model = CompositionToXRD()
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    model._ensure_model()
    return model


class BatchedFeaturizer(BaseFeaturizer):
    """A matminer featurizer whose rows come from ``featurize_batch(entries)`` (see the module
    docstring); ``featurize(entry)`` is the batch of one."""

    #: entries per model call in featurize_many
    batch_size = 256

    def featurize_batch(self, entries: list) -> list[list]:
        raise NotImplementedError

    def featurize(self, entry):
        return self.featurize_batch([entry])[0]

    def featurize_many(self, entries, ignore_errors=False, return_errors=False, pbar=True):
        """matminer's featurize_many with one model call per ``batch_size`` entries."""
        import numpy as np
        import pandas as pd
        from tqdm.auto import tqdm

        if return_errors and not ignore_errors:
            raise ValueError("Please set ignore_errors to True to use return_errors.")
        if isinstance(entries, (pd.DataFrame, pd.Series)):
            entries = entries.values
        # featurize_dataframe hands rows of argument lists (one column: [entry]); unwrap them
        entries = [e[0] if isinstance(e, (tuple, list, np.ndarray)) and len(e) == 1 else e for e in entries]
        chunks = [entries[i:i + self.batch_size] for i in range(0, len(entries), self.batch_size)]
        rows: list = []
        for chunk in tqdm(chunks, desc=type(self).__name__, disable=not pbar):
            try:
                out = [list(r) for r in self.featurize_batch(chunk)]
                rows += [r + [np.nan] for r in out] if return_errors else out
            except Exception:  # noqa: BLE001 - matminer's wrapper names the entry and applies ignore_errors
                rows += [self.featurize_wrapper((e,), return_errors=return_errors, ignore_errors=ignore_errors)
                         for e in chunk]  # fmt: skip
        return rows
