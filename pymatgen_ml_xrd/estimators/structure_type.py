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
from sklearn.base import BaseEstimator, ClassifierMixin

from pymatgen_ml_xrd.background import check_background
from pymatgen_ml_xrd.diffraction import two_theta_grid
from pymatgen_ml_xrd.diffraction.wavelengths import resolve_wavelength
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.estimators.model_files import ModelFileError
from pymatgen_ml_xrd.estimators.pattern_input import model_rows
from pymatgen_ml_xrd.estimators.rcnet_member import RCNetMember, train_rcnet
from pymatgen_ml_xrd.hooks import hookimpl
from pymatgen_ml_xrd.structure_types import StructureType

__all__ = ["StructureTypeIdentifier", "UNKNOWN", "combine_reliability"]

UNKNOWN = "unknown"
FORMAT = "pymatgen_ml_xrd.StructureTypeIdentifier"
#: clean reference patterns per type kept for the similarity S (members and variants)
REFERENCES_PER_TYPE = 30


class StructureTypeIdentifier(ClassifierMixin, BaseEstimator):
    """Identify structure types from powder diffractograms.

    Args:
        pretrained: "default" (the shipped RCNets), a folder written by :meth:`save`, or None.
        plugins: also load the RCNets of installed plugins (entry-point group "pymatgen_ml_xrd").
        alpha: weight of the similarity S in the reliability R = alpha S + (1 - alpha) C.
        threshold: R0; answers with R below it are "unknown" (0.8: chosen on validation, see the
            module docstring).
        two_theta: (start, stop, step) [deg] of the RCNets' input grid (fit only).
        wavelength: radiation of the input grid (patterns at other wavelengths are converted).
        background, background_window: background removal before the RCNets (fit and predict).
        types_per_rcnet: about this many types share an RCNet (fit).
        patterns_per_type, real_share: training patterns per type; share simulated from the
            given members as they are (the rest from synthetic variants).
        epochs, batch_size, learning_rate, architecture, confidence_budget: RCNet training.
        n_outliers: patterns per RCNet of crystals that are none of its types (half from the other
            RCNets of the same fit, the rest random synthetic crystals), trained towards low
            confidence (outlier exposure; 0: paper 003's training without it).
        effects: experimental effects (dict of ExperimentalEffects fields) of the training patterns.
        seed: random seed; verbose: progress output during fit.
    """

    def __init__(self, pretrained: str | None = "default", plugins: bool = True, alpha: float = 0.7,
                 threshold: float = 0.8, two_theta: tuple[float, float, float] = (5.0, 90.0, 0.04),
                 wavelength: str = "CuKa1", background: str = "snip", background_window: float = 3.0,
                 types_per_rcnet: int = 10, patterns_per_type: int = 300, real_share: float = 0.3, epochs: int = 15,
                 batch_size: int = 64, learning_rate: float = 1e-3, architecture: str = "tiny",
                 confidence_budget: float = 0.3, n_outliers: int = 1200, effects: dict | None = None,
                 seed: int = 0, verbose: bool = True) -> None:
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

    # ------------------------------------------------------------------ state
    @property
    def classes_(self) -> NDArray:
        self._ensure()
        return np.array([name for m in self.rcnets_ for name in m.type_names], dtype=object)

    @property
    def structure_types_(self) -> list[StructureType]:
        self._ensure()
        return [t for m in self.rcnets_ for t in m.types]

    def _ensure(self) -> None:
        if hasattr(self, "rcnets_"):
            return
        if self.pretrained is None:
            raise InvalidParameterError("this StructureTypeIdentifier has no RCNets: call fit() or pass pretrained=")
        from pymatgen_ml_xrd import hooks

        pm = hooks.plugin_manager(load_entry_points=False)
        if self.pretrained == "default":
            from pymatgen_ml_xrd.identification import default_plugin

            hooks.register(pm, default_plugin, default_plugin.NAME)
        else:
            hooks.register(pm, _FolderPlugin(self.pretrained), f"folder:{self.pretrained}")
        if self.plugins:
            for name, plugin in _entry_point_plugins():
                if pm.get_plugin(name) is None:
                    hooks.register(pm, plugin, name)
        members = hooks.collect_rcnets(pm)
        if not members:
            raise InvalidParameterError(f"no RCNets found for pretrained={self.pretrained!r}")
        self._set_members(members)

    def _set_members(self, members: list[RCNetMember]) -> None:
        first = members[0]
        kept = [first]
        for m in members[1:]:
            same = (m.two_theta == first.two_theta and m.wavelength == first.wavelength
                    and m.preprocessing == first.preprocessing and m.background == first.background)  # fmt: skip
            if same:
                kept.append(m)
            else:
                from pymatgen_ml_xrd.hooks import PluginWarning

                warnings.warn(f"RCNet {m.name!r} ({m.types[0].source}) uses another input grid or preprocessing "
                              f"than {first.name!r} and is skipped", PluginWarning, stacklevel=3)  # fmt: skip
        self.rcnets_ = kept

    def _rows(self, X) -> NDArray[np.float32]:
        """Model-input rows of ``X`` on the RCNets' shared grid (preprocessed as they were trained)."""
        self._ensure()
        m = self.rcnets_[0]
        grid = two_theta_grid(*m.two_theta)
        return model_rows(X, grid, resolve_wavelength(m.wavelength)[0], m.preprocessing, m.background,
                          m.background_window)  # fmt: skip

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
        value and every column is comparable. S_t is the similarity to type t's reference
        patterns (:mod:`~pymatgen_ml_xrd.identification.similarity`).
        """
        self._check_weights()
        return combine_reliability(self.rcnet_outputs(X, preprocessed), self.alpha)

    def rcnet_outputs(self, X, preprocessed: bool = False) -> list[tuple[NDArray, NDArray, NDArray]]:
        """(probabilities, confidence, similarity) of every RCNet (:meth:`RCNetMember.outputs`),
        e.g. to combine them with several alphas (:func:`combine_reliability`)."""
        from pymatgen_ml_xrd.identification.similarity import similarity_features

        self._ensure()
        rows = X if preprocessed else self._rows(X)
        features = similarity_features(rows, self.rcnets_[0].two_theta[2])  # all members share the grid
        return [m.outputs(rows, features) for m in self.rcnets_]

    def decision_function(self, X) -> NDArray[np.float64]:
        """The reliabilities (:meth:`predict_reliability`)."""
        return self.predict_reliability(X)

    def predict(self, X) -> NDArray:
        """Type names, "unknown" where the best reliability is below ``threshold``."""
        r = self.predict_reliability(X)
        return self._answer(r)

    def _answer(self, r: NDArray) -> NDArray:
        names = self.classes_
        best = r.argmax(axis=1)
        return np.where(r[np.arange(len(r)), best] >= self.threshold, names[best], UNKNOWN).astype(object)

    def predict_top_k(self, X, k: int = 5) -> tuple[NDArray, NDArray]:
        """((n, k) type names, (n, k) reliabilities), most reliable first."""
        r = self.predict_reliability(X)
        order = np.argsort(-r, axis=1)[:, : min(int(k), r.shape[1])]
        return self.classes_[order], np.take_along_axis(r, order, axis=1)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of :meth:`predict` against type names (or "unknown") ``y``."""
        pred = self.predict(X)
        y = np.asarray(y, dtype=object)
        if y.shape != pred.shape:
            raise InvalidParameterError(f"y must hold one type name per pattern: {y.shape} for {pred.shape[0]}")
        return float(np.average(pred == y, weights=sample_weight))

    def explain(self, pattern, type_name: str | None = None) -> dict:
        """Grad-CAM of one pattern (paper 003, Fig. 4): which 2-theta regions drove the RCNet.

        Returns ``{"two_theta": grid, "heatmap": (n_points,) in [0, 1], "type": name, "rcnet": name,
        "reliability": R}`` for ``type_name`` (default: the predicted type, or the most reliable
        one when the answer is "unknown").
        """
        import keras
        import tensorflow as tf  # Grad-CAM needs gradients w.r.t. an inner layer: the TF backend's tape

        self._ensure()
        rows = self._rows([pattern] if not isinstance(pattern, list) else pattern)[:1]
        r = self.predict_reliability(rows, preprocessed=True)[0]
        names = list(self.classes_)
        if type_name is None:
            type_name = names[int(np.argmax(r))]
        if type_name not in names:
            raise InvalidParameterError(f"unknown structure type {type_name!r}")
        member = next(m for m in self.rcnets_ if type_name in m.type_names)
        t = member.type_names.index(type_name)
        model = member.model
        conv = [layer for layer in model.layers if layer.name.endswith("_out")][-1]
        grad_model = keras.Model(model.inputs, [conv.output, model.outputs[0]])
        x = tf.constant(rows)
        with tf.GradientTape() as tape:
            features, out = grad_model(x, training=False)
            if isinstance(out, (list, tuple)):  # a reloaded functional model nests its single output
                out = out[0]
            target = out[:, t]
        grads = tape.gradient(target, features)[0].numpy()  # (positions, channels)
        weights = grads.mean(axis=0)
        cam = np.maximum((features[0].numpy() * weights).sum(axis=1), 0.0)
        grid = two_theta_grid(*member.two_theta)
        coarse = np.linspace(grid[0], grid[-1], len(cam))
        heat = np.interp(grid, coarse, cam)
        top = heat.max()
        return {"two_theta": grid, "heatmap": heat / top if top > 0 else heat, "type": type_name,
                "rcnet": member.name, "reliability": float(r[names.index(type_name)])}  # fmt: skip

    # ------------------------------------------------------------------ training
    def fit(self, structures, types, validation_data=None):
        """Train RCNets for the types named in ``types`` (one name per structure in ``structures``),
        replacing any loaded RCNets; similar types share an RCNet (:func:`group_types`)."""
        self.rcnets_ = []
        return self._train(structures, types, prefix="rcnet")

    def add_types(self, structures, types, name: str = "added"):
        """Train new RCNets for new types and add them; the existing RCNets are not touched."""
        self._ensure()
        clash = sorted(set(types) & set(self.classes_))
        if clash:
            raise InvalidParameterError(f"types {clash} are already classified; new RCNets need new types")
        return self._train(structures, types, prefix=name)

    def _train(self, structures, types, prefix: str):
        from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
        from pymatgen_ml_xrd.identification.grouping import group_types
        from pymatgen_ml_xrd.identification.type_patterns import outlier_patterns, render_patterns, type_training_set
        from pymatgen_ml_xrd.identification.variants import VariantMaker

        check_background(self.background, self.background_window)
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
        settings = dict(wavelength=self.wavelength, background=self.background,
                        background_window=float(self.background_window), preprocessing="sqrt")  # fmt: skip
        effects = ExperimentalEffects(**self.effects) if self.effects else None
        pure = np.stack([render_patterns(by_type[n][:5], self.two_theta, rng, **settings).mean(axis=0) for n in names])
        groups = group_types(pure, self.types_per_rcnet)
        maker = VariantMaker(_formulas())
        sets = []
        for members in groups:  # every group's patterns first: the others' are a group's outliers
            chosen = [names[i] for i in members]
            keys = [_key(by_type[n][0]) for n in chosen]
            x, y = type_training_set([by_type[n] for n in chosen], keys, self.patterns_per_type, self.two_theta, rng,
                                     maker, self.real_share, effects=effects, **settings)  # fmt: skip
            refs, ref_y = type_training_set([by_type[n] for n in chosen], keys, REFERENCES_PER_TYPE, self.two_theta,
                                            rng, maker, self.real_share, **settings)  # fmt: skip
            sets.append((x, y, refs, ref_y))
        synthetic = outlier_patterns(self.n_outliers, self.two_theta, rng, effects=effects, seed=self.seed, **settings)
        start = len(getattr(self, "rcnets_", []))
        for g, (members, (x, y, refs, ref_y)) in enumerate(zip(groups, sets)):
            x_out = self._outliers(sets, g, synthetic, rng)
            x_all = np.concatenate([x, x_out]) if len(x_out) else x
            y_all = np.concatenate([y, np.full(len(x_out), -1, dtype=y.dtype)])
            member = train_rcnet(f"{prefix}_{start + g:02d}", [records[i] for i in members], x_all, y_all,
                                 tuple(self.two_theta), refs, ref_y, self.epochs, self.batch_size, self.learning_rate,
                                 self.architecture, self.confidence_budget, seed=self.seed + g,
                                 verbose=int(self.verbose) and 2, **settings)  # fmt: skip
            self.rcnets_ = [*self.rcnets_, member]
            if self.verbose:
                print(f"RCNet {member.name}: {len(members)} types, {len(x)} patterns + {len(x_out)} outliers, "
                      f"loss {member.metadata['final_loss']:.3f}")
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
    def save(self, folder: str | Path) -> Path:
        """Write every RCNet as ``folder/NAME.keras`` + ``.json`` and ``folder/identifier.json``."""
        self._ensure()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for m in self.rcnets_:
            m.save(folder / m.name)
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items() if k != "pretrained"}
        index = {"format": FORMAT, "format_version": 1, "params": params,
                 "rcnets": [{"name": m.name, "types": m.type_names} for m in self.rcnets_]}  # fmt: skip
        (folder / "identifier.json").write_text(json.dumps(index, indent=1))
        return folder / "identifier.json"

    @classmethod
    def load(cls, folder: str | Path, plugins: bool = False) -> StructureTypeIdentifier:
        """Read what :meth:`save` wrote (plugins are not added unless ``plugins``)."""
        index_path = Path(folder) / "identifier.json"
        try:
            index = json.loads(index_path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ModelFileError(f"{index_path} is missing or not valid JSON: {err}") from None
        if index.get("format") != FORMAT:
            raise ModelFileError(f"{index_path} is not a {FORMAT} file")
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in index["params"].items()} | {"plugins": plugins}
        est = cls(pretrained=str(folder), **params)
        est._ensure()
        return est


