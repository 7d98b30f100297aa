"""Infinite streams of synthetic training batches: generator -> simulator -> preprocessing -> (X, y)."""

from pymatgen_ml_xrd.streams.batches import BatchConfig, make_batch
from pymatgen_ml_xrd.streams.local import LocalStream
from pymatgen_ml_xrd.streams.ray_stream import RayStream

__all__ = ["BatchConfig", "make_batch", "LocalStream", "RayStream"]
