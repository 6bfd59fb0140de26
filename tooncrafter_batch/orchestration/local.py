"""In-process execution: one backend per worker thread, no Ray start-up cost (single-machine CPU runs and tests)."""

from __future__ import annotations

import queue
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterable, Iterator

import numpy as np

from ..backends.base import BackendSpec, Interpolator
from ..backends.registry import build_backend
from ..errors import SettingsError
from .base import ClosingExecutor, InFlightWindow, RunStats, WorkUnit, default_max_in_flight


class LocalExecutor(ClosingExecutor):
    """Runs units on `workers` threads, each with its own backend built once here.

    Even with one worker the backend runs on a thread, so decoding and encoding in the caller overlap with it
    (OpenCV and torch release the GIL while they compute).
    """

    def __init__(self, spec: BackendSpec, workers: int = 1, max_in_flight: int | None = None):
        if workers < 1:
            raise SettingsError(f"workers must be at least 1, got {workers}")
        self.max_in_flight = max_in_flight or default_max_in_flight(workers)
        self._window = InFlightWindow(self.max_in_flight)
        self.retried_units = 0  # threads do not die on their own: nothing is ever retried here
        self._idle_backends: queue.SimpleQueue[Interpolator] = queue.SimpleQueue()
        for _ in range(workers):
            self._idle_backends.put(build_backend(spec))
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="toonbatch-backend")

    def run(self, units: Iterable[WorkUnit], stats: RunStats | None = None) -> Iterator[list[list[np.ndarray]]]:
        """As `Executor.run`; `stats` stays at zero retries, as threads do not die on their own."""
        in_flight: deque[Future] = deque()
        source = iter(units)
        is_exhausted = False
        with self._window.share() as share:
            while not is_exhausted or in_flight:
                if not is_exhausted and self._window.take_slot(share):  # a slot first: read-ahead stays bounded
                    unit = next(source, None)
                    if unit is None:
                        self._window.give_back(share)
                        is_exhausted = True
                    else:
                        in_flight.append(self._threads.submit(self._interpolate, unit))
                    continue
                result = in_flight.popleft().result()
                self._window.give_back(share)
                yield result

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)

    def _interpolate(self, unit: WorkUnit) -> list[list[np.ndarray]]:
        backend = self._idle_backends.get()  # each backend serves one call at a time
        try:
            return backend.interpolate(unit.pairs, unit.times)
        finally:
            self._idle_backends.put(backend)
