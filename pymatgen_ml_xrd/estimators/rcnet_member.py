"""One trained RCNet of a StructureTypeIdentifier: its types, model, and reference patterns.

An :class:`RCNetMember` is what a plugin ships (``name.keras`` + ``name.json``): the structure-type
records it classifies (with prototypes), the Keras RCNet, clean reference patterns of each type
(for the similarity S of the reliability; :mod:`~pymatgen_ml_xrd.identification.similarity`), the
input grid and preprocessing, and how it was trained. Members are never retrained once written;
new types come as new members.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.estimators.model_files import ModelFileError, read_model_files, write_model_files
from pymatgen_ml_xrd.identification.similarity import (
    DOWNSAMPLE,
    decode_array,
    encode_array,
    max_similarity,
    similarity_features,
)
from pymatgen_ml_xrd.structure_types import StructureType, validate_structure_type

__all__ = ["RCNetMember", "train_rcnet"]

FORMAT = "pymatgen_ml_xrd.RCNet"
FORMAT_VERSION = 2  # 2: reference patterns replace the average patterns of version 1


@dataclass
class RCNetMember:
    """A trained RCNet.

    Attributes:
        name: identifier of the RCNet (unique within an identifier).
        types: the structure types of its softmax, in output order.
        model: Keras model, output (n, len(types) + 1): type logits, confidence logit.
        references: (n_refs, n_features) clean reference patterns as
            :func:`~pymatgen_ml_xrd.identification.similarity.similarity_features` gives them.
        reference_types: (n_refs,) type index of every reference.
        two_theta: (start, stop, step) [deg] of the input grid; wavelength: its radiation.
        preprocessing, background, background_window: what predict applies before the model.
        metadata: training provenance.
    """

    name: str
    types: list[StructureType]
    model: object
    references: NDArray
    reference_types: NDArray[np.int64]
    two_theta: tuple[float, float, float]
    wavelength: str = "CuKa1"
    preprocessing: str = "sqrt"
    background: str = "snip"
    background_window: float = 3.0
    metadata: dict = field(default_factory=dict)

    @property
    def type_names(self) -> list[str]:
        return [t.name for t in self.types]

    def outputs(self, rows: NDArray[np.float32], features: NDArray | None = None) -> tuple[NDArray, NDArray, NDArray]:
        """(type probabilities (n, T), confidence (n,), similarity S to every type (n, T)) for
        preprocessed rows on this member's grid; ``features``: the rows'
        :func:`similarity_features`, when the caller has them already."""
        from pymatgen_ml_xrd.models.rcnet import split_outputs

        proba, confidence = split_outputs(self.model.predict(rows, batch_size=256, verbose=0))
        if features is None:
            features = similarity_features(rows, self.two_theta[2])
        similarity = max_similarity(features, self.references, self.reference_types, len(self.types))
        return proba, confidence, similarity

    def save(self, path: str | Path) -> Path:
        meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "name": self.name,
            "types": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in t.__dict__.items()} for t in self.types],
            "references": encode_array(self.references), "reference_types": [int(t) for t in self.reference_types],
            "two_theta": list(self.two_theta), "wavelength": self.wavelength, "preprocessing": self.preprocessing,
            "background": self.background, "background_window": self.background_window, "metadata": self.metadata,
        }  # fmt: skip
        return write_model_files(self.model, path, meta, include_optimizer=False)

    @classmethod
    def load(cls, path: str | Path, source: str | None = None) -> RCNetMember:
        """Read a member; ``source`` re-stamps its types' plugin name. Refuses damaged files."""
        model, meta = read_model_files(path, FORMAT, FORMAT_VERSION, compile=False)
        try:
            types = [validate_structure_type({k: v for k, v in t.items() if k != "source"},
                                             source or t.get("source", "")) for t in meta["types"]]  # fmt: skip
            references = decode_array(meta["references"])
            reference_types = np.asarray(meta["reference_types"], dtype=np.int64)
            two_theta = tuple(float(v) for v in meta["two_theta"])
        except Exception as err:  # noqa: BLE001 - any malformed field is a damaged file
            raise ModelFileError(f"{Path(path).with_suffix('.json')} is damaged: {err}") from None
        n_points = int(round((two_theta[1] - two_theta[0]) / two_theta[2])) + 1
        n_features = len(range(0, n_points, DOWNSAMPLE))
        if references.ndim != 2 or references.shape[1] != n_features or len(reference_types) != len(references) \
                or set(reference_types.tolist()) != set(range(len(types))) \
                or model.output_shape[-1] != len(types) + 1 or model.input_shape[-1] != n_points:
            raise ModelFileError(f"{Path(path).with_suffix('.keras')} does not fit its metadata "
                                 f"({len(types)} types, {n_points} grid points)")  # fmt: skip
        return cls(name=meta["name"], types=types, model=model, references=references,
                   reference_types=reference_types, two_theta=two_theta,
                   wavelength=meta["wavelength"], preprocessing=meta["preprocessing"], background=meta["background"],
                   background_window=float(meta["background_window"]), metadata=meta.get("metadata", {}))  # fmt: skip


