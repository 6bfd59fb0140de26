"""InFlightWindow: the units in flight over concurrent runs of one executor, bounded and shared fairly."""

import threading

from tooncrafter_batch.orchestration.base import InFlightWindow


def _take(window, share, times: int) -> list[bool]:
    return [window.take_slot(share) for _ in range(times)]


def test_one_run_fills_the_window_alone():
    window = InFlightWindow(4)
    with window.share() as only:
        assert _take(window, only, 5) == [True] * 4 + [False], "four at most; then hand results back"
        window.give_back(only)
        assert _take(window, only, 2) == [True, False]
    with window.share() as later:
        assert _take(window, later, 4) == [True] * 4, "a closed run's slots are free again"


def test_a_run_over_its_share_yields_to_one_under_it_but_uses_idle_room():
    window = InFlightWindow(4)
    with window.share() as first, window.share() as second:  # two runs: a fair share is two slots each
        assert _take(window, first, 3) == [True] * 3
        assert _take(window, second, 2) == [True, False], "the window is full; the second run asks for more"
        window.give_back(first)
        assert window.take_slot(first) is False, "over its share while the second run asks"
        assert window.take_slot(second) is True
        window.give_back(first)
        assert window.take_slot(first) is True, "back under its share"
        assert (first.held, second.held) == (2, 2)
        window.give_back(second)
        window.give_back(second)
        assert _take(window, first, 3) == [True, True, False], "nobody asks: the first run may fill the window"
        assert first.held == 4


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
