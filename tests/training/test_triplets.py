"""Triplets: consecutive distinct drawings of one shot, at the times their hold lengths give; the split by shot."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.datatypes import Frame
from tooncrafter_batch.errors import InputError
from tooncrafter_batch.planning.timing import Key
from tooncrafter_batch.synthetic import CartoonSpec, drawing_starts
from tooncrafter_batch.training.triplets import Triplet, TripletSettings, frame_triplets, key_triplets, split_by_shot

from finetune_cases import SPEC, cartoon_frames


def _expected(spec: CartoonSpec) -> list[tuple[int, float]]:
    """(middle frame, position) of every run of three drawings that a cut does not split."""
    starts = drawing_starts(spec)
    expected = []
    for a, b, c in zip(starts, starts[1:], starts[2:]):
        if spec.cut_at_frame is None or not a < spec.cut_at_frame <= c:
            expected.append((b, (b - a) / (c - a)))
    return expected


@pytest.mark.parametrize("pattern", [
    pytest.param((1, 2, 3), id="mixed-holds"),
    pytest.param((2,), id="on-twos"),
    pytest.param((), id="on-ones"),
])
def test_positions_come_from_hold_lengths_and_no_triplet_crosses_the_cut(pattern):
    spec = CartoonSpec(**{**SPEC.__dict__, "hold_pattern": pattern})
    triplets = frame_triplets(cartoon_frames(spec), Fraction(spec.frame_rate), "clip", TripletSettings())
    expected = _expected(spec)
    assert [int(t.time * spec.frame_rate) for t in triplets] == [frame for frame, _ in expected]
    assert [t.position for t in triplets] == pytest.approx([position for _, position in expected])
    assert {t.shot for t in triplets} == {("clip", 0), ("clip", 1)}
    assert all(t.shot[1] == int(t.time * spec.frame_rate >= spec.cut_at_frame) for t in triplets)


def _key(index: int, value: int, **flags) -> Key:
    return Key(Frame(index, Fraction(index, 24), np.full((8, 8, 3), value, np.uint8)), **flags)


def test_a_pause_starts_the_motion_at_its_last_frame_and_is_no_in_between():
    keys = [_key(0, 0), _key(20, 0, ends_hold=True), _key(21, 60), _key(24, 120), _key(25, 180)]
    triplets = list(key_triplets(keys, "clip", TripletSettings()))
    assert [int(t.time * 24) for t in triplets] == [21, 24]
    assert [t.position for t in triplets] == pytest.approx([1 / 4, 3 / 4])


def test_still_and_too_long_spans_are_skipped():
    still = [_key(0, 10), _key(1, 10), _key(2, 10)]
    slow = [_key(0, 0), _key(10, 60), _key(20, 120)]  # 20 frames: more than max_span
    assert list(key_triplets(still, "clip", TripletSettings())) == []
    assert list(key_triplets(slow, "clip", TripletSettings())) == []


def _triplets(shots: list[int]) -> list[Triplet]:
    image = np.zeros((8, 8, 3), np.uint8)
    return [Triplet(image, image, image, 0.5, ("clip", shot), Fraction(index)) for index, shot in enumerate(shots)]


@pytest.mark.parametrize("shots, held", [
    pytest.param([0, 0, 1, 1, 2, 2, 3, 3, 4, 4], {2}, id="even-shots"),
    pytest.param([0] * 2 + [1] * 19 + [2] * 61, {1}, id="one-long-shot-stays-for-training"),
    pytest.param([0] * 5 + [1] * 5 + [2] * 5 + [3] * 5 + [4] * 5 + [5] * 5 + [6] * 5 + [7] * 5 + [8] * 5 + [9] * 5,
                 {2, 7}, id="spread-through-the-footage"),
])
def test_validation_holds_out_whole_shots(shots, held):
    training, validation = split_by_shot(_triplets(shots), 0.2)
    assert {t.shot[1] for t in validation} == held
    assert {t.shot[1] for t in training} == set(shots) - held


def test_one_shot_is_split_in_time_with_a_gap():
    triplets = _triplets([0] * 20)
    training, validation = split_by_shot(triplets, 0.2)
    assert training == triplets[:16] and validation == triplets[18:]  # the two between share frames with both
    with pytest.raises(InputError, match="too few"):
        split_by_shot(_triplets([0] * 10), 0.2)
