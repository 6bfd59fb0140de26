"""What a quality report holds: one record per keyframe pair that the backend filled, and each video's records.

The confidence is not measured against true frames (a run has none): it is a monotone map of the pair's difficulty
score (`planning.difficulty`), 1 at score 0, 0.5 at `SCORE_AT_HALF`, falling towards 0 as the score grows, and, for
each in-between, raised towards 1 the closer it lies to one of the two keyframes (an in-between next to a keyframe
is mostly that keyframe). It ranks in-betweens by expected trouble; it is not a probability of being right.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..planning.difficulty import PairDifficulty

SCORE_AT_HALF = 8.0  # the difficulty score at which a pair's confidence is 0.5 (synthetic pairs score 0.1-3)


def pair_confidence(score: float) -> float:
    """1 / (1 + score / SCORE_AT_HALF): 1 for an easy pair, 0.5 at SCORE_AT_HALF, towards 0 for harder ones."""
    return 1.0 / (1.0 + max(0.0, score) / SCORE_AT_HALF)


def inbetween_confidence(pair_level: float, position: float) -> float:
    """The pair's confidence at the middle of the pair (position 0.5), rising linearly to 1 at either keyframe."""
    distance = 2.0 * min(position, 1.0 - position)  # 0 at a keyframe, 1 in the middle
    return 1.0 - (1.0 - pair_level) * distance


@dataclass(frozen=True)
class PairRecord:
    """One keyframe pair the backend filled: where it is, who filled it, how hard it looked, how much to trust it."""

    scene: int  # shot index in the video, from 0
    pair: int  # index among the video's filled pairs, from 0
    start_frame: int  # source frame index of keyframe 0 (after source conditioning)
    end_frame: int
    start_time: Fraction  # seconds
    end_time: Fraction
    backend: str  # the backend that made this pair's in-betweens
    difficulty: PairDifficulty
    outputs: tuple[int, ...]  # output frame index of each in-between
    positions: tuple[float, ...]  # position of each in-between inside the pair, in (0, 1)

    @property
    def confidence(self) -> float:
        return pair_confidence(self.difficulty.score)

    @property
    def confidences(self) -> tuple[float, ...]:
        return tuple(inbetween_confidence(self.confidence, position) for position in self.positions)

    def as_dict(self) -> dict:
        return {"scene": self.scene, "pair": self.pair, "start_frame": self.start_frame, "end_frame": self.end_frame,
                "start_time": _seconds(self.start_time), "end_time": _seconds(self.end_time),
                "backend": self.backend, **{name: round(value, 6) for name, value in self.difficulty.as_dict().items()},
                "confidence": round(self.confidence, 6), "outputs": list(self.outputs),
                "positions": list(self.positions),  # exact: the confidences are computed from them
                "confidences": [round(value, 6) for value in self.confidences]}

    @classmethod
    def from_dict(cls, data: dict) -> "PairRecord":
        difficulty = PairDifficulty(*(float(data[name]) for name in ("motion", "occluded", "residual", "line_miss",
                                                                      "change")))
        return cls(int(data["scene"]), int(data["pair"]), int(data["start_frame"]), int(data["end_frame"]),
                   Fraction(data["start_time"]), Fraction(data["end_time"]), str(data["backend"]), difficulty,
                   tuple(int(index) for index in data["outputs"]), tuple(float(value) for value in data["positions"]))


@dataclass(frozen=True)
class Thumbnail:
    """A pair shown small: both keyframes and their 50/50 overlay (how far things move), as base64 PNGs."""

    pair: int
    start_png: str
    end_png: str
    overlay_png: str


@dataclass(frozen=True)
class VideoQuality:
    """The quality section of one video: every filled pair, the hardest ones as thumbnails, and how it was measured."""

    backend: str  # the run's backend (each record names the one that filled its pair)
    pairs: tuple[PairRecord, ...]
    worst: tuple[Thumbnail, ...]  # hardest first
    measure: str  # how the difficulty was measured (flow resolution and preset)
    measure_seconds: float  # time spent measuring (not part of any comparison: it varies from run to run)

    def as_dict(self) -> dict:
        return {"backend": self.backend, "measure": self.measure, "measure_seconds": round(self.measure_seconds, 3),
                "pairs": [record.as_dict() for record in self.pairs],
                "worst": [{"pair": thumb.pair, "start_png": thumb.start_png, "end_png": thumb.end_png,
                           "overlay_png": thumb.overlay_png} for thumb in self.worst]}

    @classmethod
    def from_dict(cls, data: dict) -> "VideoQuality":
        return cls(str(data["backend"]), tuple(PairRecord.from_dict(item) for item in data["pairs"]),
                   tuple(Thumbnail(int(item["pair"]), item["start_png"], item["end_png"], item["overlay_png"])
                         for item in data["worst"]), str(data["measure"]), float(data["measure_seconds"]))


def _seconds(time: Fraction) -> str:
    """Exact seconds as text ("1001/24000"): JSON has no fractions, and a float would lose the frame grid."""
    return str(time)
