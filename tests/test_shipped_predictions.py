"""The shipped models predict exactly what they predicted when tests/data/shipped_predictions.npz
was written (tests/make_shipped_predictions.py): a refactoring must not change any prediction.

Probabilities, reliabilities and patterns: rtol 1e-5, atol 1e-6; classes and predicted names:
exact. A failure here means the code changed a prediction; regenerate the reference only when the
shipped weights are deliberately retrained (see the script's docstring).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from make_shipped_predictions import MODELS, REFERENCE, build_inputs  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6
#: model -> (keys compared exactly, keys compared with RTOL/ATOL)
KEYS = {
    **{f"sg_{p}": ((f"sg_{p}_classes",), (f"sg_{p}_proba",))
       for p in ("default", "gaussian", "v2", "experimental", "pseudo_voigt")},
    "st": (("st_classes", "st_predict"), ("st_reliability",)),
    "c2x": ((), ("c2x_y", "c2x_x")),
}
CASES = [(m, k, exact) for m, (e, c) in KEYS.items() for exact, keys in ((True, e), (False, c)) for k in keys]


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def inputs(reference) -> list:
    items, names = build_inputs()
    assert names == list(reference["input_names"]), "the frozen inputs changed (see make_shipped_predictions.py)"
    return items


@pytest.fixture(scope="module")
def current(inputs):
    """Outputs per model, computed on first use: each model is loaded once, and a model that
    fails to load fails only its own tests."""
    cache: dict[str, dict[str, np.ndarray]] = {}

    def get(model: str) -> dict[str, np.ndarray]:
        if model not in cache:
            load, outputs = MODELS[model]
            cache[model] = outputs(load(), inputs)
        return cache[model]

    return get


def test_every_model_and_output_is_checked(reference):
    assert set(KEYS) == set(MODELS)
    assert {k for _, k, _ in CASES} == {k for k in reference if k not in ("input_names", "formulas", "provenance")}


@pytest.mark.parametrize(("model", "key", "exact"), CASES, ids=[k for _, k, _ in CASES])
def test_prediction_unchanged(reference, current, model, key, exact):
    now, ref = current(model)[key], reference[key]
    if exact:
        np.testing.assert_array_equal(now, ref, err_msg=_rows(reference, key, now))
        return
    assert now.dtype == np.float64
    assert now.shape == ref.shape
    np.testing.assert_allclose(now, ref, rtol=RTOL, atol=ATOL, err_msg=_rows(reference, key, now))


def _rows(reference, key: str, now: np.ndarray) -> str:
    """Which inputs differ (by name), to locate a change quickly."""
    ref = reference[key]
    names = list(reference["formulas"] if key.startswith("c2x") else reference["input_names"])
    if now.shape != ref.shape or now.ndim == 0 or key.endswith("_classes") or len(names) != len(ref):
        return f"{key}: shape {now.shape}, reference {ref.shape}"
    if now.dtype.kind in "fc":
        bad = ~np.isclose(now, ref, rtol=RTOL, atol=ATOL).reshape(len(ref), -1).all(axis=1)
    else:
        bad = now != ref
    return f"{key}: differing inputs {[str(n) for n, b in zip(names, bad) if b]}"
