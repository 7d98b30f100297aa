"""One trained RCNet of a StructureTypeIdentifier: its types, model, and reference patterns.

An :class:`RCNetMember` is what a plugin ships (``name.keras`` + ``name.json``): the structure-type
records it classifies (with prototypes), the Keras RCNet, clean reference patterns of each type
(for the similarity S of the reliability; :mod:`~pymatgen_ml_xrd.identification.similarity`), its
:class:`~pymatgen_ml_xrd.patterns.PatternSpec` (input grid, wavelength, background removal,
preprocessing, and the training draws), and how it was trained. Members are never retrained once
written; new types come as new members.

File format versions: 3 stores the spec as ``"pattern_spec"`` and the provenance as
``metadata["training"]`` (:func:`~pymatgen_ml_xrd.models.provenance.training_record`); 2 (the
shipped files) stored the input fields loose (two_theta, wavelength, preprocessing, background,
background_window) and the provenance flat: it loads as a pseudo-Voigt spec with those fields and
``metadata = {"training": <the flat dict>}``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pymatgen_ml_xrd.errors import InvalidParameterError, ModelFileError
from pymatgen_ml_xrd.identification.records import StructureType, validate_structure_type
from pymatgen_ml_xrd.identification.similarity import (
    DOWNSAMPLE,
    decode_array,
    encode_array,
    max_similarity,
    similarity_features,
)
from pymatgen_ml_xrd.models.files import model_base, read_model_files, write_model_files
from pymatgen_ml_xrd.models.provenance import training_record
from pymatgen_ml_xrd.patterns.spec import PatternSpec

__all__ = ["RCNetMember", "train_rcnet"]

FORMAT = "pymatgen_ml_xrd.RCNet"
#: 2: reference patterns replace the average patterns of version 1; 3: "pattern_spec" replaces the
#: loose input fields, provenance under metadata["training"]
FORMAT_VERSION = 3
READABLE_VERSIONS = (2, 3)
#: the input fields of a version-2 file (its spec: these, pseudo-Voigt training draws)
_V2_FIELDS = ("two_theta", "wavelength", "preprocessing", "background", "background_window")


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
        spec: the :class:`PatternSpec` of its input (what predict applies before the model:
            ``model_rows(X, spec)``) and of its training draws.
        metadata: ``{"training": provenance}``.
    """

    name: str
    types: list[StructureType]
    model: object
    references: NDArray
    reference_types: NDArray[np.int64]
    spec: PatternSpec
    metadata: dict = field(default_factory=dict)

    @property
    def type_names(self) -> list[str]:
        return [t.name for t in self.types]

    def outputs(self, rows: NDArray[np.float32], features: NDArray | None = None,
                raw: NDArray | None = None) -> tuple[NDArray, NDArray, NDArray]:
        """(type probabilities (n, T), confidence (n,), similarity S to every type (n, T)) for
        preprocessed rows on this member's grid; ``features``: the rows'
        :func:`similarity_features`, when the caller has them already; ``raw``: the network's
        output for ``rows``, when the caller ran it already (one graph over several members)."""
        from pymatgen_ml_xrd.models.rcnet import split_outputs

        if raw is None:
            raw = self.model.predict(rows, batch_size=256, verbose=0)
        proba, confidence = split_outputs(raw)
        if features is None:
            features = similarity_features(rows, self.spec.step)
        similarity = max_similarity(features, self.references, self.reference_types, len(self.types))
        return proba, confidence, similarity

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write ``path.keras`` + ``path.json`` (format version 3, checksum); returns the JSON path.
        An existing member at ``path`` is replaced only with ``overwrite=True``."""
        meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "name": self.name,
            "types": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in t.__dict__.items()} for t in self.types],
            "references": encode_array(self.references), "reference_types": [int(t) for t in self.reference_types],
            "pattern_spec": self.spec.to_dict(), "metadata": self.metadata,
        }  # fmt: skip
        return write_model_files(self.model, path, meta, include_optimizer=False, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path, source: str | None = None) -> RCNetMember:
        """Read a member (format version 2 or 3); ``source`` re-stamps its types' plugin name.

        Raises:
            ModelFileError: a missing, foreign, newer or damaged file, or a model that does not fit
                its metadata.
        """
        base = model_base(path)
        meta_path = base.with_name(base.name + ".json")
        model, meta = read_model_files(base, FORMAT, _stored_version(meta_path), compile=False)
        try:
            types = [validate_structure_type({k: v for k, v in t.items() if k != "source"},
                                             source or t.get("source", "")) for t in meta["types"]]  # fmt: skip
            references = decode_array(meta["references"])
            reference_types = np.asarray(meta["reference_types"], dtype=np.int64)
            if meta["format_version"] == 2:
                spec = PatternSpec(**{k: (tuple(meta[k]) if k == "two_theta" else meta[k]) for k in _V2_FIELDS},
                                   profile="pseudo-voigt")  # fmt: skip
                metadata = {"training": meta.get("metadata", {})}
            else:
                spec = PatternSpec.from_dict(meta["pattern_spec"])
                metadata = meta.get("metadata", {})
        except Exception as err:  # noqa: BLE001 - any malformed field is a damaged file
            raise ModelFileError(f"{meta_path} is damaged: {err}") from None
        n_features = len(range(0, spec.n_points, DOWNSAMPLE))
        if references.ndim != 2 or references.shape[1] != n_features or len(reference_types) != len(references) \
                or set(reference_types.tolist()) != set(range(len(types))) \
                or model.output_shape[-1] != len(types) + 1 or model.input_shape[-1] != spec.n_points:
            raise ModelFileError(f"{base.with_name(base.name + '.keras')} does not fit its metadata "
                                       f"({len(types)} types, {spec.n_points} grid points)")  # fmt: skip
        return cls(name=meta["name"], types=types, model=model, references=references,
                   reference_types=reference_types, spec=spec, metadata=metadata)  # fmt: skip


def _stored_version(meta_path: Path) -> int:
    """The format version ``meta_path`` declares when it is one this module reads, else the
    current one (so that read_model_files reports the mismatch, or the missing or broken file)."""
    try:
        version = json.loads(meta_path.read_text()).get("format_version")
    except (OSError, ValueError, AttributeError):
        return FORMAT_VERSION
    return version if version in READABLE_VERSIONS else FORMAT_VERSION


def train_rcnet(name: str, types: list[StructureType], x: NDArray[np.float32], y: NDArray[np.int64],
                spec: PatternSpec, references: NDArray[np.float32], reference_labels: NDArray[np.int64],
                epochs: int = 15, batch_size: int = 64, learning_rate: float = 1e-3, architecture: str = "compact",
                budget: float = 0.3, seed: int = 0, verbose: int = 0,
                source: str = "structure-type members and synthetic variants") -> RCNetMember:
    """Train one RCNet on preprocessed rows ``x`` (on ``spec``'s grid, as :func:`model_input` gives
    them) with type indices ``y`` (DeVries-Taylor confidence; rows with ``y`` = -1 are outliers, see
    :class:`~pymatgen_ml_xrd.models.rcnet.ConfidenceLoss`).

    ``references``: clean preprocessed rows of the types (``reference_labels`` their type
    indices) kept for the similarity S; every type needs at least one. ``source``: what the
    training patterns are, for the provenance (``metadata["training"]``).

    Raises:
        InvalidParameterError: fewer than two types, references missing a type, or rows that are
            not on the spec's grid.
    """
    from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
    import_tensorflow()  # quietly, before Keras loads it
    import keras

    from pymatgen_ml_xrd.models.rcnet import ConfidenceBudget, ConfidenceLoss, build_rcnet

    if len(types) < 2:
        raise InvalidParameterError(f"an RCNet needs at least two types, got {len(types)}")
    reference_labels = np.asarray(reference_labels, dtype=np.int64)
    if set(reference_labels.tolist()) != set(range(len(types))) or len(reference_labels) != len(references):
        raise InvalidParameterError("references must hold at least one pattern of every type, one label per pattern")
    if x.ndim != 2 or x.shape[1] != spec.n_points:
        raise InvalidParameterError(f"x must have shape (n, {spec.n_points}) for the spec's grid, got {x.shape}")
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
    losses = [float(v) for v in history.history["loss"]]
    record = training_record(
        source, patterns_seen=len(x) * epochs, wall_seconds=time.time() - t0, cpu_seconds=time.process_time() - cpu0,
        history={"loss": losses}, patterns=int(len(known)), outliers=int(len(x) - len(known)),
        references=int(len(references)), epochs=int(epochs), architecture=architecture, final_loss=losses[-1],
        confidence_budget=budget, confidence_history=budget_cb.history,
    )  # fmt: skip
    features = similarity_features(references, spec.step).astype(np.float16)
    return RCNetMember(name=name, types=list(types), model=model, references=features,
                       reference_types=reference_labels, spec=spec, metadata={"training": record})  # fmt: skip
