"""Streams and the SpaceGroupClassifier estimator (tiny configurations; accuracy is benchmarked)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from pymatgen.analysis.diffraction.xrd import XRDCalculator as PymatgenXRD
from sklearn.base import clone

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pymatgen_ml_xrd import SpaceGroupClassifier, SyntheticStructureGenerator, XRDCalculator  # noqa: E402
from pymatgen_ml_xrd.errors import InvalidParameterError  # noqa: E402
from pymatgen_ml_xrd.estimators.space_group import ModelFileError  # noqa: E402
from pymatgen_ml_xrd.streams import BatchConfig, LocalStream  # noqa: E402

GROUPS = (2, 14, 62, 194, 225)


def _config(batch=16):
    return BatchConfig.build(batch_size=batch, two_theta=(10.0, 70.0, 0.1), space_groups=GROUPS)


def test_stream_batches_are_deterministic_and_workers_stop():
    with LocalStream(_config(), seed=3, n_workers=0) as a:
        xa, ya = next(a)
        xa2, _ = next(a)
    with LocalStream(_config(), seed=3, n_workers=1) as b:
        xb, yb = next(b)
        xb2, _ = next(b)
        processes = list(b._processes)
    assert xa.shape == (16, 601) and xa.dtype == np.float32 and ya.dtype == np.int32
    assert set(ya.tolist()) <= set(range(len(GROUPS)))
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
    np.testing.assert_array_equal(xa2, xb2)
    assert np.allclose(xa.max(axis=1), 1.0) and xa.min() >= 0
    assert processes and not any(p.is_alive() for p in processes)


def test_stream_batch_i_is_the_same_wherever_the_stream_starts():
    """Batch i has its own seed: a stream started at batch 2 (a resumed training) gives the
    batches 2, 3 of an uninterrupted stream, with any number of workers."""
    with LocalStream(_config(), seed=4, n_workers=0) as full:
        batches = [next(full) for _ in range(4)]
    with LocalStream(_config(), seed=4, n_workers=2, start_batch=2) as resumed:
        later = [next(resumed) for _ in range(2)]
    for (x, y), (xr, yr) in zip(batches[2:], later):
        np.testing.assert_array_equal(x, xr)
        np.testing.assert_array_equal(y, yr)
    assert not np.array_equal(batches[0][0], batches[1][0])
    with pytest.raises(ValueError, match="start_batch"):
        LocalStream(_config(), seed=4, start_batch=-1)


_FAULT_SCRIPT = """
import os, signal, sys, time
from pymatgen_ml_xrd.errors import StreamWorkerError
from pymatgen_ml_xrd.streams import BatchConfig, LocalStream

if __name__ == "__main__":
    config = BatchConfig.build(batch_size=16, two_theta=(10.0, 70.0, 0.1), space_groups=(2, 14, 62, 194, 225))
    stream = LocalStream(config, seed=1, n_workers=1, queue_size=1, stall_timeout=8)
    next(stream)
    worker = stream._processes[0]
    folder = stream._folder
    os.kill(worker.pid, getattr(signal, sys.argv[1]))
    t0 = time.monotonic()
    try:
        for _ in range(10):  # the queued batch, then the fault
            next(stream)
        print("no error")
    except StreamWorkerError as err:
        print(f"error after {time.monotonic() - t0:.1f} s: {err}")
    print("worker alive:", worker.is_alive(), "folder left:", os.path.exists(folder))
"""


@pytest.mark.parametrize("sig, message", [("SIGKILL", "died (exit code -9)"), ("SIGSTOP", "delivered no batch in 8 s")])
def test_stream_worker_killed_or_frozen_is_reported_within_seconds(tmp_path, sig, message):
    """A worker killed mid-stream (an OOM kill) or stopped: next() raises StreamWorkerError
    within seconds instead of blocking for ever, and no worker or batch folder is left."""
    import re
    import subprocess
    import sys

    script = tmp_path / "fault.py"
    script.write_text(_FAULT_SCRIPT)
    run = subprocess.run([sys.executable, str(script), sig], capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    assert message in run.stdout, run.stdout + run.stderr[-2000:]
    seconds = float(re.search(r"error after ([0-9.]+) s", run.stdout).group(1))
    assert seconds < 30
    assert "worker alive: False folder left: False" in run.stdout


_ORPHAN_SCRIPT = """
import os, signal
from pymatgen_ml_xrd.streams import BatchConfig, LocalStream

