"""Execution on Ray: one backend per actor, a bounded number of units in flight, retries after actor deaths.

This is the only module that imports ray. Backends know nothing of it: an actor builds its backend from a
`BackendSpec` once and then answers `interpolate` calls.
"""

from __future__ import annotations

import math
import os
import threading
import uuid
from typing import Iterable, Iterator

import numpy as np
import ray
from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

from ..backends.base import BackendSpec
from ..backends.registry import build_backend
from ..errors import BackendError, SettingsError, ToonbatchError
from .base import ClosingExecutor, InFlightWindow, RunStats, WorkUnit, default_max_in_flight

ACTOR_NAME_PREFIX = "toonbatch-backend"
# A worker that died takes its queued calls with it; these errors mean "run the unit elsewhere".
_WORKER_LOST = (RayActorError, WorkerCrashedError)


class _BackendActor:
    """Holds one backend for the life of the actor."""

    def __init__(self, spec: BackendSpec):
        # A user error (missing weights, no GPU) is kept and raised by `ready`, so the driver can show its message
        # instead of an actor death.
        self._backend = self._error = None
        try:
            self._backend = build_backend(spec)
        except ToonbatchError as error:
            self._error = error

    def ready(self) -> None:
        if self._error is not None:
            raise self._error

    def interpolate(self, unit: WorkUnit) -> list[list[np.ndarray]]:
        return self._backend.interpolate(unit.pairs, unit.times)


