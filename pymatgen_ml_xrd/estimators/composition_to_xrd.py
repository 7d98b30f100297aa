"""CompositionToXRD: a powder pattern predicted from a chemical formula alone (paper 004, DeepXRD).

A formula is encoded as a one-hot count matrix (:mod:`pymatgen_ml_xrd.compositions.encoding`), a
residual network (:mod:`pymatgen_ml_xrd.models.deepxrd`) turns it into a pattern on a fixed
2-theta grid (1,024 points over 5-90 deg, Cu K-alpha, by default), trained with the Pearson loss.
Targets are patterns of real structures, Gaussian-smoothed with one fixed width
(:func:`pymatgen_ml_xrd.diffraction.smoothed_pattern.smoothed_patterns`).

scikit-learn conventions: ``__init__`` stores parameters, learned state ends in ``_``,
``score`` is the mean Pearson correlation (higher is better).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pymatgen.core import IStructure, Structure
from sklearn.base import RegressorMixin

from pymatgen_ml_xrd.compositions.encoding import CompositionEncoder
from pymatgen_ml_xrd.diffraction import Diffractogram, XRDCalculator
from pymatgen_ml_xrd.diffraction.smoothed_pattern import smoothed_patterns, uniform_grid
from pymatgen_ml_xrd.diffraction.wavelengths import resolve_wavelength
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.estimators.base import PretrainedEstimator, params_from_json, params_to_json
from pymatgen_ml_xrd.estimators.devices import distribution_strategy
from pymatgen_ml_xrd.models.files import ModelFileError, read_model_files, write_model_files
from pymatgen_ml_xrd.models.provenance import training_record
from pymatgen_ml_xrd.patterns.inputs import patterns_on_grid

__all__ = ["CompositionToXRD", "lowest_energy_per_composition"]

FORMAT = "pymatgen_ml_xrd.CompositionToXRD"
FORMAT_VERSION = 1
WAVELENGTH = resolve_wavelength("CuKa")[0]  # weighted Cu K-alpha1/K-alpha2, pymatgen's default [angstrom]
LOSSES = ("pearson", "pearson_smooth", "cosine", "mse", "msle")


def lowest_energy_per_composition(structures, energies=None) -> list[int]:
    """Indices of one structure per reduced formula: the lowest energy one (paper 004 keeps the
    polymorph of lowest formation energy), or the first when ``energies`` is None or NaN."""
    best: dict[str, tuple[float, int]] = {}
    for i, s in enumerate(structures):
        e = np.inf if energies is None or not np.isfinite(energies[i]) else float(energies[i])
        key = s.composition.reduced_formula
        if key not in best or e < best[key][0]:
            best[key] = (e, i)
    return sorted(i for _, i in best.values())


class CompositionToXRD(RegressorMixin, PretrainedEstimator):
    """Predict a powder diffractogram from a composition.

    The parameters that describe the weights (``architecture`` to ``loss``) default to None:
    as the weights were trained with ``pretrained`` (a differing explicit value raises), the
    value in brackets for fit.

    Parameters:
        pretrained: ``"default"`` loads the shipped weights on first use (a path loads a saved
            model); None starts untrained (call fit).
        architecture: [``"compact"``] (CPU default, 1-D decoder) or ``"paper"`` (Table 1 of paper 004).
        two_theta_range: [(5, 90)] first and last output point [deg] at Cu K-alpha; ``(0, 180)``
            is the paper's range.
        n_points: [1024] output grid points (paper 004: 1,024).
        fwhm: [0.25] Gaussian width [deg] of the smoothed target patterns (fit_structures).
        max_count: [40] largest count of one element per formula unit the encoder takes.
        loss: [``"pearson_smooth"``] (Pearson on the pattern and on a copy blurred by 0.5 deg),
            ``"pearson"`` (paper's best), ``"cosine"``, ``"mse"`` or ``"msle"``.
        epochs, batch_size, learning_rate: Adam training; early stopping on the validation loss
            with ``patience`` epochs restores the best weights.
        validation_fraction: share of the training compositions held back for early stopping
            when fit gets no ``validation_data``.
        dropout: after the encoder's dense bottleneck.
        precision: ``"float32"`` or ``"mixed_bfloat16"``.
        seed: weights initialisation and validation split.
        verbose: Keras progress output.
    """

    _pretrained_files = {"default": "composition_to_xrd_default"}
    _fitted_attributes = ("model_", "metadata_", "exponent_", "params_")
    _weights_params = {"architecture": "compact", "two_theta_range": (5.0, 90.0), "n_points": 1024, "fwhm": 0.25,
                       "max_count": 40, "loss": "pearson_smooth"}

    def __init__(self, pretrained: str | None = "default", architecture: str | None = None,
                 two_theta_range: tuple[float, float] | None = None, n_points: int | None = None,
                 fwhm: float | None = None, max_count: int | None = None, loss: str | None = None,
                 epochs: int = 80, batch_size: int = 64,
                 learning_rate: float = 1e-3, validation_fraction: float = 0.1, patience: int = 10,
                 dropout: float = 0.2, precision: str = "float32", seed: int = 0, verbose: bool = True):  # fmt: skip
        self.pretrained = pretrained
        self.architecture = architecture
        self.two_theta_range = two_theta_range
        self.n_points = n_points
        self.fwhm = fwhm
        self.max_count = max_count
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.dropout = dropout
        self.precision = precision
        self.seed = seed
        self.verbose = verbose

    # ------------------------------------------------------------------ state
    @property
    def grid_(self) -> NDArray[np.float64]:
        """The output 2-theta grid [deg]."""
        return uniform_grid(self._param("two_theta_range"), self._param("n_points"))

    @property
    def encoder_(self) -> CompositionEncoder:
        return CompositionEncoder(max_count=self._param("max_count"))

    def _check_params(self) -> None:
        """Validate the parameters of a fit (``params_`` holds the weights parameters it uses)."""
        from pymatgen_ml_xrd.models.deepxrd import DEEPXRD_ARCHITECTURES

        for name, allowed in (("architecture", DEEPXRD_ARCHITECTURES), ("loss", LOSSES),
                              ("precision", ("float32", "mixed_bfloat16"))):  # fmt: skip
            value = self.params_.get(name, getattr(self, name))
            if value not in allowed:
                raise InvalidParameterError(f"{name} must be one of {allowed}, got {value!r}")
        self.grid_  # noqa: B018 - validates two_theta_range and n_points
        if not 0 <= self.validation_fraction < 1:
            raise InvalidParameterError(f"validation_fraction must lie in [0, 1), got {self.validation_fraction}")
        for name in ("epochs", "batch_size", "patience"):
            if int(getattr(self, name)) < 1:
                raise InvalidParameterError(f"{name} must be a positive integer, got {getattr(self, name)!r}")

    def _keras_loss(self):
        from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
        import_tensorflow()  # quietly, before Keras loads it
        import keras

        from pymatgen_ml_xrd.models.deepxrd import PearsonLoss

        loss = self._param("loss")
        if loss == "pearson":
            return PearsonLoss((0.0,))
        if loss == "pearson_smooth":  # 0.5 deg, whatever the grid
            step = (self.grid_[-1] - self.grid_[0]) / (len(self.grid_) - 1)
            return PearsonLoss((0.0, 0.5 / step))
        return {"cosine": keras.losses.CosineSimilarity(), "mse": keras.losses.MeanSquaredError(),
                "msle": keras.losses.MeanSquaredLogarithmicError()}[loss]  # fmt: skip

    # ------------------------------------------------------------------ inputs
    def _encode(self, X) -> NDArray[np.float32]:
        single = isinstance(X, (str, IStructure)) or not hasattr(X, "__iter__") or _is_composition(X)
        items = [X] if single else list(X)
        if not items:
            raise InvalidParameterError("no compositions given")
        # a Structure stands for its composition
        return self.encoder_.encode([x.composition if isinstance(x, IStructure) else x for x in items])

    def _targets(self, y, n: int) -> NDArray[np.float32]:
        if isinstance(y, (Structure, IStructure)) or (isinstance(y, list) and any(isinstance(v, IStructure) for v in y)):
            raise InvalidParameterError("y holds Structures: use fit_structures() to simulate their patterns")
        rows = patterns_on_grid(y, self.grid_, WAVELENGTH)
        if len(rows) != n:
            raise InvalidParameterError(f"y has {len(rows)} patterns for {n} compositions")
        return (rows / rows.max(axis=1, keepdims=True)).astype(np.float32)

    # ------------------------------------------------------------------ training
    def fit(self, X, y, validation_data=None) -> CompositionToXRD:
        """Train on compositions ``X`` (formulas or Compositions) and patterns ``y``.

        Args:
            y: array (n, n_points) on :attr:`grid_`, or Diffractograms / (x, y) tuples on any grid
                (resampled; at another wavelength converted through d-spacing). Each target is
                scaled to a maximum of 1.
            validation_data: (compositions, patterns) for early stopping; by default
                ``validation_fraction`` of the training data.
        """
        from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
        import_tensorflow()  # quietly, before Keras loads it
        import keras

        self.params_ = self._fit_params()  # a new fit: any loaded weights are dropped
        self._check_params()
        x_train = self._encode(X)
        y_train = self._targets(y, len(x_train))
        if validation_data is not None:
            x_val = self._encode(validation_data[0])
            y_val = self._targets(validation_data[1], len(x_val))
        elif self.validation_fraction > 0 and len(x_train) >= 10:
            train, val = self.validation_split(len(x_train))
            x_val, y_val, x_train, y_train = x_train[val], y_train[val], x_train[train], y_train[train]
        else:
            x_val = y_val = None
        from pymatgen_ml_xrd.models.deepxrd import build_deepxrd

        keras.mixed_precision.set_global_policy(self.precision)
        keras.utils.set_random_seed(self.seed)
        t0, c0 = time.time(), time.process_time()
        with distribution_strategy().scope():
            self.model_ = build_deepxrd(self.encoder_.shape, self.params_["n_points"], self.params_["architecture"],
                                        dropout=self.dropout)
            self.model_.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=self._keras_loss())
        monitor = "val_loss" if x_val is not None else "loss"
        callbacks = [
            keras.callbacks.EarlyStopping(monitor=monitor, patience=self.patience, restore_best_weights=True),
            keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=max(1, self.patience // 3)),
        ]
        history = self.model_.fit(
            x_train, y_train, batch_size=self.batch_size, epochs=self.epochs, verbose=int(self.verbose) * 2,
            validation_data=None if x_val is None else (x_val, y_val), callbacks=callbacks,
        )
        keras.mixed_precision.set_global_policy("float32")
        self.exponent_ = 1.0
        epochs_run = len(history.history["loss"])
        self.metadata_ = {"training": training_record(
            f"{len(x_train)} compositions with patterns", epochs_run * len(x_train), time.time() - t0,
            cpu_seconds=time.process_time() - c0,
            history={k: [float(v) for v in vals] for k, vals in history.history.items()},
            n_train=len(x_train), n_validation=0 if x_val is None else len(x_val), epochs_run=epochs_run)}  # fmt: skip
        return self

    def validation_split(self, n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(training rows, validation rows) of ``n`` compositions: the ``validation_fraction`` that
        :meth:`fit` holds back for early stopping when it gets no ``validation_data`` (a seeded
        permutation), e.g. to calibrate on the same rows afterwards."""
        order = np.random.default_rng(self.seed).permutation(int(n))
        n_val = max(1, int(round(self.validation_fraction * n)))
        return order[n_val:], order[:n_val]

    def fit_structures(self, structures, energies=None, validation_data=None) -> CompositionToXRD:
        """Train on real structures: one per reduced formula (the lowest of ``energies``, e.g.
        energy above hull, when given), targets simulated with the package's calculator.

        ``validation_data`` may be structures too (or (compositions, patterns)).
        """
        structures = list(structures)
        if energies is not None and len(energies) != len(structures):
            raise InvalidParameterError(f"energies has {len(energies)} values for {len(structures)} structures")
        keep = lowest_energy_per_composition(structures, energies)
        chosen = [structures[i] for i in keep]
        y = self.simulate_targets(chosen)
        if validation_data is not None and not isinstance(validation_data, tuple):
            val = list(validation_data)
            val = [val[i] for i in lowest_energy_per_composition(val)]
            validation_data = ([s.composition for s in val], self.simulate_targets(val))
        self.fit([s.composition for s in chosen], y, validation_data=validation_data)
        self.metadata_["training"]["n_structures_given"] = len(structures)
        return self

    def simulate_targets(self, structures) -> NDArray[np.float32]:
        """Smoothed patterns (n, n_points) of structures on :attr:`grid_` (Cu K-alpha, maxima 1)."""
        return smoothed_patterns(structures, tuple(self._param("two_theta_range")), self._param("n_points"),
                                 self._param("fwhm"), XRDCalculator(WAVELENGTH))  # fmt: skip

    # ------------------------------------------------------------------ prediction
    def predict_array(self, X) -> NDArray[np.float32]:
        """Predicted patterns (n, n_points) on :attr:`grid_`: the network's output minus its
        minimum, scaled to a maximum of 1 and raised to the calibrated intensity exponent
        (:meth:`calibrate`; 1 before calibration)."""
        self._ensure_model()
        rows = np.asarray(self.model_.predict(self._encode(X), batch_size=256, verbose=0), dtype=np.float32)
        # the softplus output keeps a smooth floor that a correlation loss never penalises: remove it
        rows = rows - rows.min(axis=1, keepdims=True)
        top = rows.max(axis=1, keepdims=True)
        rows = rows / np.where(top > 0, top, 1.0)
        exponent = getattr(self, "exponent_", 1.0)
        return rows if exponent == 1.0 else rows**exponent

    def calibrate(self, X, y, exponents=None) -> dict:
        """Choose the intensity exponent that maximises the mean peak-match F1 on (X, y).

        A network trained with a correlation loss predicts weak peaks too weakly (they average
        over possible structures); ``I ** exponent`` with an exponent below 1 lifts them above
        the 10% peak threshold. Use validation compositions, never the test set. Returns and
        records {"exponent", "f1_before", "f1_after", "n"}.
        """
        from pymatgen_ml_xrd.patterns.metrics import peak_scores

        self._ensure_model()
        candidates = np.round(np.arange(0.5, 1.001, 0.05), 2) if exponents is None else np.asarray(exponents, float)
        if candidates.size == 0 or (candidates <= 0).any():
            raise InvalidParameterError("exponents must be positive numbers")
        self.exponent_ = 1.0
        raw = self.predict_array(X)
        true = self._targets(y, len(raw))
        f1 = [float(peak_scores(self.grid_, true, raw**e)["peak_f1"].mean()) for e in candidates]
        best = int(np.argmax(f1))
        self.exponent_ = float(candidates[best])
        before = float(peak_scores(self.grid_, true, raw)["peak_f1"].mean())
        result = {"exponent": self.exponent_, "f1_before": before, "f1_after": f1[best], "n": len(raw),
                  "candidates": [float(c) for c in candidates], "f1": f1}  # fmt: skip
        self.metadata_["calibration"] = result
        return result

    def predict(self, X) -> NDArray[np.float32]:
        """Predicted patterns (n, n_points) on :attr:`grid_` (scikit-learn's regressor contract:
        an array, so that scorers and ``cross_val_score`` work); :meth:`predict_diffractograms`
        gives them as Diffractogram objects."""
        return self.predict_array(X)

    def predict_diffractograms(self, X) -> list[Diffractogram]:
        """One :class:`Diffractogram` (Cu K-alpha, maximum 1) per composition."""
        rows = self.predict_array(X)  # loads pretrained weights and their grid first
        return [Diffractogram(self.grid_, row, wavelength=WAVELENGTH) for row in rows]

    def score(self, X, y, sample_weight=None) -> float:
        """R^2 of the predicted against the true patterns (RegressorMixin's score; grid points
        weighted by their variance over the patterns, ``multioutput="variance_weighted"``); the
        mean Pearson correlation is :func:`~pymatgen_ml_xrd.patterns.metrics.pearson_score`."""
        from sklearn.metrics import r2_score

        pred = self.predict_array(X)
        return float(r2_score(self._targets(y, len(pred)), pred, sample_weight=sample_weight,
                              multioutput="variance_weighted"))

    def evaluate(self, X, y, dtw_window: int | None = 24) -> dict:
        """Mean distances (paper 004 eqs. 1-5, DTW) and peak match of predictions against ``y``."""
        from pymatgen_ml_xrd.patterns.metrics import evaluate_patterns

        pred = self.predict_array(X)
        return evaluate_patterns(self.grid_, self._targets(y, len(pred)), pred, dtw_window)

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path, include_optimizer: bool = False, overwrite: bool = False) -> Path:
        """Write ``path.keras`` and ``path.json`` (parameters, training record, checksum); returns the
        JSON path. An existing model at ``path`` is replaced only with ``overwrite=True``."""
        self._ensure_model()
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "params": params_to_json(self.get_params()),
                "weights_params": params_to_json(self.params_),
                "elements": list(self.encoder_.elements), "intensity_exponent": getattr(self, "exponent_", 1.0),
                **self.metadata_}  # fmt: skip
        return write_model_files(self.model_, path, meta, include_optimizer=include_optimizer, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> CompositionToXRD:
        """Read a model written by :meth:`save`; refuses foreign, damaged or mismatched files."""
        import pymatgen_ml_xrd.models.deepxrd  # noqa: F401 - registers PearsonLoss for Keras

        model, meta = read_model_files(path, FORMAT, FORMAT_VERSION)
        params = params_from_json(meta["params"])
        est = cls(pretrained=None, **params)
        est.params_ = est._stored_weights_params(meta, Path(path))
        if tuple(meta.get("elements", ())) != est.encoder_.elements:
            raise ModelFileError(f"{path}: the model was trained on another element vocabulary")
        if tuple(model.input_shape[1:]) != est.encoder_.shape or model.output_shape[-1] != est.params_["n_points"]:
            raise ModelFileError(
                f"{path} does not fit its metadata: input {model.input_shape}, output {model.output_shape} vs "
                f"{est.encoder_.shape} and {est.params_['n_points']} points"
            )
        est.model_ = model
        est.exponent_ = float(meta.get("intensity_exponent", 1.0))
        est.metadata_ = {k: v for k, v in meta.items()
                         if k not in ("format", "format_version", "params", "weights_params", "elements",
                                      "intensity_exponent")}
        return est


def _is_composition(value) -> bool:
    from pymatgen.core import Composition

    return isinstance(value, Composition)
