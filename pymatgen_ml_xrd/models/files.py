"""Saving and loading an estimator's Keras model with its metadata: ``name.keras`` + ``name.json``.

One format for every estimator of the package: the JSON names the format (the estimator class)
and its version, so that loading refuses a foreign, damaged or newer file with a clear error
instead of a Keras traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pymatgen_ml_xrd.errors import ModelFileError
from pymatgen_ml_xrd.io.format_files import read_format_json

__all__ = ["ModelFileError", "model_base", "read_model_files", "write_model_files"]


def model_base(path: str | Path) -> Path:
    """``path`` without a ``.keras``/``.json`` suffix (any other dot stays: "sg.v1" is its own model)."""
    path = Path(path)
    return path.with_suffix("") if path.suffix in (".keras", ".json") else path


def write_model_files(model, path: str | Path, metadata: dict, include_optimizer: bool = True) -> Path:
    """Write ``path.keras`` and ``path.json`` (atomically replaced); returns the JSON path.

    ``include_optimizer=False`` writes the weights without the optimizer state (a third of the
    size; enough to predict).
    """
    base = model_base(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    tmp = base.with_name(base.name + ".tmp.keras")
    target_model, target_meta = base.with_name(base.name + ".keras"), base.with_name(base.name + ".json")
    if not include_optimizer:
        import keras

        # an uncompiled view on the same layers (keras.models.clone_model keeps the optimizer)
        model = keras.Model(inputs=model.inputs, outputs=model.outputs, name=model.name)
    model.save(tmp)
    os.replace(tmp, target_model)
    tmp_json = base.with_name(base.name + ".tmp.json")
    tmp_json.write_text(json.dumps(metadata, indent=1, default=float))
    os.replace(tmp_json, target_meta)
    return target_meta


def read_model_files(path: str | Path, file_format: str, format_version: int, compile: bool = True):
    """Read what :func:`write_model_files` wrote; returns ``(keras model, metadata dict)``.

    Raises:
        ModelFileError: a missing file, invalid JSON, another format or version, or a Keras file
            that does not load.
    """
    import keras

    base = model_base(path)
    meta_path, model_path = base.with_name(base.name + ".json"), base.with_name(base.name + ".keras")
    meta = read_format_json(meta_path, (model_path,), file_format, format_version, ModelFileError, "model file")
    try:
        model = keras.saving.load_model(model_path, compile=compile)
    except Exception as err:  # noqa: BLE001 - keras raises many types for unreadable files
        raise ModelFileError(f"{model_path} could not be read by keras: {err}") from None
    return model, meta
