"""Per-pair routing under a budget (issue 15, item 2): which rung of a ladder of backends makes each pair.

The ladder lists backends in cost order (`flow`, then `rife`, `gmfss`...). Each moving pair gets a difficulty score
(planning/difficulty.py); the hardest ones go above the first rung, at most `budget` of the moving pairs over the
run. Decisions stream with bounded memory: a pair goes up when its score lies in the top `budget` share of the last
`window` moving scores, the share nudged by how far the run is behind or ahead of its quota, and never past the
quota plus `QUOTA_SLACK` pairs. The promoted band is split evenly between the upper rungs, the hardest pairs to the last one.
Held drawings (and identical keyframes) always stay on the first rung, outside the count: they are cross-faded.
Everything here is deterministic given the same pairs in the same order.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Callable

from ..datatypes import Pair
from ..errors import SettingsError
from .plan import PairJob
from .timing import HoldDetector, TimingSettings

# Measured CPU seconds per in-between per megapixel of the frame, for `--dry-run`'s estimate; from
# docs/BENCHMARKS.md "Difficulty-routed runs (issue 15)" (246 uniq cases of four real clips, 2 cores; gmfss's on a
# shared machine). A backend missing here is estimated at the dearest measured one.
CPU_SECONDS_PER_MEGAPIXEL = {"duplicate": 0.001, "blend": 0.005, "flow": 0.24, "rife": 1.06, "gmfss": 47.0}
QUOTA_HORIZON = 32  # moving pairs over which a run behind (or ahead of) its quota makes up the difference
# Pairs a run may be ahead of its quota at any point: room for a burst of hard pairs (with 1, a sixth of the
# hardest tenth of random scores is turned away at budget 0.2; with 4, a few in a hundred). It grows from 1 by one
# pair per QUOTA_SLACK_PAIRS moving pairs, so a short clip stays close to its budget.
QUOTA_SLACK = 4
QUOTA_SLACK_PAIRS = 20


@dataclass(frozen=True)
class RouteSettings:
    """A ladder of backend names in cost order and how many moving pairs may go above its first rung."""

    ladder: tuple[str, ...]
    budget: float = 0.3  # share of moving pairs allowed above the first rung, 0..1
    threshold: float = 0.0  # a pair scoring at most this stays on the first rung (good enough), budget or not
    window: int = 256  # recent moving pairs whose scores set the quantile

    def __post_init__(self):
        if not self.ladder:
            raise SettingsError("route ladder is empty; name at least one backend, e.g. flow,gmfss")
        if len(set(self.ladder)) != len(self.ladder):
            raise SettingsError(f"route ladder names a backend twice: {','.join(self.ladder)}")
        if not 0.0 <= self.budget <= 1.0:
            raise SettingsError(f"route budget must be a share in [0, 1], got {self.budget}")
        if self.threshold < 0:
            raise SettingsError(f"route threshold must be 0 or more, got {self.threshold}")
        if self.window < 8:
            raise SettingsError(f"route window must be at least 8 pairs, got {self.window}")


class BudgetRouter:
    """Decides each moving pair's rung from its score, in stream order (see the module docstring)."""

    def __init__(self, settings: RouteSettings):
        self.settings = settings
        self._recent: deque[float] = deque()
        self._sorted: list[float] = []  # the same scores, sorted
        self.moving = 0
        self.promoted = 0

    def route(self, score: float) -> int:
        """The rung (index into the ladder) of the next moving pair, whose difficulty is `score`."""
        rank = bisect.bisect_left(self._sorted, score) / len(self._sorted) if self._sorted else 0.5
        self._remember(score)
        self.moving += 1
        budget, upper_rungs = self.settings.budget, len(self.settings.ladder) - 1
        if upper_rungs == 0 or budget == 0.0 or score <= self.settings.threshold:
            return 0
        behind = budget * (self.moving - 1) - self.promoted  # > 0: fewer went up so far than the budget allows
        share = min(1.0, max(0.0, budget + behind / QUOTA_HORIZON))
        slack = min(QUOTA_SLACK, 1 + self.moving // QUOTA_SLACK_PAIRS)
        if rank < 1.0 - share or self.promoted + 1 > budget * self.moving + slack:
            return 0
        self.promoted += 1
        band = (rank - (1.0 - share)) / share if share > 0 else 0.0  # 0: just made it .. 1: the hardest seen
        return 1 + min(upper_rungs - 1, int(band * upper_rungs))

    def _remember(self, score: float) -> None:
        if len(self._recent) == self.settings.window:
            del self._sorted[bisect.bisect_left(self._sorted, self._recent.popleft())]
        self._recent.append(score)
        bisect.insort(self._sorted, score)


def route_scores(scores: list[float | None], settings: RouteSettings) -> list[int]:
    """Each pair's rung; None stands for a held pair (first rung, not counted)."""
    router = BudgetRouter(settings)
    return [0 if score is None else router.route(score) for score in scores]


@dataclass
class RouteCounts:
    """What a route sent to each rung: pairs, in-betweens, and megapixels of in-betweens (for the cost)."""

    ladder: tuple[str, ...]
    pairs: list[int] = field(default_factory=list)
    inbetweens: list[int] = field(default_factory=list)
    megapixels: list[float] = field(default_factory=list)
    held: int = 0  # pairs of one drawing held (first rung, cross-faded)

    def __post_init__(self):
        rungs = len(self.ladder)
        self.pairs, self.inbetweens, self.megapixels = [0] * rungs, [0] * rungs, [0.0] * rungs

    def add(self, rung: int, job: PairJob) -> None:
        height, width = job.left.frame.image.shape[:2]
        self.pairs[rung] += 1
        self.inbetweens[rung] += len(job.positions)
        self.megapixels[rung] += len(job.positions) * height * width / 1e6

    def estimated_seconds(self) -> list[float]:
        """CPU seconds per rung, from CPU_SECONDS_PER_MEGAPIXEL."""
        dearest = max(CPU_SECONDS_PER_MEGAPIXEL.values())
        return [self.megapixels[rung] * CPU_SECONDS_PER_MEGAPIXEL.get(name, dearest)
                for rung, name in enumerate(self.ladder)]

    def summary(self) -> str:
        """One line: pairs per backend, e.g. "pairs: flow 120 (8 held), gmfss 35"."""
        parts = [f"{name} {count}" + (f" ({self.held} held)" if rung == 0 and self.held else "")
                 for rung, (name, count) in enumerate(zip(self.ladder, self.pairs))]
        return "pairs: " + ", ".join(parts)


class JobRouter:
    """Stamps each pair job of a plan with its rung, in plan order, and counts what went where.

    `measure` gives a moving pair's difficulty score (the caller computes the flow it needs: planning stays free of
    backends); it is not called when nothing can go up (one rung, or budget 0). Jobs with no in-between to make
    pass untouched.
    """

    def __init__(self, settings: RouteSettings, measure: Callable[[Pair], float]):
        self.router = BudgetRouter(settings)
        self.measure = measure
        self.counts = RouteCounts(settings.ladder)
        self._holds = HoldDetector(TimingSettings.dedupe_threshold)
        self._is_routing = len(settings.ladder) > 1 and settings.budget > 0

    def stamp(self, job: PairJob) -> PairJob:
        if not job.positions:
            return job
        if self._is_held(job):
            self.counts.held += 1
            rung = 0
        else:
            rung = self.router.route(self.measure(job.pair) if self._is_routing else 0.0)
        self.counts.add(rung, job)
        return replace(job, rung=rung) if rung else job

    def _is_held(self, job: PairJob) -> bool:
        """Both keyframes show the same drawing (as backends/holds.py decides for the cross-fade)."""
        self._holds.restart(job.left.frame.image)
        return self._holds.is_same_drawing(job.right.frame.image)