def combine_reliability(parts: list[tuple[NDArray, NDArray, NDArray]], alpha: float) -> NDArray[np.float64]:
    """(n, n_types) reliabilities from the RCNets' (p, C, S): R_t = alpha S_t + (1 - alpha) C p_t / p_max
    (:meth:`StructureTypeIdentifier.predict_reliability`)."""
    return np.concatenate([alpha * s + (1 - alpha) * c[:, None] * (p / p.max(axis=1, keepdims=True))
                           for p, c, s in parts], axis=1)  # fmt: skip


class _FolderPlugin:
    """A saved identifier folder seen as a plugin (its RCNets in the order of identifier.json)."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def _index(self) -> dict:
        path = self.folder / "identifier.json"
        if not path.is_file():
            raise ModelFileError(f"{path} does not exist (pretrained= must be 'default' or a folder written by save)")
        return json.loads(path.read_text())

    @hookimpl
    def pmlxrd_rcnets(self) -> list:
        return [{"path": str(self.folder / r["name"]), "types": r["types"]} for r in self._index()["rcnets"]]


def _entry_point_plugins():
    import importlib.metadata

    from pymatgen_ml_xrd.hooks import GROUP, PluginWarning

    for ep in importlib.metadata.entry_points(group=GROUP):
        try:
            yield ep.name, ep.load()
        except Exception as err:  # noqa: BLE001 - a broken plugin is skipped by name
            warnings.warn(f"plugin {ep.name!r} ({ep.value}) failed to import and is skipped: {err!r}", PluginWarning,
                          stacklevel=3)  # fmt: skip


def _key(structure) -> str:
    from pymatgen_ml_xrd.identification.type_keys import structure_type_key

    return structure_type_key(structure)


def _record(name: str, members: list) -> StructureType:
    from pymatgen_ml_xrd.identification.type_keys import split_key

    group, letters, anonymized = split_key(_key(members[0]))
    return StructureType(name=name, space_group=group, anonymized_formula=anonymized, wyckoff_sequence=letters,
                         prototypes=tuple(s.to(fmt="cif") for s in members[:3]), source="user")  # fmt: skip


_FORMULAS: dict | None = None


def _formulas() -> dict:
    """Substitution formulas from the shipped ICSD-derived table (empty when none is shipped)."""
    global _FORMULAS
    if _FORMULAS is None:
        from importlib.resources import files

        path = Path(str(files("pymatgen_ml_xrd") / "data" / "substitution_formulas.json.gz"))
        if path.is_file():
            import gzip

            with gzip.open(path, "rt") as fh:
                raw = json.load(fh)
            _FORMULAS = {(int(k.split("|")[0]), k.split("|")[1]): v for k, v in raw.items()}
        else:
            _FORMULAS = {}
    return _FORMULAS
