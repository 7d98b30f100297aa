"""An ensemble of classifiers as one Keras model: the log of the mean of their probabilities.

Each member is a classifier with logits output over its own classes. The ensemble takes the same
input rows, turns each member's logits into probabilities at the member's own calibrated
temperature, places them among the ensemble's classes (a class a member lacks gets probability 0
from it) and returns ``log(mean probability)``. That output is a valid logit vector (softmax
gives back the mean probabilities), so the estimator's temperature, top-k and calibration apply
unchanged. Saved and loaded as one ``.keras`` file (the layer is registered with Keras when this
module is imported: :func:`~pymatgen_ml_xrd.models.files.read_model_files` imports it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["ProbabilityMixture", "build_ensemble"]

_TINY = 1e-12  # floor of the mean probability before the log (float32)


def _keras():
    """Keras, TensorFlow imported first without its start-up lines (the layer below needs Keras
    when this module is imported)."""
    from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow

    import_tensorflow()
    import keras

    return keras


keras = _keras()


@keras.saving.register_keras_serializable(package="pymatgen_ml_xrd")
class ProbabilityMixture(keras.layers.Layer):
    """log(mean_i softmax(logits_i / T_i) placed at ``positions[i]`` among ``n_classes``).

    Args:
        positions: for each member, the ensemble's class index of each of its outputs.
        temperatures: each member's softmax temperature (> 0).
        n_classes: the ensemble's classes.
    """

    def __init__(self, positions: Sequence[Sequence[int]], temperatures: Sequence[float], n_classes: int,
                 **kwargs) -> None:  # fmt: skip
        super().__init__(**kwargs)
        if len(positions) != len(temperatures) or not positions:
            raise InvalidParameterError("ProbabilityMixture needs one temperature per member and at least one member")
        if any(not t > 0 for t in temperatures):
            raise InvalidParameterError(f"member temperatures must be positive, got {list(temperatures)}")
        self.positions = [[int(p) for p in member] for member in positions]
        self.temperatures = [float(t) for t in temperatures]
        self.n_classes = int(n_classes)
        if any(not 0 <= p < self.n_classes for member in self.positions for p in member):
            raise InvalidParameterError(f"member class positions must lie in [0, {self.n_classes})")

    def call(self, inputs):
        ops = keras.ops
        total = None
        for logits, positions, t in zip(inputs, self.positions, self.temperatures):
            p = ops.softmax(ops.cast(logits, "float32") / t, axis=-1)
            placed = ops.matmul(p, ops.one_hot(ops.convert_to_tensor(positions, dtype="int32"), self.n_classes))
            total = placed if total is None else total + placed
        return ops.log(ops.maximum(total / len(self.positions), _TINY))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.n_classes)

    def get_config(self) -> dict:
        return {**super().get_config(), "positions": self.positions, "temperatures": self.temperatures,
                "n_classes": self.n_classes}  # fmt: skip


def build_ensemble(members: Sequence, member_classes: Sequence, temperatures: Sequence[float], classes) -> keras.Model:
    """One Keras model over the same input rows: ``log`` of the mean of the members' probabilities.

    Args:
        members: trained ``keras.Model`` classifiers with logits output, all of one input shape.
        member_classes: each member's class labels (in the order of its outputs).
        temperatures: each member's softmax temperature.
        classes: the ensemble's class labels (sorted; every member's classes among them).

    Raises:
        InvalidParameterError: fewer than two members, other input shapes, or a member class
            missing from ``classes``.
    """
    if len(members) < 2:
        raise InvalidParameterError("an ensemble needs at least two members")
    shapes = {tuple(m.input_shape[1:]) for m in members}
    if len(shapes) != 1:
        raise InvalidParameterError(f"ensemble members must take one input shape, got {sorted(shapes)}")
    classes = np.asarray(classes)
    positions = []
    for labels in member_classes:
        labels = np.asarray(labels)
        missing = np.setdiff1d(labels, classes)
        if len(missing):
            raise InvalidParameterError(f"member classes {missing.tolist()} are not among the ensemble's classes")
        positions.append(np.searchsorted(classes, labels).tolist())
    inputs = keras.Input(shape=shapes.pop(), name="pattern")
    outputs = []
    for i, model in enumerate(members):
        member = keras.Model(model.inputs[0], model.outputs[0], name=f"member_{i}")  # shares the trained layers
        outputs.append(member(inputs))
    mixed = ProbabilityMixture(positions, temperatures, len(classes), name="log_mean_probability")(outputs)
    return keras.Model(inputs, mixed, name="ensemble")
