"""RCNet: a 1-D ResNet with a softmax over its structure types and a confidence branch (paper 003).

``build_rcnet(n_points, n_types)`` returns a model whose output (batch, n_types + 1) holds the
type logits and, in the last column, the logit of the confidence c in (0, 1). Training follows
DeVries & Taylor (2018, "Learning confidence for out-of-distribution detection"), as paper 003:
the prediction is interpolated towards the one-hot label by the confidence,
p' = c p + (1 - c) y, the loss is -log p'_y + lambda (-log c), and lambda is adjusted so that the
confidence penalty stays near a budget beta (:class:`ConfidenceBudget`). Half of each batch gets
no hint (c fixed to 1 in the interpolation), as in the original method.

Beyond the paper, outlier exposure (Hendrycks et al. 2019, "Deep anomaly detection with outlier
exposure"): training rows labelled -1 are patterns of crystals that are none of the RCNet's types
(random synthetic crystals, other types); for them the loss is -log(1 - c) plus the cross-entropy
of p against the uniform distribution, so C falls for patterns an RCNet does not know. Without it
every RCNet is confident on every pattern and the union cannot tell which RCNet owns a pattern.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["build_rcnet", "ConfidenceLoss", "ConfidenceBudget", "split_outputs"]


def build_rcnet(n_points: int, n_types: int, architecture: str = "compact", dropout: float = 0.1):
    """An RCNet: the 1-D ResNet of :func:`build_resnet1d` with two heads (type logits, confidence logit)."""
    from keras import layers

    from pymatgen_ml_xrd.models.resnet1d import build_resnet1d

    backbone = build_resnet1d(n_points, max(n_types, 2), architecture, dropout=dropout)
    features = backbone.get_layer("dropout" if dropout else "pool").output
    logits = layers.Dense(n_types, dtype="float32", name="type_logits")(features)
    confidence = layers.Dense(1, dtype="float32", name="confidence_logit")(features)
    outputs = layers.Concatenate(dtype="float32", name="types_and_confidence")([logits, confidence])
    return keras.Model(backbone.input, outputs, name=f"rcnet_{architecture}")


def split_outputs(outputs):
    """(type probabilities, confidence) from an RCNet's raw output (numpy or tensors)."""
    import numpy as np

    out = np.asarray(outputs, dtype=np.float64)
    z = out[:, :-1] - out[:, :-1].max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True), 1.0 / (1.0 + np.exp(-out[:, -1]))


@keras.saving.register_keras_serializable(package="pymatgen_ml_xrd")
class ConfidenceLoss(keras.losses.Loss):
    """DeVries-Taylor loss on an RCNet's output; ``y_true`` holds type indices.

    Args:
        lam: initial weight of the confidence penalty -log c (a variable: the budget callback
            changes it during training).
        hint_rate: share of the samples whose prediction is interpolated towards the label.
        outlier_weight: weight of the loss of outlier rows (``y_true`` = -1).
    """

    def __init__(self, lam: float = 0.1, hint_rate: float = 0.5, outlier_weight: float = 1.0,
                 name: str = "confidence_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.lam = keras.Variable(float(lam), trainable=False, name="confidence_lambda", dtype="float32")
        self.hint_rate = float(hint_rate)
        self.outlier_weight = float(outlier_weight)
        self._seed = keras.random.SeedGenerator(0)

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        n_types = ops.shape(y_pred)[-1] - 1
        p = ops.softmax(y_pred[:, :-1], axis=-1)
        c = ops.sigmoid(y_pred[:, -1:])
        c = ops.clip(c, 1e-6, 1.0 - 1e-6)
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        outlier = ops.cast(labels < 0, "float32")
        y = ops.one_hot(ops.maximum(labels, 0), n_types)
        hint = ops.cast(keras.random.uniform(ops.shape(c), seed=self._seed) < self.hint_rate, "float32")
        c_used = hint * c + (1.0 - hint)
        p_mixed = c_used * p + (1.0 - c_used) * y
        nll = -ops.log(ops.sum(p_mixed * y, axis=-1) + 1e-12)
        known = nll + self.lam * (-ops.log(c[:, 0]))
        uniform_ce = -ops.mean(ops.log(p + 1e-12), axis=-1)
        unknown = -ops.log(1.0 - c[:, 0]) + uniform_ce
        return (1.0 - outlier) * known + outlier * self.outlier_weight * unknown

    def get_config(self):
        return {**super().get_config(), "lam": float(self.lam.numpy()), "hint_rate": self.hint_rate,
                "outlier_weight": self.outlier_weight}  # fmt: skip


class ConfidenceBudget(keras.callbacks.Callback):
    """Keep the mean confidence penalty -log c near ``budget`` (DeVries & Taylor): after each
    epoch lambda is multiplied by ``factor`` when the penalty on ``probe`` patterns exceeds the
    budget and divided by it otherwise."""

    def __init__(self, loss: ConfidenceLoss, probe, budget: float = 0.3, factor: float = 1.5):
        super().__init__()
        self.loss, self.probe, self.budget, self.factor = loss, probe, float(budget), float(factor)
        self.history: list[tuple[float, float]] = []

    def on_epoch_end(self, epoch, logs=None):
        import numpy as np

        _, c = split_outputs(self.model.predict(self.probe, batch_size=256, verbose=0))
        penalty = float(-np.log(np.clip(c, 1e-6, 1.0)).mean())
        lam = float(self.loss.lam.numpy())
        lam = lam * self.factor if penalty > self.budget else lam / self.factor
        self.loss.lam.assign(lam)
        self.history.append((penalty, lam))
        if logs is not None:
            logs["confidence_penalty"] = penalty
            logs["confidence_lambda"] = lam
