"""1-D ResNets with group normalisation for diffractograms (paper 001, SI S2.1).

``build_resnet1d(n_points, n_classes, architecture)`` with architecture ``"tiny"`` (half the
widths of compact; the RCNets of StructureTypeIdentifier), ``"compact"`` (the CPU default of
SpaceGroupClassifier: four stages of one basic block each), ``"resnet10"``, ``"resnet50"`` or
``"resnet101"`` (the paper's depths, bottleneck blocks for 50/101). Group normalisation instead
of batch normalisation, as in the paper: its statistics do not depend on the batch.
"""

from __future__ import annotations

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["build_resnet1d", "ARCHITECTURES"]

#: (block type, blocks per stage, filters per stage, stem filters)
ARCHITECTURES = {
    "tiny": ("basic", (1, 1, 1, 1), (16, 32, 48, 64), 16),
    "compact": ("basic", (1, 1, 1, 1), (32, 64, 96, 128), 32),
    "resnet10": ("basic", (1, 1, 1, 1), (64, 128, 256, 512), 64),
    "resnet50": ("bottleneck", (3, 4, 6, 3), (64, 128, 256, 512), 64),
    "resnet101": ("bottleneck", (3, 4, 23, 3), (64, 128, 256, 512), 64),
}


def _groups(channels: int) -> int:
    for g in (16, 8, 4, 2):
        if channels % g == 0 and channels // g >= 4:
            return g
    return 1


def _basic_block(x, filters: int, stride: int, name: str):
    from keras import layers

    shortcut = x
    y = layers.Conv1D(filters, 7, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.GroupNormalization(_groups(filters), name=f"{name}_gn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv1D(filters, 7, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.GroupNormalization(_groups(filters), name=f"{name}_gn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv1D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(shortcut)
        shortcut = layers.GroupNormalization(_groups(filters), name=f"{name}_proj_gn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def _bottleneck_block(x, filters: int, stride: int, name: str):
    from keras import layers

    shortcut = x
    y = layers.Conv1D(filters, 1, use_bias=False, name=f"{name}_conv1")(x)
    y = layers.GroupNormalization(_groups(filters), name=f"{name}_gn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv1D(filters, 7, strides=stride, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.GroupNormalization(_groups(filters), name=f"{name}_gn2")(y)
    y = layers.Activation("relu", name=f"{name}_relu2")(y)
    y = layers.Conv1D(4 * filters, 1, use_bias=False, name=f"{name}_conv3")(y)
    y = layers.GroupNormalization(_groups(4 * filters), name=f"{name}_gn3")(y)
    if stride != 1 or shortcut.shape[-1] != 4 * filters:
        shortcut = layers.Conv1D(4 * filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(shortcut)
        shortcut = layers.GroupNormalization(_groups(4 * filters), name=f"{name}_proj_gn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def build_resnet1d(n_points: int, n_classes: int, architecture: str = "compact", dropout: float = 0.0):
    """A 1-D ResNet classifier: input (batch, n_points) diffractograms, output logits (batch, n_classes).

    The output layer has no softmax (logits, for temperature scaling); it is kept in float32
    under mixed precision.
    """
    from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
    import_tensorflow()  # quietly, before Keras loads it
    import keras
    from keras import layers

    if architecture not in ARCHITECTURES:
        raise InvalidParameterError(f"architecture must be one of {sorted(ARCHITECTURES)}, got {architecture!r}")
    if n_points < 64 or n_classes < 2:
        raise InvalidParameterError(f"need n_points >= 64 and n_classes >= 2, got {n_points}, {n_classes}")
    block_type, blocks, filters, stem = ARCHITECTURES[architecture]
    block = _basic_block if block_type == "basic" else _bottleneck_block
    inputs = keras.Input(shape=(n_points,), name="pattern")
    x = layers.Reshape((n_points, 1), name="channels")(inputs)
    x = layers.Conv1D(stem, 16, strides=4, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.GroupNormalization(_groups(stem), name="stem_gn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    x = layers.MaxPooling1D(3, strides=2, padding="same", name="stem_pool")(x)
    for s, (n_blocks, f) in enumerate(zip(blocks, filters)):
        for b in range(n_blocks):
            x = block(x, f, 2 if b == 0 and s > 0 else 1, name=f"stage{s + 1}_block{b + 1}")
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(n_classes, dtype="float32", name="logits")(x)
    return keras.Model(inputs, outputs, name=f"resnet1d_{architecture}")
