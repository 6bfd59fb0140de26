"""The executor interface: work units in, backend results out, in submission order, with bounded memory."""

from __future__ import annotations

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

    `run` consumes `units` lazily, keeps at most `max_in_flight` units outstanding (submitted but not yet handed
    back), and yields each unit's result (one list of frames per pair) in submission order. `retried_units` counts
    the units that had to be run again because the worker holding them died.
    """

    max_in_flight: int
    retried_units: int

    def run(self, units: Iterable[WorkUnit]) -> Iterator[list[list[np.ndarray]]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> "Executor": ...

    def __exit__(self, kind, error, traceback) -> None: ...


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
