"""Saving and loading an estimator's Keras model with its metadata: ``name.keras`` + ``name.json``.

One format for every estimator of the package: the JSON names the format (the estimator class)
and its version, so that loading refuses a foreign, damaged or newer file with a clear error
instead of a Keras traceback. Saving never replaces an existing model unless asked
(``overwrite=True``) and writes a SHA-256 checksum over the Keras file and the metadata, which
loading verifies: a weight damaged inside a valid zip, or metadata edited by hand (classes
reordered, a temperature changed), is refused. Files written before checksums load unchecked.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pymatgen_ml_xrd.errors import ModelFileError
from pymatgen_ml_xrd.io.format_files import read_format_json

__all__ = ["ModelFileError", "model_base", "read_model_files", "write_model_files", "read_weights_file",
           "write_weights_file", "CHECKSUM_KEY", "COMPACT_MIN_SIZE"]

#: weight arrays of at least this many entries are stored as float16 by :func:`write_weights_file`
#: (convolution and dense kernels); smaller ones (biases, normalisation statistics, whose small
#: variances float16 would flush) stay float32
COMPACT_MIN_SIZE = 1024

#: the metadata entry holding the checksum
CHECKSUM_KEY = "checksum"


def _checksum(model_path: Path, metadata: dict) -> str:
    """SHA-256 over the Keras file's bytes and the metadata (without the checksum) as sorted JSON."""
    digest = hashlib.sha256(Path(model_path).read_bytes())
    rest = {k: v for k, v in metadata.items() if k != CHECKSUM_KEY}
    digest.update(json.dumps(rest, sort_keys=True, default=float).encode())
    return "sha256:" + digest.hexdigest()


def model_base(path: str | Path) -> Path:
    """``path`` without a ``.keras``/``.json`` suffix (any other dot stays: "sg.v1" is its own model)."""
    path = Path(path)
    return path.with_suffix("") if path.suffix in (".keras", ".json") else path


def write_model_files(model, path: str | Path, metadata: dict, include_optimizer: bool = True,
                      overwrite: bool = False) -> Path:
    """Write ``path.keras`` and ``path.json`` (atomically replaced) with a checksum; returns the
    JSON path.

    ``include_optimizer=False`` writes the weights without the optimizer state (a third of the
    size; enough to predict).

    Raises:
        ModelFileError: ``path`` holds a model already and ``overwrite`` is False.
    """
    base, target_model = _targets(path, ".keras", overwrite)
    tmp = base.with_name(base.name + ".tmp.keras")
    if not include_optimizer:
        from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
        import_tensorflow()  # quietly, before Keras loads it
        import keras

        # an uncompiled view on the same layers (keras.models.clone_model keeps the optimizer)
        model = keras.Model(inputs=model.inputs, outputs=model.outputs, name=model.name)
    model.save(tmp)
    return _commit(base, tmp, target_model, metadata)


def _targets(path: str | Path, suffix: str, overwrite: bool) -> tuple[Path, Path]:
    """(base, data file) of ``path``; refuses to replace an existing model unless ``overwrite``."""
    base = model_base(path)
    target, target_meta = base.with_name(base.name + suffix), base.with_name(base.name + ".json")
    if not overwrite and (target.exists() or target_meta.exists()):
        raise ModelFileError(f"{target_meta if target_meta.exists() else target} exists: pass overwrite=True "
                             "to replace that model, or choose another path")  # fmt: skip
    base.parent.mkdir(parents=True, exist_ok=True)
    return base, target


def _commit(base: Path, tmp: Path, target: Path, metadata: dict, extra: dict | None = None) -> Path:
    """Write the metadata (with ``extra`` and the checksum over ``tmp`` and itself) beside the
    data file ``tmp``, then move both into place; returns the JSON path."""
    # JSON-normalised (tuples as lists, numpy floats as floats) so that the checksum reads back alike
    metadata = json.loads(json.dumps({k: v for k, v in metadata.items() if k != CHECKSUM_KEY}, default=float))
    metadata.update(extra or {})
    metadata[CHECKSUM_KEY] = _checksum(tmp, metadata)
    target_meta = base.with_name(base.name + ".json")
    tmp_json = base.with_name(base.name + ".tmp.json")
    tmp_json.write_text(json.dumps(metadata, indent=1))
    os.replace(tmp, target)
    os.replace(tmp_json, target_meta)
    return target_meta


