"""The contract every registered backend keeps (STYLE.md section 9): one parametrised test over `BACKENDS`."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.backends.base import BackendSpec, Interpolator
from tooncrafter_batch.backends.registry import BACKENDS, build_backend
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.synthetic import CartoonSpec, render_frame

# tooncrafter cannot be built with no options here: it needs the 10 GB official checkpoint (or a tiny config with
# random weights) and minutes per pair on CPU; tests/backends/test_tooncrafter.py covers its contract instead.
CONTRACT_BACKENDS = sorted(set(BACKENDS) - {"tooncrafter"})
LEARNED = {"rife", "gmfss"}  # their weights come from `make weights`
# GMFSS's fusion network redraws every pixel, so even at t ~ 0 its frame is not the start frame (about 2 levels off
# on the reference's own frames, 4 on this small padded cartoon); the other backends warp the keyframes themselves.
NEAR_START_ERROR = {"gmfss": 6.0}
SPEC = CartoonSpec(width=97, height=55, num_frames=8, frame_rate=Fraction(24))  # odd size on purpose


def _pair(first: int, second: int) -> Pair:
    return Pair(render_frame(SPEC, Fraction(first, 24)), render_frame(SPEC, Fraction(second, 24)))


def _build(name: str) -> Interpolator:
    if name in LEARNED and not _learned_weights_present(name):
        pytest.skip(f"{name} weights absent: run `make weights` (or toonbatch model download {name})")
    backend = build_backend(BackendSpec(name))
    if backend.needs_gpu:
        pytest.skip(f"{name} needs a GPU; covered by the GPU-marked tests")
    return backend


@pytest.mark.parametrize("name", CONTRACT_BACKENDS)
def test_backend_contract(name):
    backend = _build(name)
    assert isinstance(backend, Interpolator) and backend.name == name and backend.max_batch >= 1
    pairs = [_pair(0, 1), _pair(2, 4), _pair(5, 5)]
    times = [[0.5], [0.001, 0.25, 0.75], [0.3, 0.6]]

    batched = backend.interpolate(pairs, times)
    assert [len(frames) for frames in batched] == [1, 3, 2]
    for frames in batched:
        for frame in frames:
            assert frame.shape == (55, 97, 3) and frame.dtype == np.uint8

    near_start = batched[1][0].astype(np.int16)
    assert np.abs(near_start - pairs[1].start).mean() < np.abs(near_start - pairs[1].end).mean(), "t ~ 0 is the start"
    assert np.abs(near_start - pairs[1].start).mean() < NEAR_START_ERROR.get(name, 2.0)
    assert all(np.array_equal(frame, pairs[2].start) for frame in batched[2]), "identical keyframes stay still"

    one_by_one = [backend.interpolate([pair], [positions])[0] for pair, positions in zip(pairs, times)]
    assert all(np.array_equal(a, b) for got, want in zip(batched, one_by_one) for a, b in zip(got, want)), \
        "a batch gives the same frames as one pair at a time"


def _learned_weights_present(name: str) -> bool:
    from tooncrafter_batch.errors import CheckpointError
    from tooncrafter_batch.weights.learned import check_weights_present, default_weights_dir

    try:
        check_weights_present(name, default_weights_dir())
    except CheckpointError:
        return False
    return True
