"""InFlightWindow: the units in flight over concurrent runs of one executor, bounded and shared fairly."""

import threading

from tooncrafter_batch.orchestration.base import InFlightWindow


def _take(window, share, times: int) -> list[bool]:
    return [window.take_slot(share) for _ in range(times)]


def test_one_run_fills_the_window_and_a_second_gets_half_as_slots_come_back():
    window = InFlightWindow(4)
    with window.share() as first:
        assert _take(window, first, 5) == [True] * 4 + [False], "four at most; then hand results back"
        with window.share() as second:
            window.give_back(first)
            assert window.take_slot(first) is False, "over its half now that two runs share the window"
            assert window.take_slot(second) is True
            window.give_back(first)
            window.give_back(first)
            assert _take(window, second, 2) == [True, False], "the second run's half is two"
            assert window.take_slot(first) is True, "the first run is back under its half"
            assert (first.held, second.held) == (2, 2)
        assert second.held == 0
        assert _take(window, first, 3) == [True, True, False], "a closed run's slots are free again"


def test_a_run_holding_nothing_waits_for_room():
    window = InFlightWindow(2)
    taken = threading.Event()
    with window.share() as first:
        assert _take(window, first, 2) == [True, True]

        def second_run():
            with window.share() as second:
                if window.take_slot(second):
                    taken.set()

        thread = threading.Thread(target=second_run)
        thread.start()
        assert not taken.wait(0.1), "no room yet: the second run waits instead of spinning or failing"
        window.give_back(first)
        assert taken.wait(5)
        thread.join(5)
