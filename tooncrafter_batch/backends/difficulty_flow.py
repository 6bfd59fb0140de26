"""A pair's difficulty score for routing (planning/routing.py), from a small, fast flow computed in the plan stage.

The plan runs before any backend, so it computes its own flow: the `flow` backend's DIS estimate on the keyframes
shrunk to `DIFFICULTY_WIDTH` with the `fast` preset (a few ms per pair, docs/BENCHMARKS.md "Difficulty-routed
runs"), measured as planning/difficulty.py does for the flow backend's own flow.
"""

from __future__ import annotations

from ..datatypes import Pair
from ..planning.difficulty import measure_difficulty
from .flow import FlowInterpolator

DIFFICULTY_WIDTH = 256  # px: the flow's width (the frames are shrunk to it, never enlarged)
DIFFICULTY_PRESET = "fast"


class DifficultyMeter:
    """Scores pairs (planning.difficulty's `score`) for the router; build once, call per pair."""

    def __init__(self):
        self._flow = FlowInterpolator(flow_width=DIFFICULTY_WIDTH, preset=DIFFICULTY_PRESET)

    def __call__(self, pair: Pair) -> float:
        start, end = self._flow.shrink(pair.start), self._flow.shrink(pair.end)
        flow = self._flow.estimate_flow(pair)
        return measure_difficulty(start, end, flow.forward, flow.forward_with_error[..., 2]).score
