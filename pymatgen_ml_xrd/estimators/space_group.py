"""SpaceGroupClassifier: space groups from powder patterns, trained on an infinite synthetic stream.

Paper 001: synthetic crystals simulated on the fly, a 1-D ResNet with group normalisation,
square-root preprocessing. scikit-learn conventions: ``__init__`` only stores parameters, learned
state ends in ``_``, ``classes_`` holds space-group numbers, ``predict_proba`` rows sum to 1.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin

from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.estimators.base import PretrainedEstimator, check_top_k, params_from_json, params_to_json
from pymatgen_ml_xrd.estimators.devices import distribution_strategy
from pymatgen_ml_xrd.estimators.verification import (
    check_max_rwp,
    check_verify,
    fit_patterns,
    fitted_first,
    kept_phases,
    pattern_items,
)
from pymatgen_ml_xrd.models import ENSEMBLE_ARCHITECTURE
from pymatgen_ml_xrd.models.files import (
    ModelFileError,
    model_base,
    read_model_files,
    read_weights_file,
    write_model_files,
    write_weights_file,
)
from pymatgen_ml_xrd.models.provenance import training_record
from pymatgen_ml_xrd.patterns import PatternSpec, model_rows

__all__ = ["ModelFileError", "SpaceGroupClassifier"]

FORMAT = "pymatgen_ml_xrd.SpaceGroupClassifier"
FORMAT_VERSION = 1


def _softmax(z: NDArray) -> NDArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def expected_calibration_error(proba: NDArray, y_index: NDArray, bins: int = 15) -> float:
    """ECE of the top-1 probabilities (equal-width bins)."""
    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_index
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


class SpaceGroupClassifier(ClassifierMixin, PretrainedEstimator):
    """Predict space groups (1-230) from powder diffractograms.

    ``SpaceGroupClassifier()`` uses the shipped weights; ``fit()`` trains on synthetic crystals.

    Parameters:
        pretrained: "default" (one model for every input: all 230 groups, clean and measured
            patterns, background removed before the model; the mean of the calibrated
            probabilities of "v2" and "experimental", recipe space-group-default-v2),
            "gaussian" (the default until 2026-12-08: 94 groups, patterns simulated with this
            package's Gaussian Scherrer peaks; the best on such patterns), "pseudo-voigt"
            (clean simulated patterns of any peak shape: Lorentzian fractions 0-1), "experimental"
            (measured patterns: 94 groups, trained with experimental effects, predicts after
            background removal), "v2" (all 230 groups, clean and measured-like patterns,
            background removed; recipe space-group-v2), a path written by :meth:`save`, or None
            (fit first). ``docs/space_group.md`` compares them on every input.

    The parameters that describe the weights (``architecture`` and the pattern parameters
    ``two_theta`` ... ``background_window``) default to None: "as the weights were trained" with
    ``pretrained`` (an explicit value that differs raises an error naming both), the defaults in
    brackets for fit. They make the model's :class:`~pymatgen_ml_xrd.patterns.PatternSpec`
    (``spec_``), which predict applies to every input and saving stores.

    Args:
        architecture: ["compact"] (CPU default), "tiny", "resnet10", "resnet50", "resnet101",
            "parkcnn_medium", "parkcnn_big"; "ensemble" is what an ensemble of trained
            classifiers records (:mod:`~pymatgen_ml_xrd.estimators.space_group_ensemble`; not
            trainable from scratch).
        two_theta: [(5, 90, 0.04)] (start, stop, step) [deg] of the model's input grid.
        wavelength: ["CuKa1"] radiation of the model's input (other wavelengths are converted).
        preprocessing: ["sqrt"] (paper 001) or "none".
        batch_size, learning_rate, weight_decay: AdamW with cosine decay over the planned patterns.
        precision: "float32" or "mixed_bfloat16".
        backend: stream back-end, "local" (worker processes) or "ray" (Ray actors).
        ray_address: with backend="ray": None starts a local Ray, an address joins a cluster.
        n_workers: stream producer processes.
        crystallite_size: [(20, 100)] (min, max) [nm] drawn per training pattern.
        patterns_per_crystal: patterns per synthetic crystal (different crystallite sizes).
        space_groups: classes: a tuple of numbers, None (every group the statistics cover with
            at least 10 structures) or "all" (all 230 groups, thin ones generated from pooled
            estimates: ``SyntheticStructureGenerator(coverage="all")``).
        statistics: path of GeneratorStatistics (default: shipped).
        real_fraction: share of every stream batch simulated from real crystals passed to
            ``fit(real_data=...)`` (0: synthetic crystals only, as paper 001).
        profile: ["gaussian"] peak shape of the training stream (Scherrer) or "pseudo-voigt"
            (Caglioti widths and Lorentzian share drawn per pattern, paper 001 SI S4).
        kalpha2: [False] K-alpha2 lines in the training stream: True, False or a probability.
        effects: [no effects] experimental effects of the training stream, keyword arguments (or
            an instance) of :class:`~pymatgen_ml_xrd.diffraction.experimental_effects.
            ExperimentalEffects`.
        background: ["none"] background removal before the model, in training and in predict:
            "none", "snip" or "arpls" (:mod:`pymatgen_ml_xrd.patterns.background`).
        background_window: [3.0] the widest feature [deg] kept as a peak by the background removal.
        effects_fraction: [1.0] share of training patterns that get ``effects`` (the rest stay
            clean): one model for clean and measured-like input.
        seed: random seed of the stream and the initial weights.
        verbose: progress bar during fit.
        verify: check every answer by a fit (:meth:`predict_verified`): the default structure-type
            catalogue's best candidates are refined against the pattern (a one-phase
            :class:`~pymatgen_ml_xrd.PhaseIdentifier`, the fit of
            ``StructureTypeIdentifier(verify=True)``), and when the best fit's R_wp is at most
            ``max_rwp`` its reference's space group comes first; the network's ranking follows
            (and is the whole answer where no fit is kept). Seconds per pattern instead of
            milliseconds; meant for measured scans. ``predict_proba`` and ``evaluate`` stay the
            network's.
        max_rwp: R_wp up to which a fit is trusted; None: 0.39 for patterns with a composition,
            0.31 without (:data:`~pymatgen_ml_xrd.estimators.verification.MAX_RWP`, chosen on
            measured scans for the structure type).
    """

    _pretrained_files = {"default": "space_group_default", "gaussian": "space_group_gaussian",
                         "v2": "space_group_v2", "experimental": "space_group_experimental",
                         "pseudo-voigt": "space_group_pseudo_voigt"}
    _fitted_attributes = ("model_", "classes_", "temperature_", "metadata_", "params_", "spec_")
    _weights_params = {"architecture": "compact", "two_theta": (5.0, 90.0, 0.04), "wavelength": "CuKa1",
                       "preprocessing": "sqrt", "crystallite_size": (20.0, 100.0), "profile": "gaussian",
                       "kalpha2": False, "effects": None, "background": "none", "background_window": 3.0,
                       "effects_fraction": 1.0}

    def __init__(self, pretrained: str | None = "default", architecture: str | None = None,
                 two_theta: tuple[float, float, float] | None = None, wavelength: str | float | None = None,
                 preprocessing: str | None = None, batch_size: int = 128, learning_rate: float = 1e-3,
                 weight_decay: float = 1e-4, precision: str = "float32", backend: str = "local",
                 ray_address: str | None = None, n_workers: int = 1,
                 crystallite_size: tuple[float, float] | None = None, patterns_per_crystal: int = 2,
                 space_groups: tuple[int, ...] | None = None, statistics: str | None = None,
                 real_fraction: float = 0.0, profile: str | None = None, kalpha2: bool | float | None = None,
                 effects: dict | ExperimentalEffects | None = None, background: str | None = None,
                 background_window: float | None = None, effects_fraction: float | None = None, seed: int = 0,
                 verbose: bool = True, verify: bool = False, max_rwp: float | None = None) -> None:
        self.pretrained = pretrained
        self.architecture = architecture
        self.two_theta = two_theta
        self.wavelength = wavelength
        self.preprocessing = preprocessing
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.precision = precision
        self.backend = backend
        self.ray_address = ray_address
        self.n_workers = n_workers
        self.crystallite_size = crystallite_size
        self.patterns_per_crystal = patterns_per_crystal
        self.space_groups = space_groups
        self.statistics = statistics
        self.real_fraction = real_fraction
        self.profile = profile
        self.kalpha2 = kalpha2
        self.effects = effects
        self.background = background
        self.background_window = background_window
        self.effects_fraction = effects_fraction
        self.seed = seed
        self.verbose = verbose
        self.verify = verify
        self.max_rwp = max_rwp

    # ------------------------------------------------------------------ model state
    @property
    def grid_(self) -> NDArray[np.float64]:
        """The model's input grid [deg]."""
        return self._spec().grid

    @property
    def n_features_in_(self) -> int:
        """Points of the model's input grid (scikit-learn's ``n_features_in_``): an array X must
        have this many columns; Diffractograms and (x, y) pairs are resampled onto the grid.
        Absent (AttributeError) while the estimator has no weights, or when its ``pretrained``
        weights cannot be read (``hasattr`` is then False, as scikit-learn's checks expect;
        predict raises the ModelFileError)."""
        if not self._has_state() and self.__dict__.get("pretrained") is None:
            raise AttributeError("n_features_in_ is set by fit() or by pretrained weights")
        try:
            return int(self.spec_.n_points)
        except ModelFileError as err:
            raise AttributeError(f"n_features_in_ is unavailable: {err}") from err

    def _spec(self) -> PatternSpec:
        """The fitted (or shipped) spec, else the one a fit with these parameters would use."""
        if "spec_" in self.__dict__ or self.pretrained is not None:
            return self.spec_
        return _spec_of(self._fit_params())

    def _build(self, n_classes: int, seed: bool = True):
        """The untrained network of ``params_`` under ``precision``; ``seed``: seed Keras (and
        numpy, Python) with ``self.seed`` first, as a fit does (not when a file is loaded)."""
        from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
        import_tensorflow()  # quietly, before Keras loads it
        import keras

        from pymatgen_ml_xrd.models import CLASSIFIER_ARCHITECTURES, build_classifier

        architecture = self.params_["architecture"]
        if architecture not in CLASSIFIER_ARCHITECTURES:
            raise InvalidParameterError(f"architecture must be one of {CLASSIFIER_ARCHITECTURES}, got {architecture!r}")
        keras.mixed_precision.set_global_policy(self.precision)
        if seed:
            keras.utils.set_random_seed(self.seed)
        return build_classifier(self.spec_.n_points, n_classes, architecture)

    def _compile(self, model, total_steps: int, offset: int = 0) -> None:
        """Compile ``model`` with AdamW on a cosine decay over ``total_steps`` steps, its first
        ``offset`` steps taken already (a run resumed from weights alone)."""
        from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
        import_tensorflow()  # quietly, before Keras loads it
        import keras

        from pymatgen_ml_xrd.models.schedules import OffsetCosineDecay

        schedule = OffsetCosineDecay(self.learning_rate, decay_steps=max(total_steps, 1), alpha=0.02, offset=offset)
        model.compile(
            optimizer=keras.optimizers.AdamW(schedule, weight_decay=self.weight_decay),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )

    # ------------------------------------------------------------------ training
    def fit(self, X=None, y=None, n_patterns: int = 200_000, validation_data=None, checkpoint_dir: str | None = None,
            checkpoint_every: int = 25_600, time_limit: float | None = None, epochs: int = 10, real_data=None,
            init_from: str | None = None, compact_checkpoint: bool = False):
        """Train on the synthetic stream (X is None) or on given patterns with space-group labels y.

        Args:
            n_patterns: patterns to train on in total (a resumed run counts what it had seen).
            validation_data: (patterns, space groups) of real structures; top-1/top-5 shown in
                the progress bar and recorded at each checkpoint.
            checkpoint_dir: where ``checkpoint.keras``/``.json`` are written every
                ``checkpoint_every`` patterns and read back to resume.
            time_limit: stop (after saving a checkpoint) after this many seconds.
            epochs: passes over (X, y) when training on given patterns.
            real_data: (structures, space-group numbers) of real crystals mixed into the stream
                when ``real_fraction`` > 0 (those outside the classes are left out).
            init_from: a classifier (pretrained name or saved path) with the same classes and
                grid whose weights start the stream training (fine-tuning, e.g. the experimental
                model from the default one); the optimizer and its schedule start afresh. Its
                spec must have the same grid, wavelength and preprocessing (the background
                removal and the training draws may differ: that is what fine-tuning changes).
                Ignored when a checkpoint is resumed.
            compact_checkpoint: also write ``compact.npz``/``.json`` in ``checkpoint_dir`` at every
                checkpoint (:meth:`save_compact`: float16 weights, no optimizer state; 7.2 MB for
                resnet10 against 47.8 MB). A fit resumes from it when the full checkpoint is absent
                (a committed run continued on another machine): the weights, the patterns seen and
                the learning-rate schedule go on; a new optimizer starts (its moments fresh, its
                bias correction with them: :class:`~pymatgen_ml_xrd.models.schedules.OffsetCosineDecay`),
                so the run is no longer bit-identical to an uninterrupted one (recorded in
                ``metadata_["training"]["optimizer_restarts"]``).

        Raises:
            InvalidParameterError: invalid parameters; a checkpoint in ``checkpoint_dir`` whose
                PatternSpec or classes differ from this fit's (start a new directory instead).
        """
        for name, allowed in (("backend", ("local", "ray")), ("precision", ("float32", "mixed_bfloat16"))):
            if getattr(self, name) not in allowed:
                raise InvalidParameterError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        params = self._fit_params()
        spec = _spec_of(params)  # validates every pattern parameter
        self.params_, self.spec_ = params, spec
        if X is not None:
            if init_from is not None:
                raise InvalidParameterError("init_from starts stream training; fit(X, y) trains a new model")
            if real_data is not None:
                raise InvalidParameterError("real_data mixes real crystals into the synthetic stream; with fit(X, y) "
                                            "pass them as patterns in X")  # fmt: skip
            return self._fit_arrays(X, y, epochs, validation_data)
        if not 0.0 <= self.real_fraction < 1.0:
            raise InvalidParameterError(f"real_fraction must lie in [0, 1), got {self.real_fraction!r}")
        if (self.real_fraction > 0) != (real_data is not None):
            raise InvalidParameterError("real_fraction > 0 and fit(real_data=(structures, space_groups)) go together")
        if compact_checkpoint and not checkpoint_dir:
            raise InvalidParameterError("compact_checkpoint=True needs a checkpoint_dir")
        return self._fit_stream(n_patterns, validation_data, checkpoint_dir, checkpoint_every, time_limit, real_data,
                                init_from, compact_checkpoint)

    def _fit_arrays(self, X, y, epochs, validation_data):
        if y is None:
            raise InvalidParameterError("fit(X, y) needs the space-group numbers y")
        rows = model_rows(X, self.spec_)  # the same conversion, background removal and preprocessing as predict
        y = np.asarray(y)
        if y.shape != (len(rows),):
            raise InvalidParameterError(f"y must hold one space group per pattern: {y.shape} for {len(rows)} patterns")
        bad = [i for i, g in enumerate(y.tolist()) if isinstance(g, bool) or not isinstance(g, (int, float))
               or not (float(g).is_integer() and 1 <= g <= 230)]  # fmt: skip
        if bad:
            raise InvalidParameterError(f"y must hold space-group numbers 1-230: item {bad[0]} is {y.tolist()[bad[0]]!r}"
                                        f" ({len(bad)} invalid)")  # fmt: skip
        y = y.astype(np.int64)
        self.classes_ = np.unique(y).astype(int)
        index = np.searchsorted(self.classes_, y)
        t0 = time.time()
        with distribution_strategy().scope():
            self.model_ = self._build(len(self.classes_))
            self._compile(self.model_, epochs * math.ceil(len(rows) / self.batch_size))
        self.model_.fit(rows, index, batch_size=self.batch_size, epochs=epochs, verbose=int(self.verbose))
        self.temperature_ = 1.0
        self.metadata_ = {"training": training_record("given patterns", epochs * len(rows), time.time() - t0)}
        if validation_data is not None:
            self.metadata_["validation"] = self.evaluate(*validation_data)
        return self

    def _fit_stream(self, n_patterns, validation_data, checkpoint_dir, checkpoint_every, time_limit, real_data=None,
                    init_from=None, compact_checkpoint=False):
        from tqdm.auto import tqdm

        from pymatgen_ml_xrd.generation import GeneratorStatistics, SyntheticStructureGenerator
        from pymatgen_ml_xrd.streams import BatchConfig

        stats = GeneratorStatistics.load(self.statistics) if self.statistics else GeneratorStatistics.default()
        coverage = "all" if isinstance(self.space_groups, str) and self.space_groups == "all" else "data"
        if isinstance(self.space_groups, str) and coverage != "all":
            raise InvalidParameterError(f"space_groups must be numbers, None or 'all', got {self.space_groups!r}")
        classes = SyntheticStructureGenerator(stats, space_groups=None if coverage == "all" else self.space_groups,
                                              seed=0, coverage=coverage).space_groups
        classes = np.array(sorted(int(c) for c in classes))
        source, pool_path = "synthetic stream", None
        if real_data is not None:
            import tempfile

            from pymatgen_ml_xrd.streams.real_pool import write_real_pool

            folder = Path(checkpoint_dir) if checkpoint_dir else Path(tempfile.mkdtemp(prefix="pmlxrd_pool_"))
            pool_path = str(write_real_pool(real_data[0], real_data[1], folder / "real_pool.pkl"))
            n_real = int(np.isin(np.asarray(real_data[1]), classes).sum())
            source = f"synthetic stream + {self.real_fraction:.0%} of each batch from {n_real} real crystals"
        config = BatchConfig(spec=self.spec_, batch_size=self.batch_size, patterns_per_crystal=self.patterns_per_crystal,
                             space_groups=tuple(int(c) for c in classes), real_pool=pool_path,
                             real_fraction=float(self.real_fraction) if pool_path else 0.0, coverage=coverage)
        seen, wall, cpu, history, commands, restarts = 0, 0.0, 0.0, [], [], []
        checkpoint = Path(checkpoint_dir) / "checkpoint" if checkpoint_dir else None
        compact = Path(checkpoint_dir) / "compact" if compact_checkpoint else None
        resume_from = None
        if checkpoint is not None and checkpoint.with_suffix(".json").is_file():
            resume_from = checkpoint
        elif compact is not None and compact.with_suffix(".json").is_file():
            resume_from = compact
        if resume_from is not None:
            previous = type(self).load(resume_from)
            if list(previous.classes_) != list(classes):
                raise InvalidParameterError(f"checkpoint {resume_from} was trained on other classes")
            previous.spec_.require_same(self.spec_, f"checkpoint {resume_from} (resume it with its own settings)")
            if previous.params_["architecture"] != self.params_["architecture"]:
                raise InvalidParameterError(f"checkpoint {resume_from} has architecture "
                                            f"{previous.params_['architecture']!r}, this fit {self.architecture!r}")  # fmt: skip
            self.metadata_ = previous.metadata_
            training = previous.metadata_["training"]
            seen, wall, cpu = training["patterns_seen"], training["wall_seconds"], training["cpu_seconds"]
            history = training.get("history", [])
            commands = training.get("commands") or [training.get("command", "")]
            restarts = list(training.get("optimizer_restarts", []))
            source = _resumed_source(training.get("source", ""), source, seen)
            if resume_from == compact:  # weights only: a new optimizer at the step the run had reached
                with distribution_strategy().scope():
                    self.model_ = self._build(len(classes))
                    self.model_.set_weights(previous.model_.get_weights())
                    self._compile(self.model_, n_patterns // self.batch_size, offset=seen // self.batch_size)
                restarts.append(int(seen))
            else:
                self.model_ = previous.model_
                _stretch_schedule(self.model_, n_patterns // self.batch_size)
        else:
            with distribution_strategy().scope():
                self.model_ = self._build(len(classes))
                self._compile(self.model_, n_patterns // self.batch_size)
            if init_from is not None:
                source += self._init_weights(init_from, classes)
        self.classes_ = classes
        self.temperature_ = 1.0
        self.__dict__.setdefault("metadata_", {})  # a complete fitted state before the first evaluation
        val = None
        if validation_data is not None:
            val = (model_rows(validation_data[0], self.spec_), np.asarray(validation_data[1]))
        t_start, cpu_start = time.time(), time.process_time()
        bar = tqdm(total=n_patterns, initial=seen, unit="pattern", disable=not self.verbose, smoothing=0.05)
        stream_seed = np.random.SeedSequence(self.seed)  # batch i has its own seed: a resumed run goes on
        start_batch = seen // self.batch_size           # with the batches an uninterrupted one would see
        next_checkpoint = seen + checkpoint_every
        if seen < n_patterns:  # a finished checkpoint has nothing left to train
            with self._stream(config, stream_seed, start_batch) as stream:
                for xb, yb in stream:
                    loss, acc = self.model_.train_on_batch(xb, yb)[:2]
                    seen += len(yb)
                    bar.update(len(yb))
                    bar.set_postfix(loss=f"{float(loss):.3f}", acc=f"{float(acc):.3f}", refresh=False)
                    elapsed = time.time() - t_start
                    stop = seen >= n_patterns or (time_limit is not None and elapsed >= time_limit)
                    if seen >= next_checkpoint or stop:
                        entry = {"patterns_seen": seen, "train_loss": float(loss), "train_accuracy": float(acc)}
                        if val is not None:
                            entry.update(self.evaluate(val[0], val[1], preprocessed=True))
                            bar.set_postfix(loss=f"{float(loss):.3f}", top1=f"{entry['top1']:.3f}",
                                            top5=f"{entry['top5']:.3f}")
                        history.append(entry)
                        self.metadata_ = {"training": training_record(
                            source, seen, wall + elapsed, cpu=cpu + time.process_time() - cpu_start,
                            history=history, earlier_commands=commands, stream=config.to_dict(),
                            statistics=stats.provenance)}  # fmt: skip
                        if restarts:
                            self.metadata_["training"]["optimizer_restarts"] = restarts
                        if checkpoint is not None:
                            self.save(checkpoint, overwrite=True)
                        if compact is not None:
                            self.save_compact(compact, overwrite=True)
                        next_checkpoint = seen + checkpoint_every
                    if stop:
                        break
        bar.close()
        return self

    def _init_weights(self, init_from: str, classes: NDArray) -> str:
        """Copy the weights of ``init_from`` into the new model; returns a note for the metadata.

        With other classes (e.g. 230 groups from a 94-group model) every layer but the output
        is copied, and the output units of the classes both share; new classes start fresh.
        """
        start = type(self).load(self.pretrained_path(init_from))
        if start.params_["architecture"] != self.params_["architecture"]:
            raise InvalidParameterError(f"init_from={init_from!r} has architecture {start.params_['architecture']!r}, "
                                        f"this fit {self.params_['architecture']!r}")  # fmt: skip
        start.spec_.require_same(self.spec_, f"init_from={init_from!r}", fields=("two_theta", "wavelength",
                                                                                "preprocessing"))
        seen = start.metadata_.get("training", {}).get("patterns_seen", 0)
        if list(start.classes_) == list(classes):
            self.model_.set_weights(start.model_.get_weights())
            return f"{_INITIALISED}{init_from} ({seen:,} patterns)"
        shared = np.intersect1d(start.classes_, classes)
        if len(shared) == 0:
            raise InvalidParameterError(f"init_from={init_from!r} shares no class with this fit")
        output = self.model_.layers[-1].name
        for layer in self.model_.layers:
            if layer.weights and layer.name != output:
                layer.set_weights(start.model_.get_layer(layer.name).get_weights())
        kernel, bias = self.model_.get_layer(output).get_weights()
        old_kernel, old_bias = start.model_.get_layer(output).get_weights()
        new_idx, old_idx = np.searchsorted(classes, shared), np.searchsorted(start.classes_, shared)
        kernel[:, new_idx], bias[new_idx] = old_kernel[:, old_idx], old_bias[old_idx]
        self.model_.get_layer(output).set_weights([kernel, bias])
        return f"{_INITIALISED}{init_from} ({seen:,} patterns; output units of {len(shared)} of {len(classes)} classes)"

    def _stream(self, config, seed, start_batch: int = 0):
        from pymatgen_ml_xrd.streams import LocalStream, RayStream

        if self.backend == "ray":
            return RayStream(config, seed=seed, n_workers=max(self.n_workers, 1), statistics_path=self.statistics,
                             ray_address=self.ray_address, start_batch=start_batch)
        return LocalStream(config, seed=seed, n_workers=self.n_workers, statistics_path=self.statistics,
                           start_batch=start_batch)

    # ------------------------------------------------------------------ prediction
    def _rows(self, X) -> NDArray[np.float32]:
        """Model-input rows of ``X`` (:func:`~pymatgen_ml_xrd.patterns.model_rows` with ``spec_``);
        a model trained on clean patterns warns about inputs with a background."""
        self._ensure_model()
        rows = model_rows(X, self.spec_)
        if not self.spec_.measured:
            _warn_if_measured(X, self.pretrained)
        return rows

    def decision_function(self, X) -> NDArray[np.float32]:
        """Logits (n, n_classes) before temperature scaling."""
        self._ensure_model()
        rows = self._rows(X)
        return np.asarray(self.model_.predict(rows, batch_size=256, verbose=0), dtype=np.float64)

    def predict_proba(self, X) -> NDArray[np.float64]:
        """Calibrated probabilities (n, n_classes); columns follow ``classes_``."""
        return _softmax(self.decision_function(X) / self.temperature_)

    def predict(self, X, compositions=None) -> NDArray[np.int64]:
        """Space-group numbers (n,): the network's most probable group, or with ``verify`` the
        answers of :meth:`predict_verified` (``compositions`` is passed on)."""
        check_verify(self.verify)
        if self.verify:
            return self.predict_verified(X, compositions)
        _no_compositions(compositions)
        logits = self.decision_function(X)
        return self.classes_[logits.argmax(axis=1)]

    def predict_top_k(self, X, k: int = 5, compositions=None) -> NDArray[np.int64]:
        """(n, k) space-group numbers, most probable first; with ``verify``, the group of a kept
        fit first and the network's ranking after it (:meth:`predict_verified`)."""
        check_top_k(k, 1)  # before any model work
        check_verify(self.verify)
        if not self.verify:
            _no_compositions(compositions)
        logits = self.decision_function(X)
        k = check_top_k(k, logits.shape[1])
        order = self.classes_[np.argsort(-logits, axis=1)]
        if self.verify:
            order = fitted_first(order, self._verified_groups(X, compositions))
        return order[:, :k]

    def predict_verified(self, X, compositions=None) -> NDArray[np.int64]:
        """Space groups checked by fitting: for each pattern the default catalogue's best candidate
        structures are refined against it (scale, lattice, zero shift, widths, background, atoms:
        :func:`~pymatgen_ml_xrd.estimators.verification.fit_patterns`); where the best fit's R_wp
        is at most ``max_rwp`` the answer is its reference's space group, elsewhere the network's
        most probable group.

        Args:
            X: patterns as for :meth:`predict`; Diffractograms (or (x, y, wavelength) tuples)
                are fitted on their own grid and wavelength, other inputs on the model's grid.
            compositions: None, or one formula per pattern (None entries allowed): the main
                phase's formula puts its elements on every prototype with its stoichiometry.
        """
        logits = self.decision_function(X)  # first: the inputs are checked before seconds of fitting
        fitted = self._verified_groups(X, compositions)
        return fitted_first(self.classes_[logits.argmax(axis=1)][:, None], fitted)[:, 0]

    def verified_fits(self, X, compositions=None) -> list:
        """The one-phase fits behind :meth:`predict_verified`, before the ``max_rwp`` threshold:
        one :class:`~pymatgen_ml_xrd.phases.PhaseIdentification` per pattern (``.phases`` empty
        where nothing fits, else ``.rwp`` and ``.phases[0].space_group``), or None with a warning
        where a formula's stoichiometry has no catalogue type (the network's answer stands)."""
        self._ensure_model()
        return fit_patterns(pattern_items(X), self.spec_, compositions)

    def _verified_groups(self, X, compositions) -> list[int | None]:
        """Per pattern the space group of its kept fit, or None (no fit at most ``max_rwp``)."""
        check_max_rwp(self.max_rwp)
        phases = kept_phases(self.verified_fits(X, compositions), compositions, self.max_rwp)
        return [None if p is None else int(p.space_group) for p in phases]

    def evaluate(self, X, y, preprocessed: bool = False) -> dict:
        """top-1, top-5 accuracy and ECE on patterns with true space groups ``y`` (groups outside
        ``classes_`` count as errors)."""
        self._ensure_model()
        rows = X if preprocessed else self._rows(X)
        logits = np.asarray(self.model_.predict(rows, batch_size=256, verbose=0), dtype=np.float64)
        y = np.asarray(y)
        order = np.argsort(-logits, axis=1)
        idx = np.searchsorted(self.classes_, y)
        known = (idx < len(self.classes_)) & (self.classes_[np.minimum(idx, len(self.classes_) - 1)] == y)
        top1 = known & (order[:, 0] == idx)
        top5 = known & (order[:, :5] == idx[:, None]).any(axis=1)
        proba = _softmax(logits / getattr(self, "temperature_", 1.0))
        return {"n": len(y), "top1": float(top1.mean()), "top5": float(top5.mean()),
                "ece": expected_calibration_error(proba[known], idx[known]) if known.any() else float("nan")}

    def calibrate(self, X, y) -> dict:
        """Fit the softmax temperature on real validation patterns (known classes only)."""
        from scipy.optimize import minimize_scalar

        self._ensure_model()
        logits = np.asarray(self.model_.predict(self._rows(X), batch_size=256, verbose=0), dtype=np.float64)
        idx = np.searchsorted(self.classes_, np.asarray(y))
        known = (idx < len(self.classes_)) & (self.classes_[np.minimum(idx, len(self.classes_) - 1)] == np.asarray(y))
        logits, idx = logits[known], idx[known]

        def nll(t):
            p = _softmax(logits / t)
            return -np.log(p[np.arange(len(idx)), idx] + 1e-12).mean()

        before = expected_calibration_error(_softmax(logits), idx)
        self.temperature_ = float(minimize_scalar(nll, bounds=(0.05, 20), method="bounded").x)
        after = expected_calibration_error(_softmax(logits / self.temperature_), idx)
        self.metadata_.setdefault("calibration", {}).update(
            {"temperature": self.temperature_, "ece_before": before, "ece_after": after, "n": len(idx)}
        )
        return self.metadata_["calibration"]

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path, include_optimizer: bool = True, overwrite: bool = False) -> Path:
        """Write ``path.keras`` (model) and ``path.json`` (metadata, checksum); returns the JSON path.

        ``include_optimizer=False`` writes the weights only (a third of the size; enough to
        predict, and fit() then starts a new optimizer). An existing model at ``path`` is
        replaced only with ``overwrite=True`` (fit's checkpoints replace their own).
        """
        self._ensure_model()
        return write_model_files(self.model_, path, self._file_metadata(), include_optimizer=include_optimizer,
                                 overwrite=overwrite)  # fmt: skip

    def save_compact(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the weights alone, large arrays as float16, to ``path.npz`` + ``path.json``
        (:func:`~pymatgen_ml_xrd.models.files.write_weights_file`: half the size of
        ``save(include_optimizer=False)``, small enough to commit for a model of millions of
        parameters); :meth:`load` reads it back, rebuilding the architecture. Returns the JSON path."""
        self._ensure_model()
        if self.params_["architecture"] == ENSEMBLE_ARCHITECTURE:
            raise InvalidParameterError("an ensemble has no architecture to rebuild from weights alone: save() it")
        return write_weights_file(self.model_.get_weights(), path, self._file_metadata(), overwrite=overwrite)

    def _file_metadata(self) -> dict:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "classes": [int(c) for c in self.classes_],
            "temperature": float(self.temperature_),
            "params": params_to_json(self.get_params() | {"effects": self.spec_.effects if self.effects else None}),
            "weights_params": params_to_json(self.params_ | {"effects": self.spec_.effects}),
            "pattern_spec": self.spec_.to_dict(),
            **self.metadata_,
        }

    @classmethod
    def load(cls, path: str | Path) -> SpaceGroupClassifier:
        """Read a classifier written by :meth:`save` (``path.keras``) or :meth:`save_compact`
        (``path.npz``, when there is no ``.keras``); refuses foreign, damaged or mismatched files."""
        base = model_base(path)
        model_path, meta_path = base.with_name(base.name + ".keras"), base.with_name(base.name + ".json")
        if not model_path.exists() and base.with_name(base.name + ".npz").exists():
            weights, meta = read_weights_file(path, FORMAT, FORMAT_VERSION)
            est = cls._from_metadata(meta, meta_path)
            try:
                est.model_ = est._build(len(est.classes_), seed=False)
                est.model_.set_weights(weights)
            except (ValueError, InvalidParameterError) as err:
                raise ModelFileError(f"{base}.npz does not fit its metadata's architecture: {err}") from None
            return est
        model, meta = read_model_files(path, FORMAT, FORMAT_VERSION)
        est = cls._from_metadata(meta, meta_path)
        n_points = est.spec_.n_points
        if model.input_shape[-1] != n_points or model.output_shape[-1] != len(meta["classes"]):
            raise ModelFileError(
                f"{model_path} does not fit its metadata: input {model.input_shape}, output {model.output_shape} vs "
                f"{n_points} grid points and {len(meta['classes'])} classes"
            )
        est.model_ = model
        return est

    @classmethod
    def _from_metadata(cls, meta: dict, meta_path: Path) -> SpaceGroupClassifier:
        """An estimator with every fitted attribute of ``meta`` but the model."""
        try:
            params = params_from_json(meta["params"])
            est = cls(pretrained=None, **params)
            weights = est._stored_weights_params(meta, meta_path)
            # files before the spec was stored have its fields among the parameters
            spec = PatternSpec.from_dict(meta["pattern_spec"]) if "pattern_spec" in meta else _spec_of(weights)
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFileError(f"{meta_path} is damaged: {err!r}") from None
        _check_classes_and_temperature(meta, meta_path)
        est.classes_ = np.array(meta["classes"], dtype=np.int64)
        est.temperature_ = float(meta.get("temperature", 1.0))
        est.params_ = weights
        est.spec_ = spec
        est.metadata_ = {k: v for k, v in meta.items() if k not in
                         ("format", "format_version", "classes", "params", "weights_params", "pattern_spec",
                          "weights_file")}  # fmt: skip
        return est


def _check_classes_and_temperature(meta: dict, meta_path) -> None:
    """Raise :class:`ModelFileError` unless the classes are unique space groups 1-230 in
    increasing order and the temperature is a finite positive number."""
    classes = meta.get("classes")
    if (not isinstance(classes, list) or len(classes) < 2
            or not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= 230 for c in classes)
            or any(a >= b for a, b in zip(classes, classes[1:]))):
        raise ModelFileError(f"{meta_path} is damaged: classes must be increasing space groups 1-230, got {classes!r}")
    t = meta.get("temperature", 1.0)
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not (math.isfinite(t) and t > 0):
        raise ModelFileError(f"{meta_path} is damaged: temperature must be a positive number, got {t!r}")


def _stretch_schedule(model, total_steps: int) -> None:
    """Make a resumed optimizer's cosine decay end at ``total_steps`` (the new planned total).

    The checkpoint's schedule ends where the previous run planned to stop; without this, a run
    resumed towards a larger ``n_patterns`` would go on at the final, smallest learning rate.
    The optimizer's step count and moments are kept.
    """
    from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
    import_tensorflow()  # quietly, before Keras loads it
    import keras

    schedule = getattr(model.optimizer, "_learning_rate", None)
    if isinstance(schedule, keras.optimizers.schedules.CosineDecay):
        schedule.decay_steps = max(int(total_steps), 1)


_RESUMED = "; resumed at "
_INITIALISED = ", initialised from "


def _resumed_source(earlier: str, now: str, seen: int) -> str:
    """Provenance of a resumed checkpoint: the earlier runs' record (e.g. "..., initialised from
    ...") and, when this run's data differ from the last run's, what this run adds."""
    if not earlier:
        return now
    last = earlier.rsplit(_RESUMED, 1)[1].split(" with ", 1)[1] if _RESUMED in earlier else earlier
    if last.split(_INITIALISED)[0] == now:
        return earlier
    return f"{earlier}{_RESUMED}{seen:,} patterns with {now}"


def _no_compositions(compositions) -> None:
    if compositions is not None:
        raise InvalidParameterError("compositions are used only by the verified answer: pass verify=True")


def _spec_of(params: dict) -> PatternSpec:
    """The PatternSpec of a classifier's weights parameters."""
    names = ("two_theta", "wavelength", "preprocessing", "background", "background_window", "profile",
             "crystallite_size", "kalpha2", "effects", "effects_fraction")
    return PatternSpec(**{name: params[name] for name in names})


def _warn_if_measured(X, pretrained) -> None:
    """A UserWarning naming the inputs that look measured (a background: :func:`~pymatgen_ml_xrd.
    patterns.inputs.measured_looking`) when the model expects clean simulated patterns."""
    from pymatgen_ml_xrd.patterns.inputs import measured_looking

    looking = measured_looking(X)
    if looking:
        shown = ", ".join(str(i) for i in looking[:10]) + (" ..." if len(looking) > 10 else "")
        # stacklevel 5: the user's call of predict / predict_proba (-> decision_function -> _rows -> here)
        warnings.warn(f"pattern(s) {shown} have a background, as measured scans do, but this model "
                      f"(pretrained={pretrained!r}) was trained on clean simulated patterns and removes none "
                      "(its top-1 on measured scans is 0.04-0.08, docs/benchmarks.md). Use "
                      "SpaceGroupClassifier() (the default: any input) or pretrained='experimental' (measured scans)",
                      UserWarning, stacklevel=5)  # fmt: skip
