"""Exceptions raised by pymatgen_ml_xrd.

Every error is a subclass of ``ValueError`` or ``TypeError`` so that callers who already catch
those keep working; the message always names the offending input.
"""

from __future__ import annotations

__all__ = ["PymatgenMLXRDError", "InvalidStructureError", "InvalidParameterError", "InvalidInputTypeError",
           "ModelFileError", "NoCandidatesError", "NotFittedModelError", "ReflectionLimitError", "StreamWorkerError"]

from sklearn.exceptions import NotFittedError


class PymatgenMLXRDError(Exception):
    """Base class of all errors raised on purpose by this package."""


class InvalidStructureError(PymatgenMLXRDError, ValueError):
    """A structure cannot be simulated (empty, non-finite, degenerate cell, unknown species...)."""


class InvalidParameterError(PymatgenMLXRDError, ValueError):
    """A numeric or categorical parameter is out of its documented domain."""


class ReflectionLimitError(PymatgenMLXRDError, ValueError):
    """The requested simulation would enumerate more reflections than the configured limit."""


class NoCandidatesError(InvalidParameterError):
    """A valid formula that no reference and no structure type of the library can take (its
    stoichiometry has no prototype): a composition-guided search has nothing to fit."""


class InvalidInputTypeError(PymatgenMLXRDError, TypeError):
    """An argument is of a type the function does not take (the message names what it takes)."""


class NotFittedModelError(InvalidParameterError, NotFittedError):
    """An estimator without weights was asked to predict (call fit() or pass pretrained=)."""


class StreamWorkerError(PymatgenMLXRDError, RuntimeError):
    """A training-stream producer (process or Ray actor) died or kept failing."""


class ModelFileError(PymatgenMLXRDError, ValueError):
    """A model file is missing, damaged, foreign or of another format version."""
