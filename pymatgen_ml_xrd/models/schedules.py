"""Learning-rate schedules of the package's training runs."""

from __future__ import annotations

from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow

import_tensorflow()  # quietly, before Keras loads it
import keras  # noqa: E402

__all__ = ["OffsetCosineDecay"]


@keras.saving.register_keras_serializable(package="pymatgen_ml_xrd")
class OffsetCosineDecay(keras.optimizers.schedules.CosineDecay):
    """Keras' cosine decay evaluated at the optimizer's step plus ``offset`` steps.

    A run resumed from weights alone (no optimizer state) gets a new optimizer whose step count
    starts at 0, so that Adam's bias correction treats its fresh moments as fresh; ``offset`` (the
    steps the run had made) keeps the learning rate where the schedule had reached. Setting the
    new optimizer's step count instead would skip the bias correction and make the first
    hundreds of updates several times too large.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="OffsetCosineDecay", warmup_target=None,
                 warmup_steps=0, offset: int = 0):
        super().__init__(initial_learning_rate, decay_steps, alpha=alpha, name=name, warmup_target=warmup_target,
                         warmup_steps=warmup_steps)  # fmt: skip
        self.offset = int(offset)

    def __call__(self, step):
        return super().__call__(keras.ops.add(keras.ops.cast(step, "float32"), float(self.offset)))

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}
