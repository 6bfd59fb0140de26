"""One video's plan, cut into chunks: the durable and retryable pieces of an archive job.

A chunk is a run of consecutive keyframe intervals. It ends at a scene cut once it holds at least half of
`chunk_frames` source frames, and in any case at `chunk_frames`, so the boundaries depend only on the video and
the settings: a resumed run cuts the same chunks as the first one and can reuse the ones already on disk. The
frames are the conditioned ones (telecine woven back, fields deinterlaced, blends dropped: conditioning.py), so
the chunks, and the actors that render them, all see restored pictures at the restored rate.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterator

from ..conditioning import ConditionedSource
from ..planning.plan import PairJob, SlotPlanner
from ..planning.scenes import CutDetector
from ..pipeline import plan_router
from ..planning.timing import Key, select_keys
from .spec import VideoSettings


class ChunkedPlan:
    """Streams `(chunk, PairJob)` for a video, in output order; counts frames, shots and chunks as it goes.

    With a route (`backend: auto`), every pair is routed, also those of chunks already done, so a resumed run
    routes each pair as the first run did.
    """

    def __init__(self, source: ConditionedSource, settings: VideoSettings, chunk_frames: int):
        self.source = source
        self.settings = settings
        self.chunk_frames = chunk_frames
        self.output_rate: Fraction = settings.timing.output_rate(source.frame_rate)
        self.frames_in = 0
        self.scenes = 0
        self.num_chunks = 0
        self._times = (Fraction(0), Fraction(0))  # first and last frame time
        self.router = plan_router(settings.route, settings.backend)

    def jobs(self) -> Iterator[tuple[int, PairJob]]:
        planner = SlotPlanner(self.output_rate)
        chunk, chunk_start, previous = -1, 0, None
        for key in select_keys(self._marked_frames(), self.settings.timing):
            if previous is None or self._starts_chunk(key, chunk_start):
                chunk, chunk_start = chunk + 1, key.frame.index
                self.num_chunks = chunk + 1
            job = planner.add(key)
            if job is not None and job.slots:
                yield previous_chunk, self.router.stamp(job)
            previous, previous_chunk = key, chunk
        total = self.source.count_outputs(self.frames_in, *self._times, self.output_rate, self.settings.timing.factor)
        tail = planner.finish(total)
        if tail is not None and tail.slots:
            yield chunk, tail

    def _starts_chunk(self, key: Key, chunk_start: int) -> bool:
        length = key.frame.index - chunk_start
        return length >= self.chunk_frames or (key.starts_shot and 2 * length >= self.chunk_frames)

    def _marked_frames(self):
        """(frame, starts_shot) in decode order, counting frames and shots."""
        detector = CutDetector(self.settings.scenes, self.source.frame_rate)
        for frame in self.source.frames():
            starts_shot = detector.is_cut(frame.image)
            if self.frames_in == 0:
                self._times = (frame.time, frame.time)
            self.frames_in += 1
            self.scenes += starts_shot or self.frames_in == 1
            self._times = (self._times[0], frame.time)
            yield frame, starts_shot
