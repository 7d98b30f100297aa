"""The estimator base: shipped weights, lazy loading, parameters that come with the weights.

Every estimator of the package derives from :class:`PretrainedEstimator` (with scikit-learn's
``BaseEstimator``). What it provides, once:

- ``pretrained``: a name of the shipped weights (``_pretrained_files``, files in
  ``pymatgen_ml_xrd/pretrained/``), a path written by ``save``, or None (fit first);
- lazy loading: the fitted attributes (``_fitted_attributes``) load the weights on first access,
  so constructing stays cheap and ``SpaceGroupClassifier().classes_`` works before a prediction;
- parameters that describe the weights (``_weights_params``, e.g. the input grid): their default
  None means "what the weights were trained with" (or, for fit, the default of
  ``_weights_params``); a value that conflicts with the shipped weights raises an error naming
  both values. Loading NEVER rewrites a parameter: the weights' values live in the fitted
  ``params_``, so ``get_params`` is unchanged by predict and ``clone`` of a used estimator equals a
  fresh one;
- ``set_params(pretrained=...)`` (or assigning it) after first use takes effect at the next call;
- ``__sklearn_is_fitted__`` for :func:`sklearn.utils.validation.check_is_fitted`;
- parameters to JSON and back (:func:`params_to_json`, :func:`params_from_json`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from pymatgen_ml_xrd.errors import InvalidParameterError, ModelFileError, NotFittedModelError
from pymatgen_ml_xrd.patterns.spec import _canonical

__all__ = ["PretrainedEstimator", "check_top_k", "params_from_json", "params_to_json", "pretrained_folder"]


def pretrained_folder() -> Path:
    """The folder of the shipped weights (``pymatgen_ml_xrd/pretrained``)."""
    return Path(str(files("pymatgen_ml_xrd") / "pretrained"))


def params_to_json(params: dict, skip: tuple[str, ...] = ("pretrained",)) -> dict:
    """Parameters as JSON values (tuples as lists), without ``skip``."""
    return {k: _canonical(v) for k, v in params.items() if k not in skip}


def params_from_json(params: dict) -> dict:
    """What :func:`params_to_json` wrote, lists back to tuples (one level deep)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def _same_pretrained(a, b) -> bool:
    """Whether two ``pretrained`` values name the same weights, for any values a user may set
    (set_params must not fail, scikit-learn checks it: an array compares element-wise)."""
    if a is b:
        return True
    if isinstance(a, (str, Path)) and isinstance(b, (str, Path)):
        return str(a) == str(b)
    return False