class RayExecutor(ClosingExecutor):
    """Runs units on `num_actors` Ray actors; joins the cluster at `address`, or uses/starts a local Ray.

    Each unit is `ray.put` once, so a retry after an actor death resends a reference, not the frames. Actors are
    named `toonbatch-backend-<run>-<n>` so operators (and tests) can find them.
    """

    def __init__(self, spec: BackendSpec, num_actors: int = 1, address: str | None = None,
                 cpus_per_actor: float = 1, gpus_per_actor: float | None = None, max_in_flight: int | None = None,
                 max_retries: int = 3, object_store_memory: int | None = None, needs_gpu: bool = False):
        if num_actors < 1:
            raise SettingsError(f"the Ray executor needs at least 1 actor, got {num_actors}")
        self.max_in_flight = max_in_flight or default_max_in_flight(num_actors)
        self._window = InFlightWindow(self.max_in_flight)
        self.max_retries = max_retries
        self.retried_units = 0
        self._started_ray = connect(address, num_actors * cpus_per_actor, object_store_memory)
        gpus = (1 if needs_gpu else 0) if gpus_per_actor is None else gpus_per_actor
        self._actor_class = ray.remote(num_cpus=cpus_per_actor, num_gpus=gpus, max_restarts=0)(_BackendActor)
        self._spec = spec
        self._run_id = uuid.uuid4().hex[:8]
        self._lock = threading.RLock()  # `run` may be called from several threads at once
        self._created = 0
        self._load = {self._new_actor(): 0 for _ in range(num_actors)}  # actor -> units it holds
        try:
            _get_unwrapped([actor.ready.remote() for actor in self._load])
        except BaseException:
            self.close()
            raise

    def run(self, units: Iterable[WorkUnit], stats: RunStats | None = None) -> Iterator[list[list[np.ndarray]]]:
        stats = stats or RunStats()
        pending: dict[ray.ObjectRef, int] = {}  # result ref -> unit number
        placed: dict[int, tuple[ray.ObjectRef, object, int]] = {}  # unit number -> (unit ref, actor, attempts)
        finished: dict[int, list[list[np.ndarray]]] = {}
        next_out = submitted = 0
        source = iter(units)
        is_exhausted = False
        with self._window.share() as share:
            try:
                while not is_exhausted or submitted > next_out:
                    if next_out in finished:
                        result = finished.pop(next_out)
                        next_out += 1
                        self._window.give_back(share)
                        yield result
                    elif not is_exhausted and self._window.take_slot(share):  # a slot first: bounded read-ahead
                        unit = next(source, None)
                        if unit is None:
                            self._window.give_back(share)
                            is_exhausted = True
                        else:
                            self._submit(submitted, ray.put(unit), 0, pending, placed)
                            submitted += 1
                    else:
                        self._collect(pending, placed, finished, stats)
            finally:
                self._release(placed)

    @property
    def actor_names(self) -> list[str]:
        return [f"{ACTOR_NAME_PREFIX}-{self._run_id}-{number}" for number in range(1, self._created + 1)]

    def close(self) -> None:
        with self._lock:
            actors, self._load = list(self._load), {}
        for actor in actors:
            ray.kill(actor, no_restart=True)
        if self._started_ray:
            ray.shutdown()

    def _collect(self, pending: dict, placed: dict, finished: dict, stats: RunStats) -> None:
        """Wait for one result; file it, or resubmit its unit when the actor holding it died."""
        [ready], _ = ray.wait(list(pending), num_returns=1)
        number = pending.pop(ready)
        unit_ref, actor, attempts = placed[number]
        try:
            result = _get_unwrapped(ready)
        except _WORKER_LOST as error:
            self._replace(actor)
            if attempts >= self.max_retries:
                raise BackendError(f"a work unit failed {attempts + 1} times because its Ray worker died; "
                                   f"last error: {error}") from error
            with self._lock:
                self.retried_units += 1
            stats.retried_units += 1
            self._submit(number, unit_ref, attempts + 1, pending, placed)
            return
        del placed[number]
        self._unload(actor)
        # Copy out of the object store: the frames become writable and the store's memory is freed now.
        finished[number] = [[np.array(frame) for frame in frames] for frames in result]

    def _submit(self, number: int, unit_ref, attempts: int, pending: dict, placed: dict) -> None:
        with self._lock:
            actor = min(self._load, key=self._load.__getitem__)  # the least busy actor
            self._load[actor] += 1
        pending[actor.interpolate.remote(unit_ref)] = number
        placed[number] = (unit_ref, actor, attempts)

    def _replace(self, dead) -> None:
        """Swap a dead actor for a new one (once, however many of its calls report the death)."""
        with self._lock:
            if dead not in self._load:
                return
            del self._load[dead]
            self._load[self._new_actor()] = 0
        ray.kill(dead, no_restart=True)

    def _new_actor(self):
        with self._lock:
            self._created += 1
            name = f"{ACTOR_NAME_PREFIX}-{self._run_id}-{self._created}"
            return self._actor_class.options(name=name).remote(self._spec)

    def _unload(self, actor) -> None:
        with self._lock:
            if actor in self._load:
                self._load[actor] -= 1

    def _release(self, placed: dict) -> None:
        """Forget the units of a run that ended early (an error or a caller that stopped reading)."""
        for _, actor, _ in placed.values():
            self._unload(actor)


def _get_unwrapped(refs):
    """`ray.get`, but a user error raised inside an actor comes back as itself (its message, not Ray's wrapper)."""
    try:
        return ray.get(refs)
    except RayTaskError as error:
        if isinstance(error.cause, ToonbatchError):
            raise error.cause from None
        raise


def connect(address: str | None, cpus_needed: float, object_store_memory: int | None) -> bool:
    """Use the Ray this process already joined, join `address`, or start a local Ray; True if initialised here."""
    if ray.is_initialized():
        return False
    if address is not None:
        ray.init(address=address, log_to_driver=False)
        return True
    # Room for every actor even on a small machine: oversubscribing cores beats waiting forever for a free one.
    num_cpus = max(os.cpu_count() or 1, math.ceil(cpus_needed))
    ray.init(num_cpus=num_cpus, include_dashboard=False, object_store_memory=object_store_memory,
             log_to_driver=False, configure_logging=False)
    return True
