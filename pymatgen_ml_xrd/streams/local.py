"""LocalStream: the embedded stream back-end (worker processes, no Ray needed).

Batch i of a stream is drawn from its own seed, the stream's SeedSequence with spawn key i
(:func:`batch_at`): the same seed gives the same batches whatever the timing, the number of
workers or the back-end, and a stream started at batch i (``start_batch``, a resumed training)
continues exactly where an uninterrupted one would be. Each worker process owns a generator and
a calculator; batch i comes from worker i mod n_workers and the consumer reads the workers'
queues in turn. ``n_workers=0`` produces in the calling process.

Faults. A worker writes each batch to a file of the stream's folder (in ``/dev/shm`` where the
machine has it: memory, not disk), renames it into place when complete and only then puts its
number, a message of a few bytes, on its queue. A worker killed mid-batch (an OOM kill) thus
leaves no half-written message in a pipe for the consumer to block on: every receive has a
timeout, a dead worker is reported within seconds (:class:`StreamWorkerError`, its exit code),
and so is one that is alive but produces nothing for ``stall_timeout`` seconds (stopped,
deadlocked). The workers are stopped and the folder removed in either case. A consumer killed
without closing the stream (SIGKILL, an OOM kill of the training) leaves orphans: each worker
notices within ``_POLL_S`` seconds of its next batch that its parent is gone, removes the folder
and exits.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_module
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pymatgen_ml_xrd.errors import StreamWorkerError
from pymatgen_ml_xrd.streams.batches import BatchConfig, check_stream, make_batch

__all__ = ["LocalStream", "batch_at"]

_POLL_S = 0.2
#: seconds a worker may take for its first batch (its start: spawn, imports, numba) whatever the
#: stall timeout
STARTUP_TIMEOUT_S = 600.0
# a worker that fails at its start with a Python error: most often a script that trains at import
_START_HINT = (". It failed before its first batch (its error is printed above). Workers are spawned and "
               "import the main module first: a script must start training under "
               "`if __name__ == \"__main__\":`, or use n_workers=0")


def _producer_state(config: BatchConfig, statistics_path: str | None):
    """(generator, calculator, real pool) of one producer; :func:`batch_at` seeds them per batch."""
    from pymatgen_ml_xrd.diffraction import XRDCalculator
    from pymatgen_ml_xrd.generation import GeneratorStatistics, SyntheticStructureGenerator

    stats = GeneratorStatistics.load(statistics_path) if statistics_path else GeneratorStatistics.default()
    generator = SyntheticStructureGenerator(stats, space_groups=list(config.space_groups), seed=0,
                                            coverage=config.coverage)
    pool = None
    if config.real_fraction > 0:
        from pymatgen_ml_xrd.streams.real_pool import load_real_pool

        pool = load_real_pool(config.real_pool, config.space_groups)
    return generator, XRDCalculator(config.spec.wavelength), pool


def batch_at(config: BatchConfig, state, root: np.random.SeedSequence, index: int):
    """Batch ``index`` of the stream seeded by ``root``, made with a producer ``state``
    (:func:`_producer_state`): the same arrays whichever process makes it, and whenever."""
    generator, calculator, pool = state
    gen_seed, batch_seed = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, int(index))).spawn(2)
    generator.rng = np.random.default_rng(gen_seed)
    return make_batch(config, generator, calculator, np.random.default_rng(batch_seed), pool)


def _batch_path(folder: str, index: int) -> Path:
    return Path(folder) / f"batch-{index}.npy"


def _worker(config, root, statistics_path, out_queue, stop_event, first: int, step: int, folder: str,
            consumer: int) -> None:
    state = _producer_state(config, statistics_path)
    index = first
    while not stop_event.is_set():
        if os.getppid() != consumer:  # the consumer was killed (no close()): nobody reads, nobody cleans up
            shutil.rmtree(folder, ignore_errors=True)
            return
        x, y = batch_at(config, state, root, index)
        final = _batch_path(folder, index)
        partial = final.with_suffix(".partial")
        try:
            with open(partial, "wb") as fh:
                np.save(fh, x)
                np.save(fh, y)
            os.replace(partial, final)  # complete before it is announced
        except FileNotFoundError:
            return  # the folder is gone: the stream was closed, or an orphaned sibling removed it
        while not stop_event.is_set():
            try:
                out_queue.put(index, timeout=_POLL_S)  # a few bytes: one atomic write to the pipe
                break
            except queue_module.Full:
                if os.getppid() != consumer:
                    break
        index += step


class LocalStream:
    """Infinite iterator of (X, y) batches of synthetic diffractograms.

    Args:
        config: the batch layout (classes, grid, sizes, preprocessing).
        seed: int or SeedSequence; the same seed gives the same batches.
        n_workers: producer processes (0: produce in this process).
        statistics_path: GeneratorStatistics file (default: the shipped statistics).
        queue_size: batches buffered per worker.
        start_batch: index of the first batch (a resumed training starts at the batches it had seen).
        stall_timeout: seconds a live worker may go without delivering a batch before the stream
            gives up on it; its first batch, which includes its start (imports, numba), gets at
            least ``STARTUP_TIMEOUT_S``.

    Use as a context manager (or call :meth:`close`) so that no worker outlives it.
    """

    def __init__(self, config: BatchConfig, seed: int | np.random.SeedSequence = 0, n_workers: int = 1,
                 statistics_path: str | None = None, queue_size: int = 4, start_batch: int = 0,
                 stall_timeout: float = 600.0) -> None:
        check_stream(config, n_workers, min_workers=0, start_batch=start_batch, stall_timeout=stall_timeout)
        self.stall_timeout = float(stall_timeout)
        self._folder: str | None = None  # the batch files of the workers (see the module docstring)
        self._delivered: list[bool] = []  # per worker: has it delivered a batch yet
        self.start_batch = int(start_batch)
        self.config = config
        self.n_workers = n_workers
        self._seed = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self._statistics_path = statistics_path
        self._queue_size = queue_size
        self._processes: list = []
        self._queues: list = []
        self._stop = None
        self._next = 0
        self._local = None
        self.batches_served = 0

    def _start(self) -> None:
        if self.n_workers == 0:
            self._local = _producer_state(self.config, self._statistics_path)
            return
        ctx = mp.get_context("spawn")  # no fork of a process that may hold TensorFlow threads
        self._stop = ctx.Event()
        shm = Path("/dev/shm")
        self._folder = tempfile.mkdtemp(prefix="pmlxrd-stream-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None)
        for w in range(self.n_workers):
            q = ctx.Queue(self._queue_size)
            p = ctx.Process(target=_worker, args=(self.config, self._seed, self._statistics_path, q, self._stop,
                                                  self.start_batch + w, self.n_workers, self._folder, os.getpid()),
                            daemon=True)  # fmt: skip
            p.start()
            self._queues.append(q)
            self._processes.append(p)
        self._delivered = [False] * self.n_workers

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        if self._local is None and not self._processes:
            self._start()
        if self._local is not None:
            batch = batch_at(self.config, self._local, self._seed, self.start_batch + self.batches_served)
        else:
            i = self._next % self.n_workers
            waited = time.monotonic()
            limit = self.stall_timeout if self._delivered[i] else max(self.stall_timeout, STARTUP_TIMEOUT_S)
            while True:
                try:
                    index = self._queues[i].get(timeout=min(5.0, self.stall_timeout))
                    break
                except queue_module.Empty:
                    if not self._processes[i].is_alive():
                        code = self._processes[i].exitcode
                        first = not self._delivered[i]
                        self.close()
                        raise StreamWorkerError(f"stream worker {i} died (exit code {code}); the stream is closed"
                                                + (_START_HINT if first and code == 1 else "")) from None  # fmt: skip
                    if time.monotonic() - waited > limit:
                        self.close()
                        raise StreamWorkerError(f"stream worker {i} is alive but delivered no batch in "
                                                f"{limit:g} s (stopped or stuck); the stream is closed") from None  # fmt: skip
            path = _batch_path(self._folder, index)
            with open(path, "rb") as fh:
                batch = (np.load(fh), np.load(fh))
            path.unlink()
            self._delivered[i] = True
            self._next += 1
        self.batches_served += 1
        return batch

    def as_tf_dataset(self):
        """A ``tf.data.Dataset`` over this stream (for ``keras.Model.fit``)."""
        from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow

        tf = import_tensorflow()

        n_points = self.config.spec.n_points
        return tf.data.Dataset.from_generator(
            lambda: self,
            output_signature=(
                tf.TensorSpec((None, n_points), tf.float32),
                tf.TensorSpec((None,), tf.int32),
            ),
        )

    def close(self) -> None:
        """Stop and join the workers."""
        if self._stop is not None:
            self._stop.set()
        for p in self._processes:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
            if p.is_alive():  # a stopped process does not act on SIGTERM
                p.kill()
                p.join(timeout=5)
        for q in self._queues:
            q.close()
            q.cancel_join_thread()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._processes, self._queues, self._local, self._folder = [], [], None, None

    def __enter__(self) -> LocalStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
