"""What a job did, video by video: the values behind the final table and `report.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from ..reporting.records import VideoQuality
from ..reporting.report_file import write_text_atomically

DONE, SKIPPED, FAILED = "done", "skipped", "failed"
EXIT_OK, EXIT_FAILED_VIDEOS = 0, 3


@dataclass(frozen=True)
class VideoReport:
    input: str
    output: str | None
    status: str  # done | skipped | failed
    reason: str = ""
    frames_in: int = 0
    frames_out: int = 0
    scenes: int = 0
    seconds: float = 0.0
    retried_units: int = 0
    quality: VideoQuality | None = None  # the quality section (None: not measured, failed or report: false)

    def as_dict(self) -> dict:
        plain = {item.name: getattr(self, item.name) for item in fields(self) if item.name != "quality"}
        return {**plain, "seconds": round(self.seconds, 3),
                "quality": self.quality.as_dict() if self.quality is not None else None}


@dataclass(frozen=True)
class JobReport:
    videos: tuple[VideoReport, ...]

    @property
    def exit_code(self) -> int:
        """0 when every video is done (or was already), 3 when some failed."""
        return EXIT_FAILED_VIDEOS if any(video.status == FAILED for video in self.videos) else EXIT_OK

    def count(self, status: str) -> int:
        return sum(video.status == status for video in self.videos)

    def write(self, path: Path) -> None:
        """Write `report.json` atomically."""
        videos = [video.as_dict() for video in self.videos]
        write_text_atomically(path, json.dumps({"videos": videos}, indent=2) + "\n")


@dataclass(frozen=True)
class VideoPlanReport:
    """One line of `--dry-run`: what the job would do for a video."""

    input: str
    output: str
    frames_in: int
    scenes: int
    chunks: int
    chunks_done: int
    pairs: int  # keyframe pairs the backend must fill
    inbetweens: int  # frames the backend must make
    frames_out: int
    is_done: bool  # the final file exists for exactly these settings
    problem: str = ""  # why the video cannot be planned (it would fail)
