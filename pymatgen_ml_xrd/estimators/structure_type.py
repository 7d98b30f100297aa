"""StructureTypeIdentifier: structure types from powder patterns, a union of RCNets (paper 003).

Every RCNet classifies its own group of types and reports a confidence C. For a pattern, each
RCNet k proposes its most probable type t_k with reliability R_k = alpha S_k + (1 - alpha) C_k,
where S_k is the largest cosine similarity between the (blurred) pattern and t_k's reference
patterns (:mod:`pymatgen_ml_xrd.identification.similarity`); the answer is the proposal with the
largest R, or "unknown" when that R is below ``threshold``. Defaults alpha = 0.7 (paper 003) and
R0 = 0.8 (paper: 0.6; our S is a maximum over references and runs higher, and 0.8 is what the
validation third of held-out members chose in benchmarks/bench_structure_types.py: 0.875 for
pure, 0.775 for patterns with experimental effects). New types come as new RCNets
(:meth:`add_types`, or plugins); existing RCNets are never retrained.

scikit-learn conventions: ``__init__`` stores parameters; ``classes_`` holds the type names;
``predict`` returns names (or "unknown"); :meth:`predict_reliability` gives the reliabilities per
type (not probabilities: rows do not sum to 1).
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin

from pymatgen_ml_xrd.errors import InvalidParameterError, NotFittedModelError
from pymatgen_ml_xrd.estimators.base import PretrainedEstimator, check_top_k, params_from_json, params_to_json
from pymatgen_ml_xrd.estimators.verification import (
    MAX_RWP,
    check_compositions,
    check_max_rwp,
    check_verify,
    fit_patterns,
    kept_phases,
    pattern_items,
)
from pymatgen_ml_xrd.hooks import hookimpl
from pymatgen_ml_xrd.identification.rcnet_member import RCNetMember, train_rcnet
from pymatgen_ml_xrd.identification.records import StructureType
from pymatgen_ml_xrd.identification.reliability import combine_reliability
from pymatgen_ml_xrd.models.files import ModelFileError
from pymatgen_ml_xrd.patterns import PatternSpec, model_rows
from pymatgen_ml_xrd.patterns.spec import INPUT_FIELDS

__all__ = ["MAX_RWP", "StructureTypeIdentifier", "UNKNOWN", "combine_reliability"]

UNKNOWN = "unknown"
FORMAT = "pymatgen_ml_xrd.StructureTypeIdentifier"
#: clean reference patterns per type kept for the similarity S (members and variants)
REFERENCES_PER_TYPE = 30


class StructureTypeIdentifier(ClassifierMixin, PretrainedEstimator):
    """Identify structure types from powder diffractograms.

    The pattern parameters (``two_theta``, ``wavelength``, ``background``, ``background_window``)
    default to None: "as the RCNets were trained" with ``pretrained`` (an explicit value that
    differs raises an error naming both), the defaults in brackets for fit. With the training
    draws (pseudo-Voigt profiles, ``effects``) they make the :class:`~pymatgen_ml_xrd.patterns.
    PatternSpec` every trained RCNet stores; predict applies the RCNets' spec to every input.

    Args:
        pretrained: "default" (the shipped RCNets), a folder written by :meth:`save`, or None.
        plugins: also load the RCNets of installed plugins (entry-point group "pymatgen_ml_xrd").
        alpha: weight of the similarity S in the reliability R = alpha S + (1 - alpha) C.
        threshold: R0; answers with R below it are "unknown" (0.8: chosen on validation, see the
            module docstring).
        two_theta: [(5, 90, 0.04)] (start, stop, step) [deg] of the RCNets' input grid.
        wavelength: ["CuKa1"] radiation of the input grid (patterns at other wavelengths are converted).
        background, background_window: ["snip", 3.0] background removal before the RCNets.
        types_per_rcnet: about this many types share an RCNet (fit).
        patterns_per_type, real_share: training patterns per type; share simulated from the
            given members as they are (the rest from synthetic variants).
        epochs, batch_size, learning_rate, architecture, confidence_budget: RCNet training.
        n_outliers: patterns per RCNet of crystals that are none of its types (half from the other
            RCNets of the same fit, the rest random synthetic crystals), trained towards low
            confidence (outlier exposure; 0: paper 003's training without it).
        effects: experimental effects (dict of ExperimentalEffects fields) of the training patterns.
        seed: random seed; verbose: progress output during fit.
        verify: check every answer by a fit (:meth:`predict_verified`): the RCNets' ``verify_top_k``
            types and the screening's best references of the catalogue are refined against the
            pattern by a :class:`~pymatgen_ml_xrd.PhaseIdentifier`, and the type of the best fit
            is the answer, "unknown" when its R_wp exceeds ``max_rwp``. Seconds per pattern
            instead of milliseconds; meant for measured scans.
        verify_top_k: RCNet types that join the candidates of the fit.
        max_rwp: R_wp above which a verified answer is "unknown"; None: 0.39 for patterns with
            a composition, 0.31 without (``MAX_RWP``, chosen on measured scans: docs/benchmarks.md,
            "Structure types of measured scans").
    """

    _pretrained_files = {"default": "structure_types"}  # the default plugin's folder
    _fitted_attributes = ("rcnets_",)
    _weights_params = {"two_theta": (5.0, 90.0, 0.04), "wavelength": "CuKa1", "background": "snip",
                       "background_window": 3.0}  # fmt: skip

    def __init__(self, pretrained: str | None = "default", plugins: bool = True, alpha: float = 0.7,
                 threshold: float = 0.8, two_theta: tuple[float, float, float] | None = None,
                 wavelength: str | float | None = None, background: str | None = None,
                 background_window: float | None = None, types_per_rcnet: int = 10, patterns_per_type: int = 300,
                 real_share: float = 0.3, epochs: int = 15, batch_size: int = 64, learning_rate: float = 1e-3,
                 architecture: str = "tiny", confidence_budget: float = 0.3, n_outliers: int = 1200,
                 effects: dict | None = None, seed: int = 0, verbose: bool = True, verify: bool = False,
                 verify_top_k: int = 5, max_rwp: float | None = None) -> None:
        self.pretrained = pretrained
        self.plugins = plugins
        self.alpha = alpha
        self.threshold = threshold
        self.two_theta = two_theta
        self.wavelength = wavelength
        self.background = background
        self.background_window = background_window
        self.types_per_rcnet = types_per_rcnet
        self.patterns_per_type = patterns_per_type
        self.real_share = real_share
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.architecture = architecture
        self.confidence_budget = confidence_budget
        self.n_outliers = n_outliers
        self.effects = effects
        self.seed = seed
        self.verbose = verbose
        self.verify = verify
        self.verify_top_k = verify_top_k
        self.max_rwp = max_rwp

    # ------------------------------------------------------------------ state
    @property
    def classes_(self) -> NDArray:
        self._ensure_model()
        return np.array([name for m in self.rcnets_ for name in m.type_names], dtype=object)

    @property
    def structure_types_(self) -> list[StructureType]:
        self._ensure_model()
        return [t for m in self.rcnets_ for t in m.types]

    @property
    def spec_(self) -> PatternSpec:
        """The RCNets' shared input spec (the first RCNet's; every other agrees on INPUT_FIELDS)."""
        self._ensure_model()
        return self.rcnets_[0].spec

    @property
    def params_(self) -> dict:
        """The pattern parameters of the RCNets (what None means for ``two_theta`` etc.)."""
        spec = self.spec_
        return {name: getattr(spec, name) for name in type(self)._weights_params}

    def _source(self) -> tuple:
        return (self.pretrained, bool(self.plugins))

    def _ensure_model(self) -> None:
        """Collect the RCNets of ``pretrained`` (and of the installed plugins, with ``plugins``)
        unless the identifier holds fitted RCNets or RCNets of the current (pretrained, plugins)."""
        state = self.__dict__
        if self._has_state() and (self._LOADED not in state or state[self._LOADED] == self._source()):
            return
        self._drop_state()
        if self.pretrained is None:
            raise NotFittedModelError("this StructureTypeIdentifier has no RCNets: call fit() or pass pretrained=")
        from pymatgen_ml_xrd.identification import plugins as plugin_loading

        pm = plugin_loading.plugin_manager(load_entry_points=False)
        if self.pretrained == "default":
            from pymatgen_ml_xrd.identification import default_plugin

            plugin_loading.register(pm, default_plugin, default_plugin.NAME)
        else:
            folder = self.pretrained_path(self.pretrained)
            plugin_loading.register(pm, _FolderPlugin(folder), f"folder:{folder}")
        if self.plugins:
            plugin_loading.register_entry_points(pm)
        members = plugin_loading.collect_rcnets(pm)
        if not members:
            raise ModelFileError(f"no RCNets found for pretrained={self.pretrained!r}")
        self._set_members(members)
        try:
            self._check_against(self.params_, f"pretrained={self.pretrained!r}")
        except InvalidParameterError:
            self._drop_state()  # conflicting RCNets must not stay behind as if fitted
            raise
        state[self._LOADED] = self._source()

    def _set_members(self, members: list[RCNetMember]) -> None:
        """Keep the members whose input spec agrees with the first one's on INPUT_FIELDS."""
        from pymatgen_ml_xrd.identification.plugins import PluginWarning

        first = members[0]
        kept = [first]
        for m in members[1:]:
            diff = m.spec.differences(first.spec, INPUT_FIELDS)
            if diff:
                warnings.warn(f"RCNet {m.name!r} ({m.types[0].source}) has another input spec than {first.name!r} "
                              f"({'; '.join(diff)}) and is skipped", PluginWarning, stacklevel=3)  # fmt: skip
            else:
                kept.append(m)
        self.rcnets_ = kept

    def _rows(self, X) -> NDArray[np.float32]:
        """Model-input rows of ``X`` on the RCNets' shared spec (as they were trained)."""
        self._ensure_model()
        return model_rows(X, self.rcnets_[0].spec)

    def _training_spec(self, adding: bool) -> PatternSpec:
        """The spec of new RCNets: the user's pattern parameters, else (adding types) the existing
        RCNets' or (fit) the defaults; pseudo-Voigt draws, sqrt preprocessing, ``effects``."""
        if adding:
            self._check_against(self.params_, "the RCNets the new types are added to")
            values = {name: (getattr(self, name) if getattr(self, name) is not None else value)
                      for name, value in self.params_.items()}  # fmt: skip
        else:
            values = self._fit_params()
        return PatternSpec(**values, preprocessing="sqrt", profile="pseudo-voigt", effects=self.effects or None)

    # ------------------------------------------------------------------ prediction
    def _check_weights(self) -> None:
        for name in ("alpha", "threshold"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise InvalidParameterError(f"{name} must lie in [0, 1], got {value!r}")

    def predict_reliability(self, X, preprocessed: bool = False) -> NDArray[np.float64]:
        """(n, n_types) reliabilities; columns follow ``classes_``.

        For the type an RCNet predicts, R = alpha S + (1 - alpha) C (paper 003); for its other
        types the confidence is scaled by their probability relative to the predicted one,
        R_t = alpha S_t + (1 - alpha) C p_t / p_max, so the argmax of each RCNet keeps the paper's
        value and every column is comparable (:func:`~pymatgen_ml_xrd.identification.reliability.
        combine_reliability`). S_t is the similarity to type t's reference patterns
        (:mod:`~pymatgen_ml_xrd.identification.similarity`).
        """
        self._check_weights()
        return combine_reliability(self.rcnet_outputs(X, preprocessed), self.alpha)

    def rcnet_outputs(self, X, preprocessed: bool = False) -> list[tuple[NDArray, NDArray, NDArray]]:
        """(probabilities, confidence, similarity) of every RCNet (:meth:`RCNetMember.outputs`),
        e.g. to combine them with several alphas (:func:`combine_reliability`)."""
        from pymatgen_ml_xrd.identification.similarity import similarity_features

        self._ensure_model()
        rows = X if preprocessed else self._rows(X)
        features = similarity_features(rows, self.rcnets_[0].spec.step)  # all members share the grid
        joint = self._joint_model()
        parts = [joint(rows[i:i + 256]) for i in range(0, len(rows), 256)]
        raw = [np.concatenate([p[k].numpy() for p in parts]) for k in range(len(self.rcnets_))]
        return [m.outputs(rows, features, r) for m, r in zip(self.rcnets_, raw)]

    def _joint_model(self):
        """One compiled TensorFlow graph over every RCNet (the same weights, inference mode): one
        call per batch instead of one Keras predict per RCNet, whose fixed cost dominated small
        batches. Rebuilt when the RCNets change."""
        from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow

        tf = import_tensorflow()

        key = tuple(id(m.model) for m in self.rcnets_)
        cached = self.__dict__.get("_joint")
        if cached is None or cached[0] != key:
            models = [m.model for m in self.rcnets_]
            n_points = models[0].inputs[0].shape[1]
            # one trace for every batch size (a new batch size retraced the 18-network graph: 8-12 s);
            # a network without a fixed input length keeps the shape-relaxing retrace
            options = ({"input_signature": [tf.TensorSpec([None, int(n_points)], tf.float32)]}
                       if n_points is not None else {"reduce_retracing": True})  # fmt: skip

            @tf.function(**options)
            def joint(x):
                return [model(x, training=False) for model in models]

            cached = (key, lambda rows: joint(tf.convert_to_tensor(rows, dtype=tf.float32)))
            self.__dict__["_joint"] = cached
        return cached[1]

    def decision_function(self, X) -> NDArray[np.float64]:
        """The reliabilities (:meth:`predict_reliability`)."""
        return self.predict_reliability(X)

    def predict(self, X, compositions=None) -> NDArray:
        """Type names, "unknown" where the best reliability is below ``threshold`` - or, with
        ``verify``, the answers of :meth:`predict_verified` (``compositions`` is passed on)."""
        check_verify(self.verify)
        if self.verify:
            return self.predict_verified(X, compositions)
        if compositions is not None:
            raise InvalidParameterError("compositions are used only by the verified answer: pass verify=True")
        r = self.predict_reliability(X)
        return self._answer(r)

    def predict_verified(self, X, compositions=None) -> NDArray:
        """Type names checked by fitting: for each pattern, the RCNets' ``verify_top_k`` types and
        the screening's best catalogue references are refined against it (scale, lattice, zero
        shift, widths, background: :class:`~pymatgen_ml_xrd.PhaseIdentifier` with one phase);
        the type of the fit kept is the answer, "unknown" where no fit is kept or its R_wp
        exceeds ``max_rwp``.

        Args:
            X: patterns as for :meth:`predict`; Diffractograms (or (x, y, wavelength) tuples)
                are fitted on their own grid, other inputs on the RCNets' grid.
            compositions: None, or one formula per pattern (None entries allowed): the formula
                of the main phase, which puts its elements on every prototype with its
                stoichiometry (``PhaseIdentifier.identify(composition=)``).
        """
        check_max_rwp(self.max_rwp)
        phases = kept_phases(self.verified_fits(X, compositions), compositions, self.max_rwp)
        return np.array([UNKNOWN if p is None else p.structure_type for p in phases], dtype=object)

    def verified_fits(self, X, compositions=None) -> list:
        """The one-phase fits behind :meth:`predict_verified`, before the "unknown" threshold: one
        :class:`~pymatgen_ml_xrd.phases.PhaseIdentification` per pattern (its ``.phases`` empty
        where no fit was kept, else its ``.rwp`` and ``.phases[0].structure_type``), or None with
        a warning where a formula's stoichiometry has no catalogue type (answered "unknown").
        Arguments as for :meth:`predict_verified`."""
        if not isinstance(self.verify_top_k, (int, np.integer)) or self.verify_top_k < 0:
            raise InvalidParameterError(f"verify_top_k must be an integer >= 0, got {self.verify_top_k!r}")
        items = pattern_items(X)
        check_compositions(compositions, len(items))  # before the RCNets' work
        priors = None
        if self.verify_top_k:
            r = self.predict_reliability(self._rows(items), preprocessed=True)
            priors = self.classes_[np.argsort(-r, axis=1)[:, : min(int(self.verify_top_k), r.shape[1])]]
        return fit_patterns(items, self.spec_, compositions, priors)

    def _answer(self, r: NDArray) -> NDArray:
        names = self.classes_
        best = r.argmax(axis=1)
        return np.where(r[np.arange(len(r)), best] >= self.threshold, names[best], UNKNOWN).astype(object)

    def predict_top_k(self, X, k: int = 5) -> tuple[NDArray, NDArray]:
        """((n, k) type names, (n, k) reliabilities), most reliable first."""
        check_top_k(k, 1)  # before any model work
        r = self.predict_reliability(X)
        order = np.argsort(-r, axis=1)[:, : check_top_k(k, r.shape[1])]
        return self.classes_[order], np.take_along_axis(r, order, axis=1)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of :meth:`predict` against type names (or "unknown") ``y``."""
        pred = self.predict(X)
        y = np.asarray(y, dtype=object)
        if y.shape != pred.shape:
            raise InvalidParameterError(f"y must hold one type name per pattern: {y.shape} for {pred.shape[0]}")
        return float(np.average(pred == y, weights=sample_weight))

    def explain(self, pattern, type_name: str | None = None) -> dict:
        """Grad-CAM of one pattern (paper 003, Fig. 4): which 2-theta regions drove the RCNet
        (:func:`~pymatgen_ml_xrd.models.grad_cam.grad_cam` of the type's logit).

        Returns ``{"two_theta": grid, "heatmap": (n_points,) in [0, 1], "type": name, "rcnet": name,
        "reliability": R}`` for ``type_name`` (default: the predicted type, or the most reliable
        one when the answer is "unknown").
        """
        from pymatgen_ml_xrd.models.grad_cam import grad_cam

        self._ensure_model()
        rows = self._rows([pattern] if not isinstance(pattern, list) else pattern)[:1]
        r = self.predict_reliability(rows, preprocessed=True)[0]
        names = list(self.classes_)
        if type_name is None:
            type_name = names[int(np.argmax(r))]
        if type_name not in names:
            raise InvalidParameterError(f"unknown structure type {type_name!r}")
        member = next(m for m in self.rcnets_ if type_name in m.type_names)
        heat = grad_cam(member.model, rows, member.type_names.index(type_name))[0]
        return {"two_theta": member.spec.grid, "heatmap": heat, "type": type_name, "rcnet": member.name,
                "reliability": float(r[names.index(type_name)])}  # fmt: skip

    # ------------------------------------------------------------------ training
    def fit(self, structures, types, validation_data=None):
        """Train RCNets for the types named in ``types`` (one name per structure in ``structures``),
        replacing any loaded RCNets; similar types share an RCNet (:func:`group_types`)."""
        spec = self._training_spec(adding=False)  # drops any loaded RCNets
        self.rcnets_ = []
        return self._train(structures, types, spec, prefix="rcnet")

    def add_types(self, structures, types, name: str = "added"):
        """Train new RCNets for new types and add them; the existing RCNets are not touched."""
        self._ensure_model()
        clash = sorted(set(types) & set(self.classes_))
        if clash:
            raise InvalidParameterError(f"types {clash} are already classified; new RCNets need new types")
        return self._train(structures, types, self._training_spec(adding=True), prefix=name)

    def _train(self, structures, types, spec: PatternSpec, prefix: str):
        from pymatgen_ml_xrd.identification.catalogue import substitution_formulas
        from pymatgen_ml_xrd.identification.grouping import group_types
        from pymatgen_ml_xrd.identification.type_patterns import (
            outlier_patterns,
            training_rows,
            type_training_set,
        )
        from pymatgen_ml_xrd.identification.variants import VariantMaker

        self._check_weights()
        if not (isinstance(self.n_outliers, int) and self.n_outliers >= 0):
            raise InvalidParameterError(f"n_outliers must be a non-negative integer, got {self.n_outliers!r}")
        structures = list(structures)
        types = [str(t) for t in types]
        if len(structures) != len(types) or not structures:
            raise InvalidParameterError(f"fit needs one type name per structure: {len(structures)} structures, "
                                        f"{len(types)} names")  # fmt: skip
        by_type: dict[str, list] = defaultdict(list)
        for s, t in zip(structures, types):
            by_type[t].append(s)
        if len(by_type) < 2:
            raise InvalidParameterError("at least two structure types are needed (an RCNet's softmax needs two)")
        names = sorted(by_type)
        records = [_record(name, by_type[name]) for name in names]
        rng = np.random.default_rng(self.seed)
        clean = spec.replace(effects=None)  # the grouping patterns and the references have no effects
        pure = np.stack([training_rows(by_type[n][:5], clean, rng).mean(axis=0) for n in names])
        groups = group_types(pure, self.types_per_rcnet)
        maker = VariantMaker(substitution_formulas())
        sets = []
        for members in groups:  # every group's patterns first: the others' are a group's outliers
            chosen = [names[i] for i in members]
            keys = [_key(by_type[n][0]) for n in chosen]
            x, y = type_training_set([by_type[n] for n in chosen], keys, self.patterns_per_type, spec, rng, maker,
                                     self.real_share)  # fmt: skip
            refs, ref_y = type_training_set([by_type[n] for n in chosen], keys, REFERENCES_PER_TYPE, clean, rng,
                                            maker, self.real_share)  # fmt: skip
            sets.append((x, y, refs, ref_y))
        synthetic = outlier_patterns(self.n_outliers, spec, rng, seed=self.seed)
        start = len(self.__dict__.get("rcnets_", []))
        for g, (members, (x, y, refs, ref_y)) in enumerate(zip(groups, sets)):
            x_out = self._outliers(sets, g, synthetic, rng)
            x_all = np.concatenate([x, x_out]) if len(x_out) else x
            y_all = np.concatenate([y, np.full(len(x_out), -1, dtype=y.dtype)])
            source = (f"{len(members)} structure types ({sum(len(by_type[names[i]]) for i in members)} member "
                      f"structures and synthetic variants, {self.patterns_per_type} patterns per type) and "
                      f"{len(x_out)} outlier patterns (other types, random synthetic crystals)")  # fmt: skip
            member = train_rcnet(f"{prefix}_{start + g:02d}", [records[i] for i in members], x_all, y_all, spec, refs,
                                 ref_y, self.epochs, self.batch_size, self.learning_rate, self.architecture,
                                 self.confidence_budget, seed=self.seed + g, verbose=int(self.verbose) and 2,
                                 source=source)  # fmt: skip
            self.rcnets_ = [*self.rcnets_, member]
            if self.verbose:
                print(f"RCNet {member.name}: {len(members)} types, {len(x)} patterns + {len(x_out)} outliers, "
                      f"loss {member.metadata['training']['final_loss']:.3f}")
        return self

    def _outliers(self, sets: list, g: int, synthetic: NDArray, rng: np.random.Generator) -> NDArray:
        """``n_outliers`` rows that are none of group g's types: half from the other groups of this
        fit (when there are any), the rest random synthetic crystals."""
        others = [s[0] for i, s in enumerate(sets) if i != g]
        n_other = self.n_outliers // 2 if others else 0
        parts = [synthetic[: self.n_outliers - n_other]]
        if n_other:
            pool = np.concatenate(others)
            parts.append(pool[rng.choice(len(pool), size=min(n_other, len(pool)), replace=False)])
        return np.concatenate(parts)

    # ------------------------------------------------------------------ files
    def save(self, folder: str | Path, overwrite: bool = False) -> Path:
        """Write every RCNet as ``folder/FILE.keras`` + ``.json`` and ``folder/identifier.json``.

        ``FILE`` is the RCNet's name, made unique where two share one (a plugin's ``rcnet_00``
        beside the default ``rcnet_00`` is written as ``rcnet_00_2``); the index records it. A
        folder that holds an identifier already is replaced only with ``overwrite=True``.
        """
        self._ensure_model()
        folder = Path(folder)
        if (folder / "identifier.json").exists() and not overwrite:
            raise ModelFileError(f"{folder} holds a saved identifier already: pass overwrite=True to replace it, or "
                                 "choose another folder")  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        files: list[str] = []
        for m in self.rcnets_:
            stem, k = m.name, 1
            while stem in files:
                k += 1
                stem = f"{m.name}_{k}"
            files.append(stem)
            m.save(folder / stem, overwrite=overwrite)
        index = {"format": FORMAT, "format_version": 1, "params": params_to_json(self.get_params()),
                 "rcnets": [{"name": m.name, "file": f, "types": m.type_names}
                            for m, f in zip(self.rcnets_, files)]}  # fmt: skip
        (folder / "identifier.json").write_text(json.dumps(index, indent=1))
        return folder / "identifier.json"

    @classmethod
    def load(cls, folder: str | Path, plugins: bool = False) -> StructureTypeIdentifier:
        """Read what :meth:`save` wrote (a folder; plugins are not added unless ``plugins``).

        Raises:
            ModelFileError: no identifier.json of this format in ``folder``, or RCNets that do not load.
        """
        index = _read_index(Path(folder))
        params = params_from_json(index.get("params", {})) | {"plugins": plugins}
        known = set(cls._get_param_names())
        est = cls(pretrained=str(folder), **{k: v for k, v in params.items() if k in known})
        est._ensure_model()
        return est


def _read_index(folder: Path) -> dict:
    path = folder / "identifier.json"
    if not path.is_file():
        raise ModelFileError(f"{path} does not exist (pretrained= must be 'default' or a folder written by save)")
    try:
        index = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ModelFileError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a {FORMAT} file")
    return index


class _FolderPlugin:
    """A saved identifier folder seen as a plugin (its RCNets in the order of identifier.json)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.index = _read_index(self.folder)  # a missing or foreign folder is an error, not a skipped plugin

    @hookimpl
    def pmlxrd_rcnets(self) -> list:
        return [{"path": str(self.folder / r.get("file", r["name"])), "types": r["types"]}
                for r in self.index["rcnets"]]


def _key(structure) -> str:
    from pymatgen_ml_xrd.identification.type_keys import structure_type_key

    return structure_type_key(structure)


def _record(name: str, members: list) -> StructureType:
    from pymatgen_ml_xrd.identification.type_keys import split_key

    group, letters, anonymized = split_key(_key(members[0]))
    return StructureType(name=name, space_group=group, anonymized_formula=anonymized, wyckoff_sequence=letters,
                         prototypes=tuple(s.to(fmt="cif") for s in members[:3]), source="user")  # fmt: skip
