"""Saving and loading an estimator's Keras model with its metadata: ``name.keras`` + ``name.json``.

One format for every estimator of the package: the JSON names the format (the estimator class)
and its version, so that loading refuses a foreign, damaged or newer file with a clear error
instead of a Keras traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pymatgen_ml_xrd.errors import PymatgenMLXRDError

__all__ = ["LazyPretrainedWeights", "ModelFileError", "read_model_files", "write_model_files"]


class ModelFileError(PymatgenMLXRDError, ValueError):
    """A model file is missing, damaged, foreign or of another format version."""


class LazyPretrainedWeights:
    """Mixin for estimators with shipped weights: the fitted attributes named in
    ``_lazy_attributes`` load the ``pretrained`` weights on first access (through the class's
    ``_ensure_model``), so ``SpaceGroupClassifier().classes_`` works before any prediction while
    constructing an estimator stays cheap."""

    _lazy_attributes: tuple[str, ...] = ()

    def __getattr__(self, name: str):
        # called only when normal lookup fails; self.__dict__ never recurses into __getattr__
        state = self.__dict__
        if name in type(self)._lazy_attributes and "model_" not in state and state.get("pretrained") is not None:
            self._ensure_model()
            if name in state:
                return state[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def write_model_files(model, path: str | Path, metadata: dict, include_optimizer: bool = True) -> Path:
    """Write ``path.keras`` and ``path.json`` (atomically replaced); returns the JSON path.

    ``include_optimizer=False`` writes the weights without the optimizer state (a third of the
    size; enough to predict).
    """
    base = Path(path).with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    tmp = base.with_name(base.name + ".tmp.keras")
    if not include_optimizer:
        import keras

        # an uncompiled view on the same layers (keras.models.clone_model keeps the optimizer)
        model = keras.Model(inputs=model.inputs, outputs=model.outputs, name=model.name)
    model.save(tmp)
    os.replace(tmp, base.with_suffix(".keras"))
    tmp_json = base.with_name(base.name + ".tmp.json")
    tmp_json.write_text(json.dumps(metadata, indent=1, default=float))
    os.replace(tmp_json, base.with_suffix(".json"))
    return base.with_suffix(".json")


def read_model_files(path: str | Path, file_format: str, format_version: int, compile: bool = True):
    """Read what :func:`write_model_files` wrote; returns ``(keras model, metadata dict)``.

    Raises:
        ModelFileError: a missing file, invalid JSON, another format or version, or a Keras file
            that does not load.
    """
    import keras

    base = Path(path).with_suffix("")
    meta_path, model_path = base.with_suffix(".json"), base.with_suffix(".keras")
    for p in (meta_path, model_path):
        if not p.is_file():
            raise ModelFileError(f"model file {p} does not exist")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{meta_path} is not valid JSON: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != file_format:
        raise ModelFileError(f"{meta_path} is not a {file_format} file")
    if meta.get("format_version") != format_version:
        raise ModelFileError(f"{meta_path} has format version {meta.get('format_version')!r}, expected {format_version}")
    try:
        model = keras.saving.load_model(model_path, compile=compile)
    except Exception as err:  # noqa: BLE001 - keras raises many types for unreadable files
        raise ModelFileError(f"{model_path} could not be read by keras: {err}") from None
    return model, meta
