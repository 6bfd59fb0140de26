"""Durable progress of a job, in its output folder: finished chunks on disk and a small SQLite index of them.

Everything is keyed by `video_key`: a hash of the input's identity (path, size, modification time) and of every
setting that changes its output, so a changed setting or a replaced input never reuses old work. A chunk counts
as done only once its file has been renamed into place and its row committed; a video, once its final file has.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

from .spec import VideoSettings

STATE_FOLDER = ".toonbatch"
_FORMAT_VERSION = 1  # bump when the chunk layout changes, so older work is not mixed in
_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (video_key TEXT, chunk INTEGER, frames INTEGER, PRIMARY KEY (video_key, chunk));
CREATE TABLE IF NOT EXISTS videos (video_key TEXT PRIMARY KEY, input TEXT, output TEXT, frames_in INTEGER,
                                   frames_out INTEGER, scenes INTEGER);
"""


def video_key(input_path: Path, settings: VideoSettings, chunk_frames: int) -> str:
    """Identity of one video's work: input file identity + output-changing settings + chunking."""
    stat = input_path.stat()
    identity = f"{_FORMAT_VERSION}|{input_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{settings!r}|{chunk_frames}"
    return hashlib.sha256(identity.encode()).hexdigest()[:24]


class ProgressStore:
    """The job's `.toonbatch/` folder: `state.sqlite` and `work/<video_key>/chunk_000000.mkv`."""

    def __init__(self, output_folder: Path):
        self.folder = output_folder / STATE_FOLDER
        self.work = self.folder / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.folder / "state.sqlite", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed row survives a power cut, not only a kill
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def chunk_path(self, key: str, chunk: int) -> Path:
        return self.work / key / f"chunk_{chunk:06d}.mkv"

    def chunk_folder(self, key: str) -> Path:
        folder = self.work / key
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def done_chunks(self, key: str) -> dict[int, int]:
        """Finished chunks of a video (chunk -> output frames) whose files are still there."""
        rows = self._db.execute("SELECT chunk, frames FROM chunks WHERE video_key = ?", (key,)).fetchall()
        return {chunk: frames for chunk, frames in rows if self.chunk_path(key, chunk).is_file()}

    def record_chunk(self, key: str, chunk: int, frames: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?)", (key, chunk, frames))

    def finished_video(self, key: str, output: Path) -> tuple[int, int, int] | None:
        """(frames_in, frames_out, scenes) when this exact work already produced `output` and it still exists."""
        row = self._db.execute("SELECT output, frames_in, frames_out, scenes FROM videos WHERE video_key = ?",
                               (key,)).fetchone()
        if row is None or row[0] != str(output) or not output.is_file():
            return None
        return row[1], row[2], row[3]

    def record_video(self, key: str, input_path: Path, output: Path, counts: tuple[int, int, int]) -> None:
        """Mark a video finished and drop its chunks (the final file holds them now)."""
        self._db.execute("INSERT OR REPLACE INTO videos VALUES (?, ?, ?, ?, ?, ?)",
                         (key, str(input_path), str(output), *counts))
        self._db.execute("DELETE FROM chunks WHERE video_key = ?", (key,))
        shutil.rmtree(self.work / key, ignore_errors=True)
