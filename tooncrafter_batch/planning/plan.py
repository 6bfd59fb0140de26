"""The output plan: which keyframes and which position make each output frame.

Output frame j lies at time t0 + j / F (F the output rate, t0 the first frame's time). Between two consecutive
keyframes a and b it is the in-between at position (time - a.time) / (b.time - a.time); at position 0, across a
cut, inside a still hold, or after the last keyframe it is a held copy of a. Everything here streams: a `PairJob`
is emitted as soon as the keyframe after it is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import numpy as np

from ..datatypes import OutputSlot, Pair
from .timing import Key


@dataclass(frozen=True, eq=False)
class PairJob:
    """The output frames that fall between keyframe `left` and keyframe `right` (None after the last one)."""

    left: Key
    right: Key | None
    slots: tuple[OutputSlot, ...]
    rung: int = 0  # which backend of a routed ladder makes the in-betweens (planning/routing.py)

    @property
    def positions(self) -> tuple[float, ...]:
        """Positions of the in-betweens the backend must make (copies excluded), in output order."""
        return tuple(slot.position for slot in self.slots if not slot.is_copy)

    @property
    def pair(self) -> Pair:
        return Pair(self.left.frame.image, self.right.frame.image, self.rung)

    def assemble(self, generated: list[np.ndarray]) -> Iterator[np.ndarray]:
        """The job's output frames in order, given the backend's frames for `positions`."""
        made = iter(generated)
        for slot in self.slots:
            yield self.left.frame.image if slot.is_copy else next(made)


class SlotPlanner:
    """Turns keyframes into pair jobs covering output frames 0, 1, ... at rate `output_rate`."""

    def __init__(self, output_rate: Fraction):
        self._output_rate = output_rate
        self._start_time: Fraction | None = None
        self._next_index = 0
        self._previous: Key | None = None

    def add(self, key: Key) -> PairJob | None:
        """Feed the next keyframe; returns the job for the interval it closes (None for the first key)."""
        if self._start_time is None:
            self._start_time = key.frame.time
        previous, self._previous = self._previous, key
        if previous is None:
            return None
        return self._job(previous, key, self._count_before(key.frame.time))

    def finish(self, num_outputs: int) -> PairJob | None:
        """Close the plan: hold the last keyframe until output frame `num_outputs - 1`."""
        if self._previous is None or num_outputs <= self._next_index:
            return None
        return self._job(self._previous, None, num_outputs)

    def _count_before(self, time: Fraction) -> int:
        """How many output frames lie strictly before `time`."""
        return max(self._next_index, math.ceil((time - self._start_time) * self._output_rate))

    def _job(self, left: Key, right: Key | None, end_index: int) -> PairJob:
        is_still = right is None or right.starts_shot or right.ends_hold
        slots = []
        for index in range(self._next_index, end_index):
            time = self._start_time + Fraction(index) / self._output_rate
            position = 0.0 if is_still else _position(left, right, time)
            right_index = left.frame.index if position == 0.0 else right.frame.index
            slots.append(OutputSlot(index, time, left.frame.index, right_index, position))
        self._next_index = max(self._next_index, end_index)
        return PairJob(left, right, tuple(slots))


def _position(left: Key, right: Key, time: Fraction) -> float:
    span = right.frame.time - left.frame.time
    if span <= 0 or time <= left.frame.time:
        return 0.0
    return float((time - left.frame.time) / span)


def count_outputs(num_frames: int, first_time: Fraction, last_time: Fraction, average_rate: Fraction,
                  output_rate: Fraction, factor: int | None) -> int:
    """How many output frames cover the input: k * N for --factor k, else every j / F inside the duration."""
    if factor is not None:
        return factor * num_frames
    duration = last_time - first_time + 1 / average_rate
    return math.ceil(duration * output_rate)

