"""parkCNN (Park et al., IUCrJ 2017), as used in paper 001 (SI S2.1, Figure S1).

Three convolutions of 80 filters with average pooling, two hidden dense layers (2300 and 1150
units for "big", 4040 and 202 for "medium"), ReLU activations, logits output. Dropout (30%
after convolutions, 50% after dense layers) is meant for training on a fixed data set only;
paper 001 switches it off for the synthetic stream.
"""

from __future__ import annotations

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["build_parkcnn", "PARKCNN_SIZES"]

PARKCNN_SIZES = {"parkcnn_big": (2300, 1150), "parkcnn_medium": (4040, 202)}
_CONVS = ((100, 5, 3, 2), (50, 5, 3, 1), (25, 2, 3, 1))  # kernel, stride, pool size, pool stride


def build_parkcnn(n_points: int, n_classes: int, size: str = "parkcnn_big", dropout: bool = False):
    """parkCNN classifier: input (batch, n_points), output logits (batch, n_classes)."""
    from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
    import_tensorflow()  # quietly, before Keras loads it
    import keras
    from keras import layers

    if size not in PARKCNN_SIZES:
        raise InvalidParameterError(f"size must be one of {sorted(PARKCNN_SIZES)}, got {size!r}")
    inputs = keras.Input(shape=(n_points,), name="pattern")
    x = layers.Reshape((n_points, 1), name="channels")(inputs)
    for i, (kernel, stride, pool, pool_stride) in enumerate(_CONVS):
        x = layers.Conv1D(80, kernel, strides=stride, padding="same", activation="relu", name=f"conv{i + 1}")(x)
        if dropout:
            x = layers.Dropout(0.3, name=f"conv{i + 1}_dropout")(x)
        x = layers.AveragePooling1D(pool, strides=pool_stride, padding="same", name=f"pool{i + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    for j, units in enumerate(PARKCNN_SIZES[size]):
        x = layers.Dense(units, activation="relu", name=f"dense{j + 1}")(x)
        if dropout:
            x = layers.Dropout(0.5, name=f"dense{j + 1}_dropout")(x)
    outputs = layers.Dense(n_classes, dtype="float32", name="logits")(x)
    return keras.Model(inputs, outputs, name=size)