def train_rcnet(name: str, types: list[StructureType], x: NDArray[np.float32], y: NDArray[np.int64],
                two_theta: tuple[float, float, float], references: NDArray[np.float32],
                reference_labels: NDArray[np.int64], epochs: int = 15, batch_size: int = 64,
                learning_rate: float = 1e-3, architecture: str = "compact", budget: float = 0.3, seed: int = 0,
                verbose: int = 0, **settings) -> RCNetMember:
    """Train one RCNet on preprocessed rows ``x`` with type indices ``y`` (DeVries-Taylor confidence;
    rows with ``y`` = -1 are outliers, see :class:`~pymatgen_ml_xrd.models.rcnet.ConfidenceLoss`).

    ``references``: clean preprocessed rows of the types (``reference_labels`` their type
    indices) kept for the similarity S; every type needs at least one.
    """
    import keras

    from pymatgen_ml_xrd.models.rcnet import ConfidenceBudget, ConfidenceLoss, build_rcnet

    if len(types) < 2:
        raise ValueError(f"an RCNet needs at least two types, got {len(types)}")
    reference_labels = np.asarray(reference_labels, dtype=np.int64)
    if set(reference_labels.tolist()) != set(range(len(types))) or len(reference_labels) != len(references):
        raise ValueError("references must hold at least one pattern of every type, one label per pattern")
    keras.utils.set_random_seed(seed)
    model = build_rcnet(x.shape[1], len(types), architecture)
    steps = epochs * int(np.ceil(len(x) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(steps, 1), alpha=0.02)
    loss = ConfidenceLoss()
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4), loss=loss)
    known = np.flatnonzero(y >= 0)
    probe = x[np.random.default_rng(seed).permutation(known)[:512]]
    budget_cb = ConfidenceBudget(loss, probe, budget=budget)
    t0, cpu0 = time.time(), time.process_time()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose,
                        callbacks=[budget_cb])  # fmt: skip
    metadata = {
        "trained": time.strftime("%Y-%m-%d"), "patterns": int(len(known)), "outliers": int(len(x) - len(known)),
        "references": int(len(references)), "epochs": int(epochs),
        "architecture": architecture, "final_loss": float(history.history["loss"][-1]),
        "confidence_budget": budget, "confidence_history": budget_cb.history,
        "wall_seconds": time.time() - t0, "cpu_seconds": time.process_time() - cpu0,
    }  # fmt: skip
    features = similarity_features(references, two_theta[2]).astype(np.float16)
    return RCNetMember(name=name, types=list(types), model=model, references=features,
                       reference_types=reference_labels, two_theta=two_theta, metadata=metadata, **settings)
