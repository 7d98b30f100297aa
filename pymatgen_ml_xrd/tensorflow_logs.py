"""TensorFlow loaded without its C++ start-up lines on the user's terminal.

TensorFlow 2.21 writes "WARNING: All log messages before absl::InitializeLog() is called are
written to STDERR" and "oneDNN custom operations are on ..." to file descriptor 2 while it
loads, whatever ``TF_CPP_MIN_LOG_LEVEL`` says (tensorflow/tensorflow#79029: the absl logger is
not initialised yet). From Python the only way to keep them off is to load TensorFlow with
descriptor 2 pointed at the null device: :func:`import_tensorflow` does that once per process,
unless the user chose to see them (``TF_CPP_MIN_LOG_LEVEL`` "0" or "1"; the package's
``__init__`` sets "2" only where the user set nothing). A failing import still raises its
Python exception, after the descriptor is restored. Every place of the package that needs
TensorFlow or Keras calls it first.
"""

from __future__ import annotations

import os
import sys

__all__ = ["import_tensorflow"]


def import_tensorflow():
    """The ``tensorflow`` module, imported quietly on first use (see the module docstring)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") in ("0", "1"):
        import tensorflow

        return tensorflow
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            try:
                import keras  # noqa: F401 - Keras loads its TensorFlow backend here too
                import tensorflow
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)
    return tensorflow
