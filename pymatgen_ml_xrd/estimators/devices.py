"""Where the Keras models train: one device, or all local GPUs through tf.distribute.

On a machine with several GPUs, :func:`distribution_strategy` returns a ``MirroredStrategy``
(data parallel over the GPUs; each batch is split between them); otherwise TensorFlow's default
strategy (one CPU or one GPU). Estimators build and compile their models inside its scope.
"""

from __future__ import annotations

__all__ = ["distribution_strategy"]


def distribution_strategy():
    """``tf.distribute.MirroredStrategy()`` with more than one visible GPU, else the default strategy."""
    from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow

    tf = import_tensorflow()

    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
