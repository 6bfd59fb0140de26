"""The executor interface: work units in, backend results out, in submission order, with bounded memory."""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol

import numpy as np

from ..datatypes import Pair


@dataclass(frozen=True, eq=False)
class WorkUnit:
    """One backend call: pairs of keyframes and, for each pair, the positions in (0, 1) wanted between them."""

    pairs: tuple[Pair, ...]
    times: tuple[tuple[float, ...], ...]

    def __post_init__(self):
        if len(self.pairs) != len(self.times):
            raise ValueError(f"work unit has {len(self.pairs)} pairs but {len(self.times)} lists of positions")


class Executor(Protocol):
    """Runs work units on backends.

    `run` consumes `units` lazily and yields each unit's result (one list of frames per pair) in submission order.
    It may be called from several threads at once (one per video of a job); all those runs together keep at most
    `max_in_flight` units outstanding (submitted but not yet handed back), each getting a fair share of that
    window. `retried_units` counts the units that had to be run again because the worker holding them died: over
    all runs, and for one run in the `stats` given to it.
    """

    max_in_flight: int
    retried_units: int

    def run(self, units: Iterable[WorkUnit], stats: "RunStats | None" = None) -> Iterator[list[list[np.ndarray]]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> "Executor": ...

    def __exit__(self, kind, error, traceback) -> None: ...


@dataclass
class RunStats:
    """What happened to the units of one `run` (the executor's own counts add up every run)."""

    retried_units: int = 0


class ClosingExecutor:
    """Context-manager plumbing shared by the executors: `with` closes the executor on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.close()


def default_max_in_flight(num_workers: int) -> int:
    """Two units per worker: one running, one queued behind it, so no worker waits for the driver."""
    return 2 * max(1, num_workers)


class InFlightWindow:
    """The units in flight over every concurrent `run` of one executor: at most `limit`, shared fairly.

    A run may take a slot while the total is under `limit` and its own count under its fair share (`limit` over
    the runs open now, rounded up), so a run that starts while another fills the window gets slots as soon as the
    other hands results back. A run over its share takes no slot even when the others leave room: each run hands
    results back in order, so one run holding most of the window would stall it all behind its slowest unit
    (measured, benchmarks/job_scaling.py, 16 actors: a job's efficiency 0.88 when idle room may be taken, 0.98 not).
    A slot is held from submission until the result is handed to the caller, so this also bounds the results
    waiting in the driver's memory.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._total = 0
        self._open_runs = 0
        self._changed = threading.Condition()

    @contextmanager
    def share(self) -> Iterator["WindowShare"]:
        """One run's share of the window; whatever it still holds is given back when the block ends."""
        with self._changed:
            self._open_runs += 1
        share = WindowShare()
        try:
            yield share
        finally:
            with self._changed:
                self._open_runs -= 1
                self._total -= share.held
                share.held = 0
                self._changed.notify_all()

    def take_slot(self, share: "WindowShare") -> bool:
        """Room for one more unit of `share`'s run: True if taken; False if there is none and the run holds slots
        (it should hand results back first). A run that holds none waits for room: it has nothing else to do."""
        with self._changed:
            while True:
                fair = math.ceil(self.limit / max(1, self._open_runs))
                if self._total < self.limit and share.held < fair:
                    self._total += 1
                    share.held += 1
                    return True
                if share.held:
                    return False
                self._changed.wait()

    def give_back(self, share: "WindowShare") -> None:
        """One of `share`'s units was handed to the caller."""
        with self._changed:
            self._total -= 1
            share.held -= 1
            self._changed.notify_all()


@dataclass
class WindowShare:
    held: int = 0  # slots this run holds
