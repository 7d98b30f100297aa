"""Keras model builders: configuration in, ``keras.Model`` out (no training logic here)."""

from pymatgen_ml_xrd.models.resnet1d import build_resnet1d

__all__ = ["build_resnet1d"]
