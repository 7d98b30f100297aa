"""Grad-CAM of a 1-D pattern model (Selvaraju et al. 2017; paper 003, Fig. 4): which input regions
drove an output.

The feature map explained is the last convolutional one, found by its role in the layer graph:
the input of the model's global pooling layer (the last one, when there are several), else the
output of the last layer whose output is 3-D (batch, positions, channels). Layer names play no
part, so any architecture of :mod:`pymatgen_ml_xrd.models` (and a model reloaded from a file)
works.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["feature_map", "grad_cam"]


def feature_map(model):
    """The symbolic tensor of ``model``'s last convolutional feature map (batch, positions, channels).

    Raises:
        InvalidParameterError: the model has no 3-D feature map.
    """
    from keras import layers

    pools = [layer for layer in model.layers
             if isinstance(layer, (layers.GlobalAveragePooling1D, layers.GlobalMaxPooling1D))]  # fmt: skip
    if pools:
        return pools[-1].input
    maps = [layer.output for layer in model.layers
            if not isinstance(layer, layers.InputLayer) and len(layer.output.shape) == 3]  # fmt: skip
    if not maps:
        raise InvalidParameterError(f"model {model.name!r} has no (batch, positions, channels) feature map for Grad-CAM")
    return maps[-1]


def grad_cam(model, rows: NDArray, output_index: int) -> NDArray[np.float64]:
    """(n, n_points) Grad-CAM heatmaps of output column ``output_index`` for model-input ``rows``
    (n, n_points): the feature map weighted by the mean gradient of the output over positions,
    rectified, interpolated onto the input's points and scaled to maximum 1 per row (an all-zero
    map stays zero).

    Raises:
        InvalidParameterError: rows not 2-D, an output index outside the model's outputs, or a
            model without a feature map.
    """
    from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
    tf = import_tensorflow()  # gradients with respect to an inner layer: the TF backend's tape
    import keras

    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim != 2:
        raise InvalidParameterError(f"rows must be (n, n_points), got shape {rows.shape}")
    n_out = int(model.outputs[0].shape[-1])
    if not 0 <= int(output_index) < n_out:
        raise InvalidParameterError(f"output_index must lie in [0, {n_out}), got {output_index!r}")
    grad_model = keras.Model(model.inputs, [feature_map(model), model.outputs[0]])
    x = tf.constant(rows)
    with tf.GradientTape() as tape:
        features, out = grad_model(x, training=False)
        if isinstance(out, (list, tuple)):  # a reloaded functional model nests its single output
            out = out[0]
        target = out[:, int(output_index)]
    grads = tape.gradient(target, features).numpy()  # (n, positions, channels)
    features = features.numpy()
    weights = grads.mean(axis=1, keepdims=True)
    cams = np.maximum((features * weights).sum(axis=2), 0.0).astype(np.float64)  # (n, positions)
    points = np.arange(rows.shape[1], dtype=np.float64)
    coarse = np.linspace(0.0, rows.shape[1] - 1.0, cams.shape[1])
    heat = np.stack([np.interp(points, coarse, cam) for cam in cams])
    top = heat.max(axis=1, keepdims=True)
    return np.divide(heat, top, out=np.zeros_like(heat), where=top > 0)
