"""The routed backend: each pair goes to the rung the plan stamped on it; rungs are built only when first needed."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.backends.registry import build_backend, routed_spec
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.errors import BackendError
from tooncrafter_batch.synthetic import CartoonSpec, render_frame

SPEC = CartoonSpec(width=96, height=54, num_frames=8, frame_rate=Fraction(24))


def _pair(first: int, rung: int) -> Pair:
    return Pair(render_frame(SPEC, Fraction(first, 24)), render_frame(SPEC, Fraction(first + 2, 24)), rung)


def test_each_pair_is_made_by_its_rung_in_order():
    routed = build_backend(routed_spec((BackendSpec("flow"), BackendSpec("blend"))))
    pairs = [_pair(0, 1), _pair(1, 0), _pair(2, 1), _pair(3, 0)]
    times = [[0.5], [0.25, 0.75], [0.5], [0.5]]
    made = routed.interpolate(pairs, times)
    for pair, positions, frames in zip(pairs, times, made):
        alone = build_backend(BackendSpec(("flow", "blend")[pair.rung])).interpolate([pair], [positions])[0]
        assert all(np.array_equal(frame, expected) for frame, expected in zip(frames, alone, strict=True))


def test_a_rung_is_built_only_when_a_pair_needs_it():
    routed = build_backend(routed_spec((BackendSpec("blend"), BackendSpec("no-such-backend"))))
    routed.interpolate([_pair(0, 0)], [[0.5]])  # the second rung is never built
    with pytest.raises(BackendError, match="no-such-backend"):
        routed.interpolate([_pair(0, 1)], [[0.5]])
    with pytest.raises(BackendError, match="rung 2 of a 2-rung ladder"):
        routed.interpolate([_pair(0, 2)], [[0.5]])
