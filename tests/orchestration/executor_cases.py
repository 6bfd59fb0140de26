"""Work units made of synthetic cartoon frames and checks shared by the executor tests."""

from fractions import Fraction

from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.orchestration.base import WorkUnit
from tooncrafter_batch.synthetic import CartoonSpec, render_frame


def make_units(num_units: int, pairs_per_unit: int = 2, width: int = 64, height: int = 48) -> list[WorkUnit]:
    """Consecutive frames of a cartoon, `pairs_per_unit` pairs per unit, with a different set of positions per pair."""
    spec = CartoonSpec(width=width, height=height, num_frames=num_units * pairs_per_unit + 1, frame_rate=Fraction(12))
    frames = [render_frame(spec, Fraction(index) / spec.frame_rate) for index in range(spec.num_frames)]
    units = []
    for unit_index in range(num_units):
        first = unit_index * pairs_per_unit
        pairs = tuple(Pair(frames[i], frames[i + 1]) for i in range(first, first + pairs_per_unit))
        times = tuple((0.25, 0.5, 0.75)[: 1 + (i % 3)] for i in range(first, first + pairs_per_unit))
        units.append(WorkUnit(pairs, times))
    return units


class CountingUnits:
    """An iterable of units that records how far ahead of the results its consumer has read."""

    def __init__(self, units: list[WorkUnit]):
        self.units = units
        self.taken = 0

    def __iter__(self):
        for unit in self.units:
            self.taken += 1
            yield unit


def assert_bounded(executor, units: list[WorkUnit]) -> list:
    """Run `units`, checking after every result that at most `max_in_flight` units were read ahead of it."""
    counting = CountingUnits(units)
    results = []
    for result in executor.run(counting):
        results.append(result)
        assert counting.taken - len(results) < executor.max_in_flight
    assert counting.taken == len(units)
    return results


def assert_same_frames(first: list, second: list) -> None:
    assert len(first) == len(second)
    for unit_a, unit_b in zip(first, second):
        assert [len(frames) for frames in unit_a] == [len(frames) for frames in unit_b]
        for frames_a, frames_b in zip(unit_a, unit_b):
            for frame_a, frame_b in zip(frames_a, frames_b):
                assert frame_a.dtype == frame_b.dtype == "uint8"
                assert frame_a.shape == frame_b.shape
                assert (frame_a == frame_b).all()
