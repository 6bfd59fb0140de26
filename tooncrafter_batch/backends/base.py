"""The one protocol every interpolator implements, and the picklable spec used to build one anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from ..datatypes import Pair


@runtime_checkable
class Interpolator(Protocol):
    """Makes in-between frames for pairs of keyframes.

    `times[i]` lists the positions, floats in (0, 1), wanted between `pairs[i].start` (t=0) and `pairs[i].end`
    (t=1). The result has one list per pair, one RGB uint8 frame per position, at the keyframes' size.
    A backend is built once and called many times; `max_batch` is how many pairs one call should carry.
    """

    name: str
    needs_gpu: bool
    max_batch: int

    def interpolate(self, pairs: Sequence[Pair], times: Sequence[Sequence[float]]) -> list[list[np.ndarray]]: ...


@dataclass(frozen=True)
class BackendSpec:
    """How to build a backend: its registered name and its options (picklable, so Ray actors can build it)."""

    name: str = "flow"
    options: tuple[tuple[str, object], ...] = field(default=())

    def option_dict(self) -> dict:
        return dict(self.options)