def read_model_files(path: str | Path, file_format: str, format_version: int, compile: bool = True):
    """Read what :func:`write_model_files` wrote; returns ``(keras model, metadata dict)``.

    Raises:
        ModelFileError: a missing file, invalid JSON, another format or version, or a Keras file
            that does not load.
    """
    from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
    import_tensorflow()  # quietly, before Keras loads it
    import keras

    import pymatgen_ml_xrd.models.ensemble  # noqa: F401 - registers the layer of an ensemble's output
    import pymatgen_ml_xrd.models.schedules  # noqa: F401 - registers the schedules a checkpoint's optimizer uses

    base = model_base(path)
    meta_path, model_path = base.with_name(base.name + ".json"), base.with_name(base.name + ".keras")
    meta = read_format_json(meta_path, (model_path,), file_format, format_version, ModelFileError, "model file")
    stored = meta.get(CHECKSUM_KEY)
    if stored is not None and stored != _checksum(model_path, meta):
        raise ModelFileError(f"{base} is damaged or was edited: its checksum does not match {model_path.name} and "
                             f"{meta_path.name} (save it again from the estimator instead of editing the files)")
    try:
        model = keras.saving.load_model(model_path, compile=compile)
    except Exception as err:  # noqa: BLE001 - keras raises many types for unreadable files
        raise ModelFileError(f"{model_path} could not be read by keras: {err}") from None
    return model, meta


def write_weights_file(weights: list, path: str | Path, metadata: dict, overwrite: bool = False) -> Path:
    """Write a compact weights-only checkpoint: ``path.npz`` (the arrays of
    ``model.get_weights()``, those of at least ``COMPACT_MIN_SIZE`` entries as float16, half the
    size; compressed) and ``path.json`` (metadata with a checksum over both); returns the JSON path.

    It holds no architecture and no optimizer state: the estimator rebuilds its model from the
    metadata and sets these weights (:func:`read_weights_file`). A float16 array that would not
    be finite (|w| > 65,504) is stored as float32.

    Raises:
        ModelFileError: ``path`` holds a checkpoint already and ``overwrite`` is False.
    """
    import numpy as np

    base, target_npz = _targets(path, ".npz", overwrite)
    arrays = {}
    for i, w in enumerate(weights):
        w = np.asarray(w, dtype=np.float32)
        half = w.astype(np.float16)
        arrays[f"w{i:04d}"] = half if w.size >= COMPACT_MIN_SIZE and np.isfinite(half).all() else w
    tmp = base.with_name(base.name + ".tmp.npz")
    with open(tmp, "wb") as handle:  # a file object: numpy adds no second suffix
        np.savez_compressed(handle, **arrays)
    extra = {"weights_file": {"arrays": len(arrays), "float16": sum(a.dtype == np.float16 for a in arrays.values())}}
    return _commit(base, tmp, target_npz, metadata, extra)


def read_weights_file(path: str | Path, file_format: str, format_version: int):
    """Read what :func:`write_weights_file` wrote; returns ``(list of float32 arrays, metadata)``.

    Raises:
        ModelFileError: a missing or damaged file, another format or version, a checksum that
            does not match.
    """
    import zipfile

    import numpy as np

    base = model_base(path)
    meta_path, npz_path = base.with_name(base.name + ".json"), base.with_name(base.name + ".npz")
    meta = read_format_json(meta_path, (npz_path,), file_format, format_version, ModelFileError, "weights file")
    if meta.get(CHECKSUM_KEY) != _checksum(npz_path, meta):
        raise ModelFileError(f"{base} is damaged or was edited: its checksum does not match {npz_path.name} and "
                             f"{meta_path.name}")  # fmt: skip
    count = meta.get("weights_file", {}).get("arrays")
    try:
        with np.load(npz_path, allow_pickle=False) as stored:
            weights = [stored[f"w{i:04d}"].astype(np.float32) for i in range(int(count))]
    except (KeyError, TypeError, ValueError, OSError, zipfile.BadZipFile) as err:
        raise ModelFileError(f"{npz_path} could not be read: {err!r}") from None
    return weights, meta
