"""RayStream: the same batches as LocalStream, produced by Ray actors.

``ray_address=None`` starts a local Ray (and shuts it down on close); an address such as
``"ray://head:10001"`` or ``"auto"`` joins an existing cluster, whose CPUs then generate. Each
actor owns a generator and a calculator and makes the batches the consumer asks for by index
(:func:`~pymatgen_ml_xrd.streams.local.batch_at`); the consumer keeps at most ``queue_size``
requests in flight per actor and reads them in turn, so the same seed gives the same batches as
LocalStream. An actor that dies is replaced and its batches are asked for again: the stream
goes on with the very batches of an undisturbed run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import numpy as np

from pymatgen_ml_xrd.errors import StreamWorkerError
from pymatgen_ml_xrd.streams.batches import BatchConfig, check_stream
from pymatgen_ml_xrd.streams.local import STARTUP_TIMEOUT_S

__all__ = ["RayStream"]


class _Producer:
    def __init__(self, config, seed, statistics_path):
        from pymatgen_ml_xrd.streams.local import _producer_state

        self.config = config
        self.seed = seed
        self.state = _producer_state(config, statistics_path)

    def batch(self, index: int):
        from pymatgen_ml_xrd.streams.local import batch_at

        return batch_at(self.config, self.state, self.seed, index)

    def pid(self) -> int:
        import os

        return os.getpid()


class RayStream:
    """Infinite iterator of (X, y) batches from Ray actors; see the module docstring.

    Args:
        config, seed, statistics_path: as for :class:`LocalStream`.
        n_workers: actors (one CPU each).
        ray_address: None (start a local Ray) or the address of a running cluster.
        queue_size: requests in flight per actor (bounds memory).
        start_batch: index of the first batch (as for LocalStream).
        stall_timeout: seconds to wait for one batch; an actor that delivers nothing in that time
            (stopped, deadlocked) is replaced as a dead one is. An actor's first batch, which
            includes its start, gets at least ``STARTUP_TIMEOUT_S`` (as for LocalStream).
    """

    def __init__(self, config: BatchConfig, seed: int | np.random.SeedSequence = 0, n_workers: int = 1,
                 statistics_path: str | None = None, ray_address: str | None = None, queue_size: int = 2,
                 start_batch: int = 0, stall_timeout: float = 600.0) -> None:
        check_stream(config, n_workers, min_workers=1, start_batch=start_batch, stall_timeout=stall_timeout)
        self.stall_timeout = float(stall_timeout)
        self.start_batch = int(start_batch)
        self.config = config
        self.n_workers = n_workers
        self.ray_address = ray_address
        self.queue_size = queue_size
        self._statistics_path = statistics_path
        self._seed = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self._actors: list = []
        self._pending: list[deque] = []  # (batch index, object ref) per actor
        self._requested: list[int] = []  # the next batch index to ask each actor for
        self._started_ray = False
        self._delivered: list[bool] = []  # per actor: has it delivered a batch yet
        self._next = 0
        self._replacements = 0
        self.batches_served = 0

    def _start(self) -> None:
        import ray

        if not ray.is_initialized():
            if self.ray_address is None:
                ray.init(num_cpus=self.n_workers, include_dashboard=False, log_to_driver=False,
                         ignore_reinit_error=True, _node_ip_address="127.0.0.1")  # stays on loopback
            else:
                ray.init(address=self.ray_address, log_to_driver=False, ignore_reinit_error=True)
            self._started_ray = True
        self._remote = ray.remote(num_cpus=1)(_Producer)
        for w in range(self.n_workers):
            self._actors.append(self._remote.remote(self.config, self._seed, self._statistics_path))
            self._pending.append(deque())
            self._requested.append(self.start_batch + w)
            self._delivered.append(False)

    def _fill(self, i: int) -> None:
        while len(self._pending[i]) < self.queue_size:
            index = self._requested[i]
            self._pending[i].append((index, self._actors[i].batch.remote(index)))
            self._requested[i] += self.n_workers

    def _replace(self, i: int) -> None:
        import ray

        try:
            ray.kill(self._actors[i])
        except Exception:  # noqa: BLE001 - already gone
            pass
        self._replacements += 1
        self._actors[i] = self._remote.remote(self.config, self._seed, self._statistics_path)
        self._delivered[i] = False
        if self._pending[i]:  # ask the new actor for the batches the dead one owed
            self._requested[i] = self._pending[i][0][0]
        self._pending[i].clear()

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        import ray
        from ray.exceptions import GetTimeoutError, RayActorError

        if not self._actors:
            self._start()
        i = self._next % self.n_workers
        for _ in range(3):
            self._fill(i)
            try:
                limit = self.stall_timeout if self._delivered[i] else max(self.stall_timeout, STARTUP_TIMEOUT_S)
                batch = ray.get(self._pending[i][0][1], timeout=limit)  # left queued until it arrived
                self._pending[i].popleft()
                self._delivered[i] = True
                break
            except (RayActorError, GetTimeoutError):  # dead, or alive and delivering nothing
                self._replace(i)
        else:
            raise StreamWorkerError(f"Ray stream worker {i} failed three times in a row")
        self._fill(i)
        self._next += 1
        self.batches_served += 1
        return batch

    @property
    def replacements(self) -> int:
        """Actors replaced after dying or stalling."""
        return self._replacements

    def actor_pids(self) -> list[int]:
        import ray

        return ray.get([a.pid.remote() for a in self._actors])

    def close(self) -> None:
        """Kill the actors, and shut Ray down if this stream started it."""
        if not self._actors and not self._started_ray:
            return
        import ray

        for actor in self._actors:
            try:
                ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors, self._pending, self._requested = [], [], []
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
        self._started_ray = False

    def __enter__(self) -> RayStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
