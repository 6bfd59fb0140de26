"""Shared pieces of the job tests: the synthetic clips, job files and decoded outputs."""

import threading
from fractions import Fraction
from pathlib import Path

import numpy as np

from tooncrafter_batch.synthetic import CartoonSpec
from tooncrafter_batch.video.decode import open_video

CLIPS = {
    "show/ep1.mp4": CartoonSpec(width=96, height=64, num_frames=30, frame_rate=Fraction(24000, 1001), cut_at_frame=14),
    "show/extras/ep2.mkv": CartoonSpec(width=80, height=48, num_frames=20, seed=3, with_audio=False),
    "ep3.mp4": CartoonSpec(width=64, height=48, num_frames=16, seed=5),
}


def write_job(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "job.yaml"
    path.write_text(text)
    return path


def read_frames(path: Path) -> list[np.ndarray]:
    return [frame.image for frame in open_video(path).frames()]


def assert_same_videos(first: Path, second: Path) -> None:
    frames_a, frames_b = read_frames(first), read_frames(second)
    assert len(frames_a) == len(frames_b)
    for index, (frame_a, frame_b) in enumerate(zip(frames_a, frames_b)):
        assert np.array_equal(frame_a, frame_b), f"frame {index} of {first.name} differs"


class CountingProgress:
    """A Progress that counts what it is told (from any thread), and can act on the first advance of a task."""

    def __init__(self, on_first=None):
        self.totals: dict[str, int | None] = {}
        self.counts: dict[str, int] = {}
        self._on_first = on_first or {}
        self._lock = threading.Lock()

    def start(self, task, total):
        self.totals[task] = total
        self.counts.setdefault(task, 0)

    def advance(self, task, amount=1):
        with self._lock:
            self.counts[task] = self.counts.get(task, 0) + amount
            action = self._on_first.pop(task, None)
        if action is not None:
            action()

    def close(self):
        pass
