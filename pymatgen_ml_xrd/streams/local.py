"""LocalStream: the embedded stream back-end (worker processes, no Ray needed).

Batch i of a stream is drawn from its own seed, the stream's SeedSequence with spawn key i
(:func:`batch_at`): the same seed gives the same batches whatever the timing, the number of
workers or the back-end, and a stream started at batch i (``start_batch``, a resumed training)
continues exactly where an uninterrupted one would be. Each worker process owns a generator and
a calculator; batch i comes from worker i mod n_workers and the consumer reads the workers'
queues in turn. ``n_workers=0`` produces in the calling process.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_module
from collections.abc import Iterator

import numpy as np

from pymatgen_ml_xrd.errors import StreamWorkerError
from pymatgen_ml_xrd.streams.batches import BatchConfig, check_stream, make_batch

__all__ = ["LocalStream", "batch_at"]

_POLL_S = 0.2


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


def _worker(config, root, statistics_path, out_queue, stop_event, first: int, step: int) -> None:
    state = _producer_state(config, statistics_path)
    index = first
    while not stop_event.is_set():
        batch = batch_at(config, state, root, index)
        index += step
        while not stop_event.is_set():
            try:
                out_queue.put(batch, timeout=_POLL_S)
                break
            except queue_module.Full:
                continue


class LocalStream:
    """Infinite iterator of (X, y) batches of synthetic diffractograms.

    Args:
        config: the batch layout (classes, grid, sizes, preprocessing).
        seed: int or SeedSequence; the same seed gives the same batches.
        n_workers: producer processes (0: produce in this process).
        statistics_path: GeneratorStatistics file (default: the shipped statistics).
        queue_size: batches buffered per worker.
        start_batch: index of the first batch (a resumed training starts at the batches it had seen).

    Use as a context manager (or call :meth:`close`) so that no worker outlives it.
    """

    def __init__(self, config: BatchConfig, seed: int | np.random.SeedSequence = 0, n_workers: int = 1,
                 statistics_path: str | None = None, queue_size: int = 4, start_batch: int = 0) -> None:
        check_stream(config, n_workers, min_workers=0, start_batch=start_batch)
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
        for w in range(self.n_workers):
            q = ctx.Queue(self._queue_size)
            p = ctx.Process(target=_worker, args=(self.config, self._seed, self._statistics_path, q, self._stop,
                                                  self.start_batch + w, self.n_workers), daemon=True)
            p.start()
            self._queues.append(q)
            self._processes.append(p)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        if self._local is None and not self._processes:
            self._start()
        if self._local is not None:
            batch = batch_at(self.config, self._local, self._seed, self.start_batch + self.batches_served)
        else:
            i = self._next % self.n_workers
            while True:
                try:
                    batch = self._queues[i].get(timeout=5.0)
                    break
                except queue_module.Empty:
                    if not self._processes[i].is_alive():
                        raise StreamWorkerError(f"stream worker {i} died (exit code {self._processes[i].exitcode})") from None
            self._next += 1
        self.batches_served += 1
        return batch

    def as_tf_dataset(self):
        """A ``tf.data.Dataset`` over this stream (for ``keras.Model.fit``)."""
        from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow
        import_tensorflow()  # loaded quietly once; then the import below is a lookup
        import tensorflow as tf

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
        for q in self._queues:
            q.close()
            q.cancel_join_thread()
        self._processes, self._queues, self._local = [], [], None

    def __enter__(self) -> LocalStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
