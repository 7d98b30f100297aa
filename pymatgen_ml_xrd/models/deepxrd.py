"""DeepXRD (paper 004): a residual encoder of one-hot formula matrices and a pattern decoder.

``build_deepxrd(input_shape, n_points, architecture)``:

- ``"compact"`` (CPU default): the matrix read as a sequence over elements whose channels are the
  count one-hot (a 2-D convolution over a one-hot axis only spreads the sparse input), a
  residual encoder with PReLU, a dense bottleneck, and a 1-D decoder (upsampling + residual
  blocks) that writes the pattern point by point. The pattern is one-dimensional; the paper's 32 x 32 decoder makes points
  32 apart neighbours, which is not physical.
- ``"paper"``: the layout of paper 004, Table 1 (encoder to 11 x 2 x 64, dense, 1 x 1 x 128,
  five 2-D upsamplings to 32 x 32 = 1,024 points).

:class:`PearsonLoss` is the paper's best loss, 1 - Pearson r per pattern, optionally averaged
with the same loss on Gaussian-blurred copies so that a peak a little off still earns credit
(the "smoother loss" that paper 004 proposes as future work).
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["DEEPXRD_ARCHITECTURES", "PearsonLoss", "build_deepxrd"]

DEEPXRD_ARCHITECTURES = ("compact", "paper")


def _res2d(x, filters: int, stride: int, name: str):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.PReLU(shared_axes=[1, 2], name=f"{name}_act1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:  # "res block 1": a convolution on the shortcut
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.PReLU(shared_axes=[1, 2], name=f"{name}_out")(y)


def _res1d(x, filters: int, name: str, kernel: int = 7, stride: int = 1):
    shortcut = x
    y = layers.Conv1D(filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.PReLU(shared_axes=[1], name=f"{name}_act1")(y)
    y = layers.Conv1D(filters, kernel, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv1D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.PReLU(shared_axes=[1], name=f"{name}_out")(y)


def build_deepxrd(input_shape: tuple[int, int], n_points: int = 1024, architecture: str = "compact",
                  dropout: float = 0.2) -> keras.Model:
    """Composition matrix (batch, n_elements, max_count) in, pattern (batch, n_points) out.

    The output passes a softplus (non-negative intensities) and stays float32 under mixed
    precision. ``"compact"`` needs ``n_points`` divisible by 32, ``"paper"`` exactly 1,024.
    """
    if architecture not in DEEPXRD_ARCHITECTURES:
        raise InvalidParameterError(f"architecture must be one of {DEEPXRD_ARCHITECTURES}, got {architecture!r}")
    if architecture == "compact" and (n_points % 32 or n_points < 64):
        raise InvalidParameterError(f"the compact DeepXRD needs n_points divisible by 32 (>= 64), got {n_points}")
    if architecture == "paper" and n_points != 1024:
        raise InvalidParameterError(f"the paper's DeepXRD decodes 32 x 32 = 1024 points, got n_points={n_points}")
    inputs = keras.Input(shape=tuple(input_shape), name="composition")
    if architecture == "compact":
        # the count one-hot of each element is its channel vector; convolve along the elements
        x = layers.Conv1D(64, 5, padding="same", name="conv1")(inputs)
        x = layers.PReLU(shared_axes=[1], name="conv1_act")(x)
        for i, (filters, stride) in enumerate([(64, 2), (96, 2), (128, 2)]):
            x = _res1d(x, filters, name=f"enc{i + 1}", kernel=5, stride=stride)
    else:
        x = layers.Reshape((*input_shape, 1), name="channels")(inputs)
        x = layers.Conv2D(32, 3, padding="same", name="conv1")(x)
        x = layers.PReLU(shared_axes=[1, 2], name="conv1_act")(x)
        # Table 1: 64, 64/2, 128, 128/2, five more of 128, then 64 and 64/2
        plan = [(64, 1), (64, 2), (128, 1), (128, 2), (128, 1), (128, 1), (128, 1), (128, 1), (64, 1), (64, 2)]
        for i, (filters, stride) in enumerate(plan):
            x = _res2d(x, filters, stride, name=f"enc{i + 1}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, name="bottleneck")(x)
    x = layers.PReLU(name="bottleneck_act")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    if architecture == "compact":
        start = n_points // 32
        x = layers.Dense(start * 128, name="seed")(x)
        x = layers.PReLU(name="seed_act")(x)
        x = layers.Reshape((start, 128), name="seed_reshape")(x)
        for i, filters in enumerate((96, 64, 48, 32, 16)):
            x = layers.UpSampling1D(2, name=f"up{i + 1}")(x)
            x = _res1d(x, filters, name=f"dec{i + 1}", kernel=5)
        x = layers.Conv1D(1, 5, padding="same", name="to_pattern")(x)
    else:
        x = layers.Dense(128, name="seed")(x)
        x = layers.PReLU(name="seed_act")(x)
        x = layers.Reshape((1, 1, 128), name="seed_reshape")(x)
        for i, filters in enumerate((128, 128, 128, 64, 64)):
            x = layers.UpSampling2D(2, name=f"up{i + 1}")(x)
            x = _res2d(x, filters, 1, name=f"dec{i + 1}a")
            x = _res2d(x, filters, 1, name=f"dec{i + 1}b")
        x = layers.Conv2D(1, 3, padding="same", name="to_pattern")(x)
    x = layers.Flatten(name="pattern_flat")(x)
    outputs = layers.Activation("softplus", dtype="float32", name="pattern")(x)
    return keras.Model(inputs, outputs, name=f"deepxrd_{architecture}")


@keras.saving.register_keras_serializable(package="pymatgen_ml_xrd")
class PearsonLoss(keras.losses.Loss):
    """1 - Pearson correlation per pattern, averaged over ``blur_sigmas`` [grid points].

    ``blur_sigmas=(0,)`` is the paper's loss; ``(0, 6)`` adds the same loss on copies blurred by a
    Gaussian of 6 points standard deviation (0.5 deg on the default 1,024-point 5-90 deg grid).
    """

    def __init__(self, blur_sigmas: tuple[float, ...] = (0.0,), name: str = "pearson_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.blur_sigmas = tuple(float(s) for s in blur_sigmas)
        if not self.blur_sigmas or any(not math.isfinite(s) or s < 0 for s in self.blur_sigmas):
            raise InvalidParameterError(f"blur_sigmas must be non-negative numbers, got {blur_sigmas!r}")
        self._kernels = [None if s == 0 else _gaussian_kernel(s) for s in self.blur_sigmas]

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        total = 0.0
        for kernel in self._kernels:
            a, b = (y_true, y_pred) if kernel is None else (_blur(y_true, kernel), _blur(y_pred, kernel))
            total = total + (1.0 - _pearson(a, b))
        return total / len(self._kernels)

    def get_config(self) -> dict:
        return {**super().get_config(), "blur_sigmas": list(self.blur_sigmas)}


def _gaussian_kernel(sigma: float):
    half = math.ceil(3 * sigma)
    w = [math.exp(-0.5 * (i / sigma) ** 2) for i in range(-half, half + 1)]
    total = sum(w)
    return ops.reshape(ops.convert_to_tensor([v / total for v in w], dtype="float32"), (2 * half + 1, 1, 1))


def _blur(y, kernel):
    return ops.squeeze(ops.conv(ops.expand_dims(y, -1), kernel, padding="same"), -1)


def _pearson(a, b):
    a = a - ops.mean(a, axis=-1, keepdims=True)
    b = b - ops.mean(b, axis=-1, keepdims=True)
    num = ops.sum(a * b, axis=-1)
    den = ops.sqrt(ops.sum(a * a, axis=-1) * ops.sum(b * b, axis=-1) + 1e-12)
    return num / den