if __name__ == "__main__":
    config = BatchConfig.build(batch_size=16, two_theta=(10.0, 70.0, 0.1), space_groups=(2, 14, 62, 194, 225))
    stream = LocalStream(config, seed=1, n_workers=1, queue_size=1)
    next(stream)
    print(stream._processes[0].pid, stream._folder, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the consumer dies without close()
"""


def test_stream_workers_of_a_killed_consumer_exit_and_remove_their_batches(tmp_path):
    """A training killed by SIGKILL (an OOM kill) cannot close its stream: its workers must not
    run on for ever, filling /dev/shm with batches nobody reads."""
    import subprocess
    import sys
    import time

    script = tmp_path / "orphan.py"
    script.write_text(_ORPHAN_SCRIPT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240)
    assert run.returncode == -9, run.stderr[-2000:]
    pid, folder = run.stdout.split()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (os.path.exists(f"/proc/{pid}") or os.path.exists(folder)):
        time.sleep(0.2)
    assert not os.path.exists(folder)
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read()


_UNGUARDED_SCRIPT = """
from pymatgen_ml_xrd.errors import StreamWorkerError
from pymatgen_ml_xrd.streams import BatchConfig, LocalStream

# no `if __name__ == "__main__":` guard: each spawned worker runs this again at its start
config = BatchConfig.build(batch_size=16, two_theta=(10.0, 70.0, 0.1), space_groups=(2, 14, 62, 194, 225))
try:
    next(LocalStream(config, seed=1, n_workers=1))
except StreamWorkerError as err:
    print("error:", err)
"""


def test_a_script_without_the_main_guard_is_told_why_its_worker_died(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(_UNGUARDED_SCRIPT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240)
    assert "error: stream worker 0 died (exit code 1)" in run.stdout, run.stdout + run.stderr[-2000:]
    assert 'if __name__ == "__main__":' in run.stdout and "n_workers=0" in run.stdout


def test_stream_stall_timeout_is_validated():
    for bad in (0, -1.0, float("nan"), True, "10"):
        with pytest.raises(ValueError, match="stall_timeout"):
            LocalStream(_config(), stall_timeout=bad)


def test_stream_needs_classes():
    with pytest.raises(ValueError, match="space_groups"):
        LocalStream(BatchConfig.build(), seed=0)


def test_stream_mixes_real_crystals(tmp_path):
    import pickle

    from pymatgen.core import Lattice, Structure

    from pymatgen_ml_xrd.streams.real_pool import load_real_pool, write_real_pool

    nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    rutile = Structure.from_spacegroup(136, Lattice.tetragonal(4.59, 2.96), ["Ti", "O"], [[0, 0, 0], [0.3, 0.3, 0]])
    pool = write_real_pool([nacl, rutile], [225, 136], tmp_path / "pool.pkl")
    arrays, groups = load_real_pool(pool, GROUPS)  # rutile's 136 is not a class: left out
    assert len(arrays) == 1 and list(groups) == [225]
    config = BatchConfig.build(batch_size=16, two_theta=(10.0, 70.0, 0.1), space_groups=GROUPS, real_pool=str(pool),
                         real_fraction=0.25)
    with LocalStream(config, seed=1, n_workers=0) as stream:
        x, y = next(stream)
    # the last quarter is NaCl: label 225 and the strongest peak at NaCl's (200) reflection
    assert (y[12:] == GROUPS.index(225)).all()
    grid = np.arange(10.0, 70.0 + 1e-9, 0.1)
    strongest = XRDCalculator("CuKa1").get_pattern(nacl, two_theta_range=(10, 70))
    top = strongest.x[np.argmax(strongest.y)]
    assert all(abs(grid[row.argmax()] - top) < 0.15 for row in x[12:])
    with pytest.raises(ValueError, match="needs a real_pool"):
        BatchConfig.build(space_groups=GROUPS, real_fraction=0.5)
    (tmp_path / "other.pkl").write_bytes(pickle.dumps({"format": "other"}))
    with pytest.raises(InvalidParameterError, match="not a real-crystal pool"):
        load_real_pool(tmp_path / "other.pkl", GROUPS)
    with pytest.raises(InvalidParameterError, match="go together"):
        SpaceGroupClassifier(pretrained=None, real_fraction=0.25).fit(n_patterns=16)
    with pytest.raises(InvalidParameterError, match="pass them as patterns in X"):
        SpaceGroupClassifier(pretrained=None).fit(np.ones((1, 601)), [225], real_data=([nacl], [225]))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    clf = SpaceGroupClassifier(pretrained=None, two_theta=(10.0, 70.0, 0.1), batch_size=16, n_workers=0,
                               space_groups=GROUPS, verbose=False)
    checkpoints = tmp_path_factory.mktemp("ckpt")
    clf.fit(n_patterns=32, checkpoint_dir=str(checkpoints), checkpoint_every=16)
    return clf, checkpoints


def test_sklearn_conventions(tiny):
    clf, _ = tiny
    params = clf.get_params()
    assert params["batch_size"] == 16 and params["space_groups"] == GROUPS
    fresh = clone(clf)
    assert not hasattr(fresh, "model_") and fresh.get_params() == params
    fresh.set_params(batch_size=8)
    assert fresh.batch_size == 8
    np.testing.assert_array_equal(clf.classes_, sorted(GROUPS))


def test_predict_api(tiny):
    clf, _ = tiny
    structures = SyntheticStructureGenerator(space_groups=[225, 62], seed=1).generate(3)
    proba = clf.predict_proba(structures)
    assert proba.shape == (3, len(GROUPS)) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(structures).tolist()) <= set(GROUPS)
    top = clf.predict_top_k(structures, k=3)
    assert top.shape == (3, 3) and (top[:, 0] == clf.predict(structures)).all()
    single = clf.predict(structures[0])
    assert single.shape == (1,)
    score = clf.score(structures, [s.properties["space_group"] for s in structures])
    assert 0.0 <= score <= 1.0


def test_inputs_on_other_grids_and_wavelengths(tiny):
    clf, _ = tiny
    s = SyntheticStructureGenerator(space_groups=[225], seed=4).generate(1)[0]
    on_grid = XRDCalculator("CuKa1").get_diffractogram(s, two_theta_range=(10, 70), step=0.1)
    mo = XRDCalculator("MoKa1").get_diffractogram(s, two_theta_range=(3, 40), step=0.005)
    fine = XRDCalculator("CuKa1").get_diffractogram(s, two_theta_range=(5, 90), step=0.01)
    logits = clf.decision_function([on_grid, mo, (fine.x, fine.y), fine.y[500:6501:10], s])
    # a Mo pattern converted through d-spacing carries the same information as the Cu one
    assert np.corrcoef(logits[0], logits[1])[0, 1] > 0.9
    assert np.corrcoef(logits[0], logits[2])[0, 1] > 0.99
    peaks = PymatgenXRD("CuKa1").get_pattern(s)
    assert clf.decision_function(peaks).shape == (1, len(GROUPS))


def test_a_clean_model_warns_about_inputs_with_a_background(tiny):
    """The tiny model removes no background: a measured scan (the shipped LiMnO2 lab scan) and a
    simulated pattern on a flat background are named; clean simulated patterns are not."""
    import warnings

    from pymatgen_ml_xrd.io import read_pattern

    clf, _ = tiny
    s = SyntheticStructureGenerator(space_groups=[225], seed=4).generate(1)[0]
    clean = XRDCalculator("CuKa1").get_diffractogram(s, two_theta_range=(10, 70), step=0.05)
    raised = (clean.x, clean.y + 0.02 * clean.y.max())
    scan = read_pattern(os.path.join(os.path.dirname(__file__), "data", "patterns", "LiMnO2.xy"), "CuKa")
    expected = r"pattern\(s\) 1, 2 have a background.*SpaceGroupClassifier\(\) \(the default"
    with pytest.warns(UserWarning, match=expected) as record:
        clf.predict([clean, raised, scan, s])
    assert any(w.filename == __file__ for w in record)  # points at the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict([clean, s, (clean.x, clean.y)])


def test_intensity_units_do_not_matter(tiny):
    """Intensities scaled by 1e39, 1e-300 or 1e300 (float32 would overflow or underflow them)
    give the probabilities of the pattern as it is."""
    clf, _ = tiny
    s = SyntheticStructureGenerator(space_groups=[225], seed=4).generate(1)[0]
    d = XRDCalculator("CuKa1").get_diffractogram(s, two_theta_range=(10, 70), step=0.1)
    reference = clf.predict_proba([(d.x, d.y)])
    for factor in (1e39, 1e-300, 1e300):
        proba = clf.predict_proba([(d.x, d.y * factor)])
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba, reference, atol=1e-5)


@pytest.mark.parametrize(
    "bad, message",
    [(np.zeros(601), "all zero"), (np.full(601, np.nan), "NaN"), (-np.ones(601), "negative"),
     (np.ones(500), "model grid of 601 points"), (([1, 2, 3], [1, 2]), "equal length"),
     (([3, 2, 1], [1, 2, 3]), "ascending"), (([80, 85, 89], [1, 2, 3]), "all zero")],
)
def test_bad_patterns(tiny, bad, message):
    clf, _ = tiny
    with pytest.raises(InvalidParameterError, match=message):
        clf.predict(bad)


def test_unsupported_input_type(tiny):
    with pytest.raises(TypeError, match="expected a Diffractogram"):
        tiny[0].predict(["NaCl"])


def test_save_load_and_resume(tiny, tmp_path):
    clf, checkpoints = tiny
    path = clf.save(tmp_path / "model")
    meta = json.loads(path.read_text())
    assert meta["classes"] == sorted(GROUPS) and meta["training"]["patterns_seen"] == 32
    loaded = SpaceGroupClassifier.load(tmp_path / "model")
    x = np.random.default_rng(0).random((2, 601))
    np.testing.assert_allclose(loaded.decision_function(x), clf.decision_function(x), rtol=1e-5)
    clf.save(tmp_path / "weights_only", include_optimizer=False)
    assert (tmp_path / "weights_only.keras").stat().st_size < (tmp_path / "model.keras").stat().st_size
    light = SpaceGroupClassifier.load(tmp_path / "weights_only")
    np.testing.assert_allclose(light.decision_function(x), clf.decision_function(x), rtol=1e-5)
    resumed = clone(clf).set_params(pretrained=None)
    resumed.fit(n_patterns=48, checkpoint_dir=str(checkpoints), checkpoint_every=16)
    assert resumed.metadata_["training"]["patterns_seen"] == 48
    # the resumed optimizer's cosine decay is stretched to the new planned total (48 patterns)
    assert resumed.model_.optimizer._learning_rate.decay_steps == 48 // resumed.batch_size


def test_compact_weights_file_round_trip_and_refusals(tiny, tmp_path):
    clf, _ = tiny
    path = clf.save_compact(tmp_path / "small")
    meta = json.loads(path.read_text())
    assert meta["weights_file"]["float16"] >= 1 and (tmp_path / "small.npz").is_file()
    assert not (tmp_path / "small.keras").exists()
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    loaded = SpaceGroupClassifier.load(tmp_path / "small")
    assert np.random.random() == expected  # loading rebuilds the network without reseeding the user's RNGs
    x = np.random.default_rng(0).random((8, 601))
    # float16 kernels: the logits move by a little, the ranking not at all here
    np.testing.assert_allclose(loaded.decision_function(x), clf.decision_function(x), atol=2e-2)
    assert (loaded.predict(x) == clf.predict(x)).all()
    assert list(loaded.classes_) == list(clf.classes_) and loaded.spec_ == clf.spec_
    with pytest.raises(ModelFileError, match="exists"):
        clf.save_compact(tmp_path / "small")
    data = bytearray((tmp_path / "small.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "small.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        SpaceGroupClassifier.load(tmp_path / "small")


def test_a_fit_resumes_from_a_compact_checkpoint_with_a_fresh_optimizer(tmp_path):
    def make():
        return SpaceGroupClassifier(pretrained=None, two_theta=(10.0, 70.0, 0.1), batch_size=16, n_workers=0,
                                    space_groups=GROUPS, verbose=False)

    folder = tmp_path / "run"
    first = make().fit(n_patterns=32, checkpoint_dir=str(folder), checkpoint_every=16, compact_checkpoint=True)
    assert (folder / "compact.npz").is_file() and (folder / "checkpoint.keras").is_file()
    for name in ("checkpoint.keras", "checkpoint.json"):  # another machine: only the committed compact file
        (folder / name).unlink()
    resumed = make().fit(n_patterns=64, checkpoint_dir=str(folder), checkpoint_every=16, compact_checkpoint=True)
    training = resumed.metadata_["training"]
    assert training["patterns_seen"] == 64 and training["optimizer_restarts"] == [32]
    # the optimizer counts its own steps (Adam's bias correction); the schedule goes on from step 2
    assert int(resumed.model_.optimizer.iterations) == 2
    assert resumed.model_.optimizer._learning_rate.offset == 32 // 16
    assert [h["patterns_seen"] for h in training["history"]] == [16, 32, 48, 64]
    assert first.metadata_["training"]["patterns_seen"] == 32
    # a full checkpoint written after the compact resume reloads with its schedule
    again = SpaceGroupClassifier.load(folder / "checkpoint")
    assert again.model_.optimizer._learning_rate.offset == 2
    with pytest.raises(InvalidParameterError, match="needs a checkpoint_dir"):
        make().fit(n_patterns=16, compact_checkpoint=True)


def _damaged_weights(keras_bytes: bytes) -> bytes:
    """The same .keras zip with one byte of its weights file flipped."""
    import io
    import zipfile

    src, out = zipfile.ZipFile(io.BytesIO(keras_bytes)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".h5"):
                data = data[:-200] + bytes([data[-200] ^ 0xFF]) + data[-199:]
            dst.writestr(item, data)
    return out.getvalue()


def test_save_never_replaces_a_model_unless_asked(tiny, tmp_path):
    clf, _ = tiny
    path = clf.save(tmp_path / "m")
    with pytest.raises(ModelFileError, match="exists: pass overwrite=True"):
        clf.save(tmp_path / "m.keras")
    before = path.read_text()
    assert clf.save(tmp_path / "m", overwrite=True) == path and "checksum" in json.loads(before)
    assert SpaceGroupClassifier.load(path).classes_.tolist() == clf.classes_.tolist()


def test_load_refuses_bad_files(tiny, tmp_path):
    clf, _ = tiny
    clf.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m.json").read_text())
    (tmp_path / "m.json").write_text(json.dumps({**meta, "format_version": 7}))
    with pytest.raises(ModelFileError, match="format version 7"):
        SpaceGroupClassifier.load(tmp_path / "m")
    (tmp_path / "m.json").write_text(json.dumps({**meta, "classes": [1, 2]}))
    with pytest.raises(ModelFileError, match="checksum"):  # an edited file
        SpaceGroupClassifier.load(tmp_path / "m")
    unchecked = {k: v for k, v in meta.items() if k != "checksum"}  # as files written before checksums
    for edit, message in ((dict(classes=[1, 2]), "does not fit its metadata"),
                          (dict(classes=meta["classes"][::-1]), "increasing space groups"),
                          (dict(classes=[0, *meta["classes"][1:]]), "increasing space groups"),
                          (dict(temperature=0.0), "temperature"), (dict(temperature=float("nan")), "temperature")):
        (tmp_path / "m.json").write_text(json.dumps({**unchecked, **edit}))
        with pytest.raises(ModelFileError, match=message):
            SpaceGroupClassifier.load(tmp_path / "m")
    (tmp_path / "m.json").write_text(json.dumps({**meta, "format": "other"}))
    with pytest.raises(ModelFileError, match="is not a"):
        SpaceGroupClassifier.load(tmp_path / "m")
    good = (tmp_path / "m.keras").read_bytes()
    (tmp_path / "m.json").write_text(json.dumps(meta))
    (tmp_path / "m.keras").write_bytes(_damaged_weights(good))  # a valid zip with one weight byte changed
    with pytest.raises(ModelFileError, match="checksum"):
        SpaceGroupClassifier.load(tmp_path / "m")
    (tmp_path / "m.json").write_text(json.dumps(unchecked))
    (tmp_path / "m.keras").write_bytes(b"not a zip file")
    with pytest.raises(ModelFileError, match="could not be read"):
        SpaceGroupClassifier.load(tmp_path / "m")
    with pytest.raises(ModelFileError, match="does not exist"):
        SpaceGroupClassifier.load(tmp_path / "nothing")


def test_untrained_without_pretrained_is_an_error():
    with pytest.raises(InvalidParameterError, match="no weights"):
        SpaceGroupClassifier(pretrained=None).predict(np.ones(2126))


def test_fit_on_given_patterns():
    gen = SyntheticStructureGenerator(space_groups=[225, 194], seed=9)
    structures = gen.generate(8)
    y = [s.properties["space_group"] for s in structures]
    clf = SpaceGroupClassifier(pretrained=None, two_theta=(10.0, 70.0, 0.1), batch_size=4, verbose=False)
    clf.fit(structures, y, epochs=1)
    assert list(clf.classes_) == sorted(set(y))
    assert clf.metadata_["training"]["source"] == "given patterns"
    with pytest.raises(InvalidParameterError, match="one space group per pattern"):
        clf.fit(structures, y[:3], epochs=1)
    for labels, item in (([0, *y[1:]], "item 0 is 0"), ([*y[:-1], 231], "item 7 is 231"),
                         (["Fm-3m", *y[1:]], "item 0 is 'Fm-3m'")):
        with pytest.raises(InvalidParameterError, match=f"space-group numbers 1-230: {item}"):
            clf.fit(structures, labels, epochs=1)


def test_calibration_sets_a_temperature(tiny):
    clf, _ = tiny
    structures = SyntheticStructureGenerator(space_groups=list(GROUPS), seed=2).generate(6)
    result = clf.calibrate(structures, [s.properties["space_group"] for s in structures])
    assert 0.05 <= clf.temperature_ <= 20 and not math.isnan(result["ece_after"])


def test_ray_backend():
    """One test for everything Ray, so that one Ray at a time starts (also under pytest-xdist)."""
    import signal

    import ray

    from pymatgen_ml_xrd.streams import RayStream

    # the same batches as the local stream; a killed actor is replaced; close() stops Ray
    n_after = 4  # batches read after the kill (some may have been computed before it)
    with LocalStream(_config(), seed=5, n_workers=0) as local:
        expected = [next(local) for _ in range(2 + n_after)]
    with RayStream(_config(), seed=5, n_workers=1) as stream:
        got = [next(stream) for _ in range(2)]
        os.kill(stream.actor_pids()[0], signal.SIGKILL)
        got += [next(stream) for _ in range(n_after)]
        assert stream.replacements == 1
    for (xa, ya), (xb, yb) in zip(expected, got):  # the replacement made the very batches owed
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not ray.is_initialized()

    # a frozen (stopped) actor is replaced after stall_timeout, with the batches it owed
    with RayStream(_config(), seed=5, n_workers=1, queue_size=1, stall_timeout=10) as stream:
        got = [next(stream) for _ in range(2)]
        os.kill(stream.actor_pids()[0], signal.SIGSTOP)
        got += [next(stream) for _ in range(n_after)]
        assert stream.replacements == 1
    for (xa, ya), (xb, yb) in zip(expected, got):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not ray.is_initialized()
    with pytest.raises(ValueError, match="stall_timeout"):
        RayStream(_config(), stall_timeout=0)

    # fit with backend="ray" leaves no Ray behind
    clf = SpaceGroupClassifier(pretrained=None, two_theta=(10.0, 70.0, 0.1), batch_size=16, n_workers=1,
                               backend="ray", space_groups=GROUPS, verbose=False)
    clf.fit(n_patterns=32)
    assert clf.metadata_["training"]["patterns_seen"] == 32
    assert not ray.is_initialized()
    with pytest.raises(InvalidParameterError, match="backend"):
        clone(clf).set_params(backend="spark").fit(n_patterns=16)


@pytest.mark.parametrize("architecture", ["compact", "resnet10", "resnet50", "parkcnn_medium", "parkcnn_big"])
def test_architectures_build(architecture):
    from pymatgen_ml_xrd.models import build_classifier

    model = build_classifier(2126, 94, architecture)
    assert model.input_shape == (None, 2126) and model.output_shape == (None, 94)
    out = model(np.zeros((1, 2126), dtype=np.float32))
    assert out.shape == (1, 94)


def test_unknown_architecture():
    with pytest.raises(InvalidParameterError, match="architecture"):
        SpaceGroupClassifier(pretrained=None, architecture="vgg").fit(n_patterns=16)


def test_space_group_featurizer_columns(tiny):
    import pandas as pd

    from pymatgen_ml_xrd.featurizers import SpaceGroupFeatures

    clf, _ = tiny
    structures = SyntheticStructureGenerator(space_groups=[225, 62], seed=6).generate(2)
    feat = SpaceGroupFeatures(k=2, classifier=clf)
    df = feat.featurize_dataframe(pd.DataFrame({"s": structures + ["not a pattern"]}), "s", ignore_errors=True,
                                  pbar=False)
    assert list(df.columns[1:]) == ["space_group_pred", "space_group_top1", "space_group_top2",
                                    "space_group_prob1", "space_group_prob2"]
    assert (df["space_group_pred"][:2] == clf.predict(structures)).all()
    assert (df["space_group_prob1"][:2] >= df["space_group_prob2"][:2]).all()
    assert df.iloc[2].drop("s").isna().all()  # bad entries follow matminer's ignore_errors


def test_cli_classify(tiny, tmp_path, capsys):
    from pathlib import Path

    from pymatgen_ml_xrd import cli

    clf, _ = tiny
    clf.save(tmp_path / "model")
    xrdml = Path(__file__).parent / "data" / "patterns" / "In2O3-MnCO3_2min.xrdml"
    png = tmp_path / "c.png"
    assert cli.main(["classify", str(xrdml), "--model", str(tmp_path / "model"), "--top", "3", "--json",
                     "--png", str(png), "--no-verify"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result[0]["top"]) == 3 and {t["space_group"] for t in result[0]["top"]} <= set(GROUPS)
    assert png.stat().st_size > 10_000
    assert cli.main(["classify", str(xrdml), "--model", str(tmp_path / "model"), "--no-verify"]) == 0
    assert "1." in capsys.readouterr().out


def test_resuming_a_finished_checkpoint_trains_nothing(tiny):
    clf, checkpoints = tiny
    again = clone(clf).set_params(pretrained=None)
    again.fit(n_patterns=16, checkpoint_dir=str(checkpoints))  # the checkpoint has seen more already
    assert again.metadata_["training"]["patterns_seen"] >= 32


def test_shipped_default_model_is_the_ensemble_of_its_recipe():
    """The default: all 230 groups, background removed before the model, the mean of the
    calibrated probabilities of v2 and experimental (recipe space-group-default-v2), so its
    probabilities at temperature 1 are exactly that mean."""
    from pymatgen_ml_xrd.estimators.space_group import _softmax
    from pymatgen_ml_xrd.examples import example_structures

    clf = SpaceGroupClassifier()
    structures = list(example_structures().values())
    top = clf.predict_top_k(structures, k=5)
    assert top.shape == (len(structures), 5) and set(top.ravel()) <= set(clf.classes_)
    assert list(clf.classes_) == list(range(1, 231)) and clf.spec_.background == "snip"
    assert clf.metadata_["recipe"]["name"] == "space-group-default-v2"
    assert clf.metadata_["training"]["command"] == "pmlxrd train --recipe space-group-default-v2"
    members = [SpaceGroupClassifier(pretrained="v2"), SpaceGroupClassifier(pretrained="experimental")]
    names = [m["name"] for m in clf.metadata_["ensemble"]["members"]]
    assert names == ["space-group-v2", "space-group-experimental-v1"]
    assert clf.metadata_["training"]["patterns_seen"] == sum(m.metadata_["training"]["patterns_seen"] for m in members)
    mean = np.zeros((len(structures), 230))
    for m in members:
        mean[:, m.classes_ - 1] += m.predict_proba(structures) / 2
    at_one = _softmax(clf.decision_function(structures))
    np.testing.assert_allclose(at_one, mean, atol=2e-5)
    assert 0.05 < clf.temperature_ < 20


def test_the_gaussian_model_is_the_former_default():
    clf = SpaceGroupClassifier(pretrained="gaussian")
    training = clf.metadata_["training"]
    assert training["patterns_seen"] > 1_000_000 and "train_space_group.py" in training["command"]
    assert len(clf.classes_) >= 90 and clf.spec_.background == "none" and clf.spec_.profile == "gaussian"


def test_shipped_v2_model():
    clf = SpaceGroupClassifier(pretrained="v2")
    assert list(clf.classes_) == list(range(1, 231)) and clf.metadata_["recipe"]["name"] == "space-group-v2"
    assert clf.spec_.background == "snip" and clf.spec_.effects_fraction == 0.5
    assert clf.metadata_["training"]["patterns_seen"] >= 1_600_000


def test_measured_mode_removes_the_background(tiny, tmp_path):
    clf, _ = tiny
    clf.save(tmp_path / "m")
    with pytest.raises(InvalidParameterError, match="background='snip' conflicts with the fitted weights"):
        SpaceGroupClassifier.load(tmp_path / "m").set_params(background="snip").predict(np.ones(601))
    measured = SpaceGroupClassifier.load(tmp_path / "m")
    measured.spec_ = measured.spec_.replace(background="snip")  # the same weights behind a measured-scan spec
    s = SyntheticStructureGenerator(space_groups=[225], seed=4).generate(1)[0]
    pure = XRDCalculator("CuKa1").get_diffractogram(s, two_theta_range=(10, 70), step=0.1)
    x = pure.x
    scan = (x, pure.y + 0.3 * np.exp(-0.5 * ((x - 25) / 8) ** 2) + 0.2 - 0.25)  # a hump, an offset, some y < 0
    with pytest.raises(InvalidParameterError, match="negative"):
        clf.predict([scan])  # the pure model refuses what it cannot read
    rows = measured._rows([scan, pure])
    # after the square root a background floor weighs heavily (r = 0.44 here without removal)
    raw = clf._rows([(x, pure.y + 0.3 * np.exp(-0.5 * ((x - 25) / 8) ** 2) + 0.2)])
    assert np.corrcoef(raw[0], rows[1])[0, 1] < 0.6
    assert np.corrcoef(rows[0], rows[1])[0, 1] > 0.8  # background removed: the scan looks like the pure pattern
    assert measured.predict([scan]).shape == (1,)
    with pytest.raises(InvalidParameterError, match="empty after background removal"):
        measured.predict(np.full(601, 3.0))
    with pytest.raises(InvalidParameterError, match="background must be one of"):
        clone(clf).set_params(pretrained=None, background="poly").fit(n_patterns=16)


def test_init_from_starts_from_saved_weights(tiny, tmp_path, monkeypatch):
    clf, _ = tiny
    clf.save(tmp_path / "start")
    tuned = clone(clf).set_params(pretrained=None, learning_rate=1e-12, weight_decay=0.0, profile="pseudo-voigt",
                                  effects={"peak_counts": (1e3, 1e4)}, background="snip")  # fmt: skip
    tuned.fit(n_patterns=16, init_from=str(tmp_path / "start"))
    x = np.random.default_rng(0).random((2, 601)) + 0.1
    np.testing.assert_allclose(tuned.model_.predict(x, verbose=0), clf.model_.predict(x, verbose=0), rtol=1e-4)
    assert "initialised from" in tuned.metadata_["training"]["source"]
    # resuming the fine-tune keeps its provenance and records every run's command
    ckpt = tmp_path / "ckpt"
    first = clone(tuned).set_params(pretrained=None)
    monkeypatch.setattr("sys.argv", ["train.py", "--first"])
    first.fit(n_patterns=16, init_from=str(tmp_path / "start"), checkpoint_dir=str(ckpt))
    monkeypatch.setattr("sys.argv", ["train.py", "--more"])
    more = clone(first).set_params(pretrained=None)
    more.fit(n_patterns=32, checkpoint_dir=str(ckpt))
    training = more.metadata_["training"]
    assert training["patterns_seen"] == 32 and "initialised from" in training["source"]
    assert training["source"] == first.metadata_["training"]["source"]  # same data: nothing appended
    assert training["commands"] == ["train.py --first", "train.py --more"]
    assert training["command"] == "train.py --more"
    tuned.save(tmp_path / "tuned")
    again = SpaceGroupClassifier.load(tmp_path / "tuned")
    assert again.spec_.background == "snip" and list(again.spec_.effects["peak_counts"]) == [1e3, 1e4]
    assert again.background == "snip"  # a loaded file's parameters are the ones it was saved with
    with pytest.raises(InvalidParameterError, match="has architecture 'compact', this fit 'tiny'"):
        clone(clf).set_params(pretrained=None, architecture="tiny").fit(n_patterns=16, init_from=str(tmp_path / "start"))
    with pytest.raises(InvalidParameterError, match="init_from"):
        clone(clf).set_params(pretrained=None).fit(np.ones((2, 601)), [2, 225], init_from=str(tmp_path / "start"))


def test_init_from_other_classes_keeps_the_shared_output_units(tiny, tmp_path):
    clf, _ = tiny
    clf.save(tmp_path / "start")
    more = clone(clf).set_params(pretrained=None, space_groups=(2, 14, 136, 225), learning_rate=1e-12,
                                 weight_decay=0.0)  # fmt: skip
    more.fit(n_patterns=16, init_from=str(tmp_path / "start"))
    old_k, old_b = clf.model_.get_layer("logits").get_weights()
    new_k, new_b = more.model_.get_layer("logits").get_weights()
    old_col = {g: i for i, g in enumerate(clf.classes_)}
    for j, g in enumerate(more.classes_):
        if g in old_col:  # 2, 14, 225: copied; 136 is new
            np.testing.assert_allclose(new_k[:, j], old_k[:, old_col[g]], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(more.model_.get_layer("stem_conv").get_weights()[0],
                               clf.model_.get_layer("stem_conv").get_weights()[0], rtol=1e-4, atol=1e-7)
    assert "output units of 3 of 4 classes" in more.metadata_["training"]["source"]
    with pytest.raises(InvalidParameterError, match="shares no class"):
        clone(clf).set_params(pretrained=None, space_groups=(136, 139)).fit(n_patterns=16,
                                                                           init_from=str(tmp_path / "start"))


def test_all_230_groups_and_mixed_effects_stream():
    """space_groups="all" trains every group (thin ones from pooled statistics); effects_fraction
    leaves a share of the patterns clean."""
    from pymatgen_ml_xrd.patterns import PatternSpec
    from pymatgen_ml_xrd.streams.local import _producer_state, batch_at

    effects = {"additive_noise": (0.2, 0.2)}
    config = BatchConfig.build(batch_size=32, two_theta=(10.0, 70.0, 0.1), space_groups=tuple(range(1, 231)),
                               coverage="all", effects=effects, effects_fraction=0.5)
    x, y = batch_at(config, _producer_state(config, None), np.random.SeedSequence(0), 0)
    assert x.shape == (32, 601) and y.max() < 230
    clean_config = BatchConfig.build(batch_size=32, two_theta=(10.0, 70.0, 0.1), space_groups=tuple(range(1, 231)),
                                     coverage="all")
    x0, y0 = batch_at(clean_config, _producer_state(clean_config, None), np.random.SeedSequence(0), 0)
    np.testing.assert_array_equal(y, y0)  # the same crystals; the effects act after rendering
    same = np.all(np.isclose(x, x0, atol=1e-6), axis=1)
    assert 4 <= same.sum() <= 28  # about half stay clean (binomial, 32 draws)
    with pytest.raises(InvalidParameterError, match="effects_fraction"):
        PatternSpec(effects=effects, effects_fraction=1.5)
    with pytest.raises(InvalidParameterError, match="coverage"):
        BatchConfig.build(space_groups=(2,), coverage="some")


def test_shipped_experimental_model(tmp_path, capsys):
    from pathlib import Path

    from pymatgen_ml_xrd import cli
    from pymatgen_ml_xrd.io import read_pattern

    clf = SpaceGroupClassifier(pretrained="experimental")
    scan = read_pattern(Path(__file__).parent / "data" / "patterns" / "LiMnO2.xy")
    top = clf.predict_top_k([scan], k=5)
    assert top.shape == (1, 5) and set(top.ravel()) <= set(clf.classes_)
    assert clf.spec_.background == "snip" and clf.spec_.effects is not None and clf.spec_.profile == "pseudo-voigt"
    assert clf.background is None  # loading the weights never rewrites a parameter
    training = clf.metadata_["training"]
    assert "initialised from" in training["source"] and "--experimental" in training["command"]
    # the command line picks the default model for a measured scan, the gaussian one for structures
    path = Path(__file__).parent / "data" / "patterns" / "LiMnO2.xy"
    assert cli.main(["classify", str(path), "--json", "--no-verify"]) == 0
    listed = json.loads(capsys.readouterr().out)[0]["top"]
    expected = SpaceGroupClassifier().predict_proba([scan])[0]
    assert listed[0]["probability"] == pytest.approx(float(expected.max()), rel=1e-5)
    assert cli.main(["classify", str(path), "--model", "experimental", "--json", "--no-verify"]) == 0
    listed = json.loads(capsys.readouterr().out)[0]["top"]
    assert listed[0]["probability"] == pytest.approx(float(clf.predict_proba([scan])[0].max()), rel=1e-5)


def test_shipped_pseudo_voigt_model():
    """pretrained="pseudo-voigt": same classes and grid as the gaussian model, trained on pseudo-Voigt
    peaks without effects or background removal, initialised from the gaussian model."""
    from pymatgen_ml_xrd.examples import example_structures

    default, pv = SpaceGroupClassifier(pretrained="gaussian"), SpaceGroupClassifier(pretrained="pseudo-voigt")
    # shipped weights load on first access to a fitted attribute; without weights there is none
    assert "model_" not in vars(default) and len(default.classes_) > 90 and "model_" in vars(default)
    assert not hasattr(SpaceGroupClassifier(pretrained=None), "classes_")
    structure = next(iter(example_structures().values()))
    dg = XRDCalculator().get_diffractogram(structure, step=0.02, profile="pseudo-voigt", eta=0.8)
    assert pv.predict_proba([dg]).shape == (1, len(default.classes_))
    assert list(pv.classes_) == list(default.classes_) and pv.spec_.two_theta == default.spec_.two_theta
    assert pv.spec_.profile == "pseudo-voigt" and pv.spec_.effects is None and pv.spec_.background == "none"
    training = pv.metadata_["training"]
    assert "initialised from" in training["source"] and all("--profile pseudo-voigt" in c for c in training["commands"])


def test_resumed_source_keeps_the_record_of_earlier_runs():
    from pymatgen_ml_xrd.estimators.space_group import _resumed_source

    tuned = "synthetic stream, initialised from ckpt (100 patterns)"
    assert _resumed_source(tuned, "synthetic stream", 64) == tuned  # same data: nothing to add
    mixed = _resumed_source("synthetic stream", "synthetic stream + 25% real", 1_000)
    assert mixed == "synthetic stream; resumed at 1,000 patterns with synthetic stream + 25% real"
    assert _resumed_source(mixed, "synthetic stream + 25% real", 2_000) == mixed
    assert _resumed_source("", "synthetic stream", 0) == "synthetic stream"


def test_resuming_a_checkpoint_with_another_pattern_spec_is_refused(tiny):
    clf, checkpoints = tiny
    other = clone(clf).set_params(pretrained=None, profile="pseudo-voigt")  # the checkpoint is Gaussian
    with pytest.raises(InvalidParameterError, match=r"checkpoint .* another PatternSpec \(profile: 'gaussian'"):
        other.fit(n_patterns=64, checkpoint_dir=str(checkpoints))
    with pytest.raises(InvalidParameterError, match="another PatternSpec"):
        clone(clf).set_params(pretrained=None, two_theta=(10.0, 70.0, 0.05)).fit(
            n_patterns=16, init_from=str(checkpoints / "checkpoint"))


def test_training_batches_and_predict_share_the_pattern_pipeline():
    """A stream row is exactly what predict makes of the same simulated pattern (one pipeline)."""
    from pymatgen_ml_xrd.patterns import PatternSpec, model_input, model_rows
    from pymatgen_ml_xrd.patterns.rendering import render_batch

    spec = PatternSpec(two_theta=(10.0, 70.0, 0.1), background="snip")
    gen = SyntheticStructureGenerator(space_groups=list(GROUPS), seed=5)
    arrays = [c.to_crystal_arrays() for c in gen.generate_arrays(3)]
    raw = render_batch(spec, arrays, XRDCalculator("CuKa1"), np.random.default_rng(0))
    trained_on = model_input(raw, spec)
    predicted_on = model_rows(raw.astype(np.float64), spec)
    np.testing.assert_allclose(trained_on, predicted_on, rtol=1e-6, atol=1e-7)
    config = BatchConfig.build(batch_size=4, two_theta=(10.0, 70.0, 0.1), background="snip", space_groups=GROUPS)
    assert config.spec == spec and BatchConfig(spec=spec, batch_size=4, space_groups=GROUPS) == config
    with pytest.raises(InvalidParameterError, match="unknown BatchConfig options"):
        BatchConfig.build(space_groups=GROUPS, grid=(1, 2, 3))
