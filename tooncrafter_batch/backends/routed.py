"""The `routed` backend: one backend per rung of a ladder, each pair made by the rung the plan stamped on it.

Routing is decided by the plan (planning/routing.py sets `Pair.rung`); this only dispatches, so the executors run
it like any other backend. A rung's backend is built the first time a pair needs it and kept (weights load once per
worker), so a rung the route never uses costs nothing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..datatypes import Pair
from ..errors import BackendError
from .base import BackendSpec, Interpolator
from .registry import build_backend


class RoutedInterpolator:
    """Dispatches each pair to `rungs[pair.rung]`; results come back in the order of the pairs."""

    name = "routed"
    max_batch = 1

    def __init__(self, *, rungs: tuple[BackendSpec, ...], needs_gpu: bool = False):
        if not rungs:
            raise BackendError("routed backend: no rungs; give a ladder such as flow,gmfss")
        self.rungs = tuple(rungs)
        self.needs_gpu = needs_gpu
        self._built: dict[int, Interpolator] = {}

    def interpolate(self, pairs: Sequence[Pair], times: Sequence[Sequence[float]]) -> list[list[np.ndarray]]:
        results: list[list[np.ndarray]] = [[] for _ in pairs]
        for rung in sorted({pair.rung for pair in pairs}):
            chosen = [index for index, pair in enumerate(pairs) if pair.rung == rung]
            made = self._backend(rung).interpolate([pairs[index] for index in chosen],
                                                   [times[index] for index in chosen])
            for index, frames in zip(chosen, made, strict=True):
                results[index] = frames
        return results

    def _backend(self, rung: int) -> Interpolator:
        if not 0 <= rung < len(self.rungs):
            raise BackendError(f"routed backend: a pair asks for rung {rung} of a {len(self.rungs)}-rung ladder")
        if rung not in self._built:
            self._built[rung] = build_backend(self.rungs[rung])
        return self._built[rung]
