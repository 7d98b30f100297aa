"""Keras model builders: configuration in, ``keras.Model`` out (no training logic here); Grad-CAM."""

from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.models.grad_cam import grad_cam
from pymatgen_ml_xrd.models.parkcnn import PARKCNN_SIZES, build_parkcnn
from pymatgen_ml_xrd.models.resnet1d import ARCHITECTURES, build_resnet1d

__all__ = ["build_resnet1d", "build_parkcnn", "build_classifier", "grad_cam", "CLASSIFIER_ARCHITECTURES",
           "ENSEMBLE_ARCHITECTURE"]

CLASSIFIER_ARCHITECTURES = (*ARCHITECTURES, *PARKCNN_SIZES)
#: the ``architecture`` a classifier records for an ensemble of trained classifiers
#: (:mod:`pymatgen_ml_xrd.models.ensemble`; not buildable from random weights)
ENSEMBLE_ARCHITECTURE = "ensemble"


def build_classifier(n_points: int, n_classes: int, architecture: str = "compact"):
    """A pattern classifier (logits output) of any architecture in CLASSIFIER_ARCHITECTURES."""
    if architecture in PARKCNN_SIZES:
        return build_parkcnn(n_points, n_classes, architecture)
    if architecture in ARCHITECTURES:
        return build_resnet1d(n_points, n_classes, architecture)
    raise InvalidParameterError(f"architecture must be one of {CLASSIFIER_ARCHITECTURES}, got {architecture!r}")
