"""Records the difficulty of every pair a run fills, as the plan streams past (bounded memory but for the records).

The difficulty is measured apart from the backend, on keyframes shrunk to `flow_width` with DIS's fastest preset,
so it costs the same whatever the backend and never changes an output frame.
"""

from __future__ import annotations

import base64
import heapq
import time
from dataclasses import astuple
from typing import Iterable, Iterator

import cv2
import numpy as np

from ..backends.flow import FlowInterpolator
from ..backends.flow_estimate import estimate_pair_flow
from ..planning.difficulty import PairDifficulty, measure_difficulty
from ..planning.plan import PairJob
from .records import PairRecord, Thumbnail, VideoQuality

WORST_KEPT = 6  # thumbnails per video


class QualityRecorder:
    """Feed it a video's pair jobs in output order (`watch` or `record`); `result()` is the video's section."""

    def __init__(self, backend: str, flow_width: int = 160, preset: str = "ultrafast", ladder: tuple[str, ...] = ()):
        self.backend = backend
        self._ladder = ladder  # a routed run's rungs (--backend auto): each pair is recorded with the one that made it
        self._flow = FlowInterpolator(flow_width=flow_width, preset=preset)
        self._records: list[PairRecord] = []
        self._worst: list[tuple[float, int, Thumbnail]] = []  # min-heap of the hardest pairs: (score, -pair, thumb)
        self._scene = 0
        self._seconds = 0.0

    def watch(self, jobs: Iterable[PairJob]) -> Iterator[PairJob]:
        """`jobs`, unchanged, each recorded on its way through."""
        for job in jobs:
            self.record(job)
            yield job

    def record(self, job: PairJob) -> None:
        if job.positions and job.right is not None:
            started = time.perf_counter()
            self._measure(job)
            self._seconds += time.perf_counter() - started
        if job.right is not None and job.right.starts_shot:
            self._scene += 1

    def result(self) -> VideoQuality:
        worst = tuple(thumb for _, _, thumb in sorted(self._worst, reverse=True))
        measure = f"DIS {self._flow.preset} flow at most {self._flow.flow_width} px wide"
        return VideoQuality(self.backend, tuple(self._records), worst, measure, self._seconds)

    def _measure(self, job: PairJob) -> None:
        pair = job.pair
        start, end = self._flow.shrink(pair.start), self._flow.shrink(pair.end)
        flow = estimate_pair_flow(start, end, self._flow.preset)
        measured = measure_difficulty(start, end, flow.forward, flow.forward_with_error[..., 2])
        # rounded as the JSON keeps them, so a report read back computes the same scores and confidences
        difficulty = PairDifficulty(*(round(value, 6) for value in astuple(measured)))
        left, right = job.left.frame, job.right.frame
        inbetweens = [slot for slot in job.slots if not slot.is_copy]
        record = PairRecord(self._scene, len(self._records), left.index, right.index, left.time, right.time,
                            self._ladder[job.rung] if self._ladder else self.backend, difficulty,
                            tuple(slot.index for slot in inbetweens),
                            tuple(slot.position for slot in inbetweens))
        self._records.append(record)
        self._keep_if_worst(record, start, end)

    def _keep_if_worst(self, record: PairRecord, start: np.ndarray, end: np.ndarray) -> None:
        entry_key = (record.difficulty.score, -record.pair)  # ties: the earlier pair counts as harder
        if len(self._worst) == WORST_KEPT and entry_key <= self._worst[0][:2]:
            return
        thumb = Thumbnail(record.pair, _png(start), _png(end), _png(cv2.addWeighted(start, 0.5, end, 0.5, 0.0)))
        if len(self._worst) < WORST_KEPT:
            heapq.heappush(self._worst, (*entry_key, thumb))
        else:
            heapq.heapreplace(self._worst, (*entry_key, thumb))


def _png(image: np.ndarray) -> str:
    """RGB uint8 -> base64 PNG text."""
    _, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return base64.b64encode(data.tobytes()).decode("ascii")
