"""The output plan: counts, positions, holds at cuts and at the end, streaming job boundaries."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.datatypes import Frame
from tooncrafter_batch.planning.plan import SlotPlanner, count_outputs
from tooncrafter_batch.planning.timing import Key


def _keys(times, cuts=(), holds=()):
    image = np.zeros((2, 2, 3), np.uint8)
    return [Key(Frame(i, Fraction(t), image), starts_shot=i in cuts, ends_hold=i in holds) for i, t in enumerate(times)]


def _plan(keys, rate, total):
    planner = SlotPlanner(rate)
    jobs = [job for key in keys if (job := planner.add(key)) is not None]
    tail = planner.finish(total)
    return jobs + ([tail] if tail else [])


def _slots(jobs):
    return [slot for job in jobs for slot in job.slots]


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_factor_gives_k_times_n_frames_with_even_positions(factor):
    rate = Fraction(24000, 1001)
    keys = _keys([Fraction(i, 1) / rate for i in range(5)])
    slots = _slots(_plan(keys, rate * factor, factor * 5))
    assert [slot.index for slot in slots] == list(range(factor * 5))
    inner = slots[: factor * 4]
    assert [slot.position for slot in inner] == [m / factor for _ in range(4) for m in range(factor)]
    assert all(slot.is_copy and slot.left == 4 for slot in slots[factor * 4:]), "last frame is held k times"
    assert slots[-1].time == Fraction(factor * 5 - 1) / (rate * factor)


def test_cut_makes_held_copies_of_the_frame_before():
    keys = _keys([0, 1, 2, 3], cuts={2})
    slots = _slots(_plan(keys, Fraction(4), 16))
    across = [slot for slot in slots if 1 <= slot.time < 2]
    assert len(across) == 4
    assert all(slot.is_copy and slot.left == 1 for slot in across)
    assert [slot.position for slot in slots if 2 <= slot.time < 3] == [0.0, 0.25, 0.5, 0.75]


def test_ends_hold_key_keeps_the_drawing_still():
    keys = _keys([0, 3, 4], holds={1})
    slots = _slots(_plan(keys, Fraction(2), 10))
    assert all(slot.is_copy for slot in slots if slot.time < 3)
    assert [slot.position for slot in slots if 3 <= slot.time < 4] == [0.0, 0.5]


@pytest.mark.parametrize(
    "times, rate, expected",
    [
        pytest.param([0, Fraction(1, 10), Fraction(3, 10)], Fraction(20), [0, 0.5, 0, 0.25, 0.5, 0.75], id="vfr-by-pts"),
        pytest.param([0, Fraction(1, 24), Fraction(2, 24)], Fraction(60), [0, 0.4, 0.8, 0.2, 0.6], id="24-to-60"),
    ],
)
def test_positions_follow_presentation_times(times, rate, expected):
    slots = _slots(_plan(_keys(times), rate, 0))
    assert [slot.position for slot in slots] == pytest.approx(expected)


@pytest.mark.parametrize(
    "num_frames, last, average, output, factor, expected",
    [
        pytest.param(10, Fraction(9, 24), Fraction(24), Fraction(96), 4, 40, id="factor-exact"),
        pytest.param(10, Fraction(9, 24), Fraction(24), Fraction(60), None, 25, id="fps-covers-duration"),
        pytest.param(3, Fraction(2, 24), Fraction(24), Fraction(50), None, 7, id="fps-rounds-up"),
    ],
)
def test_count_outputs(num_frames, last, average, output, factor, expected):
    assert count_outputs(num_frames, Fraction(0), last, average, output, factor) == expected


def test_jobs_assemble_copies_and_generated_frames_in_order():
    keys = _keys([0, 1])
    keys = [Key(Frame(k.frame.index, k.frame.time, np.full((2, 2, 3), 10 * k.frame.index, np.uint8))) for k in keys]
    job = _plan(keys, Fraction(3), 6)[0]
    made = [np.full((2, 2, 3), 100, np.uint8), np.full((2, 2, 3), 200, np.uint8)]
    out = list(job.assemble(made))
    assert [int(image[0, 0, 0]) for image in out] == [0, 100, 200]
    assert job.positions == pytest.approx((1 / 3, 2 / 3))