class PretrainedEstimator(BaseEstimator):
    """Base of the package's estimators; see the module docstring.

    Subclasses set ``_pretrained_files`` ({name: file stem}), ``_fitted_attributes`` (the state
    :meth:`load` returns, copied on lazy loading), ``_weights_params`` ({parameter: default for
    fit}) and implement ``load(path)``.
    """

    _pretrained_files: dict[str, str] = {}
    _fitted_attributes: tuple[str, ...] = ()
    _weights_params: dict[str, object] = {}
    _LOADED = "_loaded_pretrained"  # which `pretrained` value the current state came from

    # ------------------------------------------------------------------ lazy state
    def __getattr__(self, name: str):
        # called only when normal lookup fails; self.__dict__ never recurses into __getattr__
        state = self.__dict__
        if name in type(self)._fitted_attributes and state.get("pretrained") is not None:
            self._ensure_model()
            if name in state:
                return state[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _has_state(self) -> bool:
        return all(a in self.__dict__ for a in type(self)._fitted_attributes)

    def _ensure_model(self) -> None:
        """Load the ``pretrained`` weights unless the estimator holds fitted state already (or holds
        the state of another ``pretrained`` value, which is then replaced)."""
        state = self.__dict__
        loaded_from = state.get(self._LOADED)
        if self._has_state() and (self._LOADED not in state or _same_pretrained(loaded_from, self.pretrained)):
            what = f"pretrained={loaded_from!r}" if self._LOADED in state else "the fitted weights"
            self._check_against(state["params_"], what)  # a parameter changed after fit or loading
            return
        self._drop_state()
        if self.pretrained is None:
            raise NotFittedModelError(f"this {type(self).__name__} has no weights: call fit() or pass pretrained=")
        loaded = type(self).load(self.pretrained_path(self.pretrained))
        self._check_against(loaded.params_, f"pretrained={self.pretrained!r}")
        for name in type(self)._fitted_attributes:
            state[name] = loaded.__dict__[name]
        state[self._LOADED] = self.pretrained

    def _drop_state(self) -> None:
        for name in (*type(self)._fitted_attributes, self._LOADED):
            self.__dict__.pop(name, None)

    def _check_against(self, weights_params: dict, what: str) -> None:
        """Raise when a parameter the user set differs from what the weights were trained with."""
        for name in type(self)._weights_params:
            mine = getattr(self, name)
            if mine is not None and name in weights_params and _canonical(mine) != _canonical(weights_params[name]):
                raise InvalidParameterError(
                    f"{name}={mine!r} conflicts with {what}, whose weights were trained with "
                    f"{name}={weights_params[name]!r}; leave {name} unset (None) to use the weights' value, or pass "
                    "pretrained=None to train a new model"
                )

    def _stored_weights_params(self, meta: dict, path) -> dict:
        """The weights parameters a model file records (``weights_params``; files written before
        they were stored apart record them among the ``params``), defaults filled in.

        Raises:
            ModelFileError: a stored parameter contradicts them (a damaged or edited file).
        """
        stored = params_from_json(meta.get("weights_params", meta["params"]))
        weights = {name: stored[name] if stored.get(name) is not None else default
                   for name, default in type(self)._weights_params.items()}  # fmt: skip
        try:
            self._check_against(weights, "the weights")
        except InvalidParameterError as err:
            raise ModelFileError(f"{path} does not fit its metadata: {err}") from None
        return weights

    def _param(self, name: str):
        """The effective value of a weights parameter: the user's, else the weights' (fitted or
        shipped), else the fit default."""
        value = getattr(self, name)
        if value is not None:
            return value
        if "params_" not in self.__dict__ and self.__dict__.get("pretrained") is not None:
            self._ensure_model()
        fitted = self.__dict__.get("params_", {})
        return fitted[name] if fitted.get(name) is not None else type(self)._weights_params[name]

    def _fit_params(self) -> dict:
        """The weights parameters a new fit uses (the user's values, else the defaults); clears
        any loaded state first."""
        self._drop_state()
        return {name: (getattr(self, name) if getattr(self, name) is not None else default)
                for name, default in type(self)._weights_params.items()}  # fmt: skip

    def set_params(self, **params):
        """scikit-learn's set_params; a new ``pretrained`` replaces weights loaded from the old one."""
        if "pretrained" in params and not _same_pretrained(params["pretrained"], self.__dict__.get("pretrained")) \
                and self._LOADED in self.__dict__:
            self._drop_state()
        return super().set_params(**params)

    def __sklearn_is_fitted__(self) -> bool:
        if not self._has_state() and self.__dict__.get("pretrained") is not None:
            self._ensure_model()  # a name or path that does not load raises ModelFileError here
        return self._has_state()

    @classmethod
    def pretrained_path(cls, name: str) -> Path:
        """The path (without suffix) of shipped weights ``name``, or ``name`` itself as a path."""
        if not isinstance(name, (str, Path)):
            raise InvalidParameterError(f"pretrained must be a name ({', '.join(cls._pretrained_files)}), a path or "
                                        f"None, got {name!r}")  # fmt: skip
        if name in cls._pretrained_files:
            return pretrained_folder() / cls._pretrained_files[name]
        return Path(name)


def check_top_k(k, n_classes: int) -> int:
    """``k`` of a predict_top_k call as an int in [1, n_classes] (larger k gives every class).

    Raises:
        InvalidParameterError: not an integer, or below 1.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InvalidParameterError(f"k must be an integer >= 1, got {k!r}")
    return min(int(k), int(n_classes))
