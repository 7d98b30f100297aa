"""Exceptions raised by pymatgen_ml_xrd.

Every error is a subclass of ``ValueError`` or ``TypeError`` so that callers who already catch
those keep working; the message always names the offending input.
"""

from __future__ import annotations

__all__ = ["PymatgenMLXRDError", "InvalidStructureError", "InvalidParameterError", "ReflectionLimitError"]


class PymatgenMLXRDError(Exception):
    """Base class of all errors raised on purpose by this package."""


class InvalidStructureError(PymatgenMLXRDError, ValueError):
    """A structure cannot be simulated (empty, non-finite, degenerate cell, unknown species...)."""


class InvalidParameterError(PymatgenMLXRDError, ValueError):
    """A numeric or categorical parameter is out of its documented domain."""


class ReflectionLimitError(PymatgenMLXRDError, ValueError):
    """The requested simulation would enumerate more reflections than the configured limit."""
