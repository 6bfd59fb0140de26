"""Per-pair routing: the budget holds over a run, the hardest pairs go up, decisions are deterministic, and pairs
with nothing to make (cuts, the end) or one drawing held go to the first rung."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.datatypes import Frame
from tooncrafter_batch.errors import SettingsError
from tooncrafter_batch.planning.plan import SlotPlanner
from tooncrafter_batch.planning.routing import QUOTA_SLACK, JobRouter, RouteSettings, route_scores
from tooncrafter_batch.planning.timing import Key

TWO = ("flow", "gmfss")
THREE = ("flow", "rife", "gmfss")


def _scores(count: int, seed: int = 0) -> list[float]:
    return list(np.random.default_rng(seed).gamma(2.0, 3.0, count))


@pytest.mark.parametrize("budget", [0.0, 0.05, 0.1, 0.3, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("order", ["random", "rising", "falling"])
def test_the_budget_holds_over_the_run(budget, order):
    scores = _scores(1000)
    scores = {"random": scores, "rising": sorted(scores), "falling": sorted(scores, reverse=True)}[order]
    rungs = route_scores(scores, RouteSettings(TWO, budget))
    up = [sum(rung > 0 for rung in rungs[:end]) for end in range(1, len(rungs) + 1)]
    assert all(count <= budget * end + QUOTA_SLACK for end, count in enumerate(up, start=1)), "never past the quota"
    assert up[-1] >= budget * len(scores) - (0.02 * len(scores) if order == "random" else 0.1 * len(scores))


def test_budget_zero_keeps_everything_on_the_first_rung_and_one_sends_everything_up():
    scores = _scores(200)
    assert route_scores(scores, RouteSettings(TWO, 0.0)) == [0] * 200
    assert route_scores(scores, RouteSettings(TWO, 1.0)) == [1] * 200


def test_the_hardest_pairs_go_up():
    scores = _scores(2000, seed=3)
    rungs = np.array(route_scores(scores, RouteSettings(TWO, 0.2)))
    scores = np.array(scores)
    assert np.median(scores[rungs == 1]) > np.percentile(scores, 80) * 0.95
    top = scores >= np.percentile(scores, 90)
    assert (rungs[top] == 1).mean() > 0.9, "nearly all of the hardest tenth went up"
    assert (rungs[scores <= np.median(scores)] == 0).all(), "no easy pair went up"


def test_the_promoted_band_is_split_between_the_upper_rungs_hardest_last():
    scores = _scores(3000, seed=1)
    rungs = np.array(route_scores(scores, RouteSettings(THREE, 0.4)))
    scores = np.array(scores)
    assert 0.15 < (rungs == 1).mean() < 0.25 and 0.15 < (rungs == 2).mean() < 0.25
    assert np.median(scores[rungs == 2]) > np.median(scores[rungs == 1]) > np.median(scores[rungs == 0])


def test_routing_is_deterministic_and_streams():
    scores = _scores(500, seed=7)
    first = route_scores(scores, RouteSettings(TWO, 0.3))
    assert route_scores(list(scores), RouteSettings(TWO, 0.3)) == first
    assert route_scores(scores[:200], RouteSettings(TWO, 0.3)) == first[:200], "a decision never looks ahead"


def test_held_pairs_stay_down_and_do_not_count():
    scores = _scores(100)
    with_holds = [None if index % 3 == 0 else score for index, score in enumerate(scores)]
    rungs = route_scores(with_holds, RouteSettings(TWO, 1.0))
    assert all(rung == 0 for rung, score in zip(rungs, with_holds) if score is None)
    assert all(rung == 1 for rung, score in zip(rungs, with_holds) if score is not None)


def test_a_score_threshold_keeps_easy_pairs_down_whatever_the_budget():
    rungs = route_scores([1.0, 5.0, 2.0, 9.0] * 20, RouteSettings(TWO, 1.0, threshold=4.0))
    assert rungs == [0, 1, 0, 1] * 20


@pytest.mark.parametrize("settings, message", [
    pytest.param(dict(ladder=()), "empty", id="empty-ladder"),
    pytest.param(dict(ladder=("flow", "flow")), "twice", id="repeated-rung"),
    pytest.param(dict(ladder=TWO, budget=1.5), "budget", id="budget-above-one"),
    pytest.param(dict(ladder=TWO, budget=-0.1), "budget", id="negative-budget"),
    pytest.param(dict(ladder=TWO, threshold=-1.0), "threshold", id="negative-threshold"),
])
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(SettingsError, match=message):
        RouteSettings(**settings)


def _frame(index: int, value: int) -> Frame:
    image = np.full((36, 64, 3), 40, np.uint8)
    image[10:26, value:value + 12] = 230  # a bright block moving right
    return Frame(index, Fraction(index, 12), image)


def _jobs(positions_by_frame, cuts=()):
    planner = SlotPlanner(Fraction(24))
    keys = [Key(_frame(index, x), starts_shot=index in cuts, ends_hold=False) for index, x in enumerate(positions_by_frame)]
    jobs = [job for key in keys if (job := planner.add(key)) is not None]
    return jobs + [planner.finish(2 * len(keys))]


def test_job_router_stamps_moving_pairs_and_leaves_cuts_holds_and_the_end_alone():
    jobs = _jobs([2, 6, 6, 30, 34, 40], cuts=(3,))  # 1 -> 2 one drawing; a cut before 3; the tail holds the last
    measured = []
    router = JobRouter(RouteSettings(("flow", "blend"), 1.0), lambda pair: measured.append(pair) or 1.0)
    stamped = [router.stamp(job) for job in jobs]
    assert [job.rung for job in stamped] == [1, 0, 0, 1, 1, 0]
    assert len(measured) == 3, "only moving pairs are measured"
    assert router.counts.pairs == [1, 3] and router.counts.held == 1
    assert stamped[0].pair.rung == 1, "the rung travels with the pair to the backend"
    assert router.counts.summary() == "pairs: flow 1 (1 held), blend 3"


def test_job_router_measures_nothing_when_nothing_can_go_up():
    router = JobRouter(RouteSettings(("flow", "blend"), 0.0), lambda pair: pytest.fail("measured"))
    assert [router.stamp(job).rung for job in _jobs([2, 6, 10])] == [0, 0, 0]
