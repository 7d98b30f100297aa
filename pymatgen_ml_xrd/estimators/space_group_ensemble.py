"""Space-group classifiers combined into one: the mean of their calibrated probabilities.

``ensemble_classifier(["v2", "experimental"])`` is a :class:`SpaceGroupClassifier` like any other
(predict, top-k, verify, save, load), whose network is the members' networks side by side
(:func:`~pymatgen_ml_xrd.models.ensemble.build_ensemble`): each member's probabilities at its own
temperature, placed among the union of their classes, averaged. Its own temperature starts at 1
(:meth:`SpaceGroupClassifier.calibrate` fits it). The shipped default is such an ensemble
(recipe ``space-group-default-v2``, docs/space_group.md).

Members must read patterns alike: the same input grid, wavelength, preprocessing and background
removal (:data:`~pymatgen_ml_xrd.patterns.spec.INPUT_FIELDS` of their
:class:`~pymatgen_ml_xrd.patterns.PatternSpec`); the ensemble keeps the first member's spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.estimators.space_group import SpaceGroupClassifier
from pymatgen_ml_xrd.models import ENSEMBLE_ARCHITECTURE
from pymatgen_ml_xrd.models.ensemble import build_ensemble
from pymatgen_ml_xrd.models.provenance import training_record
from pymatgen_ml_xrd.patterns.spec import INPUT_FIELDS

__all__ = ["ensemble_classifier"]


def ensemble_classifier(members: Sequence[SpaceGroupClassifier | str | Path]) -> SpaceGroupClassifier:
    """One classifier from several: the mean of their calibrated probabilities.

    Args:
        members: fitted classifiers, shipped names ("v2", "experimental", ...) or saved paths;
            at least two, reading patterns alike (``INPUT_FIELDS``).

    Returns:
        A SpaceGroupClassifier (``pretrained=None``, fitted) over the union of the members'
        classes, temperature 1, whose ``metadata_["ensemble"]`` lists the members (name, recipe,
        patterns seen, temperature, classes) and whose patterns seen are the members' sum.

    Raises:
        InvalidParameterError: fewer than two members, or members whose input fields differ.
    """
    if isinstance(members, (str, Path, SpaceGroupClassifier)) or len(members) < 2:
        raise InvalidParameterError("an ensemble needs a list of at least two classifiers")
    loaded, names = [], []
    for member in members:
        if isinstance(member, SpaceGroupClassifier):
            member._ensure_model()
            loaded.append(member)
            names.append(str(member.pretrained) if member.pretrained is not None else "fitted")
        elif isinstance(member, (str, Path)):
            loaded.append(SpaceGroupClassifier.load(SpaceGroupClassifier.pretrained_path(member)))
            # a shipped name as it is; a saved model by its file name (the metadata holds no machine path)
            names.append(str(member) if str(member) in SpaceGroupClassifier._pretrained_files else Path(member).name)
        else:
            raise InvalidParameterError(f"ensemble members must be classifiers, names or paths, got {member!r}")
    first = loaded[0]
    for name, other in zip(names[1:], loaded[1:]):
        first.spec_.require_same(other.spec_, f"ensemble member {name}", fields=INPUT_FIELDS)
    classes = np.unique(np.concatenate([m.classes_ for m in loaded])).astype(np.int64)
    est = SpaceGroupClassifier(pretrained=None, verbose=False)
    est.model_ = build_ensemble([m.model_ for m in loaded], [m.classes_ for m in loaded],
                                [m.temperature_ for m in loaded], classes)  # fmt: skip
    est.classes_ = classes
    est.temperature_ = 1.0
    est.params_ = dict(first.params_, architecture=ENSEMBLE_ARCHITECTURE)
    est.spec_ = first.spec_
    records = []
    for name, m in zip(names, loaded):
        training = m.metadata_.get("training", {})
        records.append({"name": name, "recipe": m.metadata_.get("recipe", {}).get("name"),
                        "patterns_seen": int(training.get("patterns_seen", 0)),
                        "wall_seconds": float(training.get("wall_seconds", 0.0)),
                        "temperature": float(m.temperature_), "n_classes": len(m.classes_)})  # fmt: skip
    est.metadata_ = {
        "training": training_record(
            f"ensemble of {', '.join(names)}: the mean of their calibrated probabilities",
            sum(r["patterns_seen"] for r in records), sum(r["wall_seconds"] for r in records), program="pmlxrd"),
        "ensemble": {"members": records},
    }
    return est
