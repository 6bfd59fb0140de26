"""Durable progress of a job, in its output folder: finished chunks on disk and a small SQLite index of them.

Everything is keyed by `video_key`: a hash of the input's identity (path, size, modification time), of every
setting that changes its output and of the model files its backend loads, so a changed setting, a replaced input
or swapped weights never reuse old work. A chunk counts as done only once its file has been renamed into place
and its row committed; a video, once its final file has.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import threading
from pathlib import Path

from ..backends.base import BackendSpec
from ..weights.store import DEFAULT_CHECKPOINT
from .spec import VideoSettings

STATE_FOLDER = ".toonbatch"
_FORMAT_VERSION = 1  # bump when the chunk layout changes, so older work is not mixed in
_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (video_key TEXT, chunk INTEGER, frames INTEGER, PRIMARY KEY (video_key, chunk));
CREATE TABLE IF NOT EXISTS videos (video_key TEXT PRIMARY KEY, input TEXT, output TEXT, frames_in INTEGER,
                                   frames_out INTEGER, scenes INTEGER);
CREATE TABLE IF NOT EXISTS work (video_key TEXT PRIMARY KEY, input TEXT, job TEXT);
"""
_FILE_OPTIONS = ("config", "checkpoint", "weights")  # backend options naming files whose contents change the output


def video_key(input_path: Path, settings: VideoSettings, chunk_frames: int) -> str:
    """Identity of one video's work: input file + output-changing settings + model files + chunking."""
    files = "|".join(_file_identity(path) for path in [input_path, *_model_files(settings.backend)])
    identity = f"{_FORMAT_VERSION}|{files}|{settings!r}|{chunk_frames}"
    return hashlib.sha256(identity.encode()).hexdigest()[:24]


def _model_files(backend: BackendSpec) -> list[Path]:
    """The files a backend loads: its `config` and `checkpoint` options, or the default ToonCrafter checkpoint; the
    learned backends' weights manifest."""
    options = backend.option_dict()
    files = [Path(str(options[name])) for name in _FILE_OPTIONS if name in options]
    if backend.name == "tooncrafter" and "checkpoint" not in options and not options.get("random_weights"):
        files.append(DEFAULT_CHECKPOINT)
    if options.get("weights_dir") is not None:  # rife, gmfss: the manifest changes with the weights it lists
        files.append(Path(str(options["weights_dir"])) / "manifest.json")
    return files


def _file_identity(path: Path) -> str:
    """Path, size and modification time: enough to notice a replaced file without reading gigabytes of it."""
    try:
        stat = path.stat()
    except OSError:
        return f"{path.resolve()}|missing"
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


class ProgressStore:
    """The job's `.toonbatch/` folder: `state.sqlite` and `work/<video_key>/chunk_000000.mkv`.

    Safe to share between the threads of one run (one per video in flight).
    """

    def __init__(self, output_folder: Path):
        self.folder = output_folder / STATE_FOLDER
        self.work = self.folder / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.folder / "state.sqlite", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed row survives a power cut, not only a kill
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(work)")}
        if "job" not in columns:  # a folder from before work was tagged with its job: its rows count for every job
            self._db.execute("ALTER TABLE work ADD COLUMN job TEXT")

    def close(self) -> None:
        self._db.close()

    def chunk_path(self, key: str, chunk: int) -> Path:
        return self.work / key / f"chunk_{chunk:06d}.mkv"

    def chunk_folder(self, key: str) -> Path:
        folder = self.work / key
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    def done_chunks(self, key: str) -> dict[int, int]:
        """Finished chunks of a video (chunk -> output frames) whose files are still there."""
        rows = self._query("SELECT chunk, frames FROM chunks WHERE video_key = ?", (key,))
        return {chunk: frames for chunk, frames in rows if self.chunk_path(key, chunk).is_file()}

    def record_work(self, key: str, input_path: Path, job: Path) -> None:
        """Note that work of job file `job` for `input_path` under `key` may be on disk (so that job can find it
        stale later)."""
        self._query("INSERT OR IGNORE INTO work VALUES (?, ?, ?)", (key, str(input_path), str(job)))

    def record_chunk(self, key: str, chunk: int, frames: int) -> None:
        self._query("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?)", (key, chunk, frames))

    def finished_video(self, key: str, output: Path) -> tuple[int, int, int] | None:
        """(frames_in, frames_out, scenes) when this exact work already produced `output` and it still exists."""
        rows = self._query("SELECT output, frames_in, frames_out, scenes FROM videos WHERE video_key = ?", (key,))
        if not rows or rows[0][0] != str(output) or not output.is_file():
            return None
        return rows[0][1], rows[0][2], rows[0][3]

    def forget_output(self, output: Path) -> None:
        """`output` is about to be replaced: no earlier work may claim it as its result any more."""
        self._query("DELETE FROM videos WHERE output = ?", (str(output),))

    def record_video(self, key: str, input_path: Path, output: Path, counts: tuple[int, int, int]) -> None:
        """Mark a video finished and drop its chunks (the final file holds them now)."""
        self._query("INSERT OR REPLACE INTO videos VALUES (?, ?, ?, ?, ?, ?)",
                    (key, str(input_path), str(output), *counts))
        self.remove_work(key)

    def stale_work(self, current_keys: dict[Path, str], job: Path) -> list[str]:
        """Keys of work that job file `job` left on disk for these inputs under other keys: its earlier settings,
        an input since replaced. Another job file sharing the output folder keeps its own work."""
        rows = self._query("SELECT video_key, input, job FROM work")
        return [key for key, input_path, owner in rows
                if owner in (None, str(job)) and Path(input_path) in current_keys
                and current_keys[Path(input_path)] != key]

    def remove_work(self, key: str) -> None:
        """Delete a video's chunks and their records."""
        self._query("DELETE FROM chunks WHERE video_key = ?", (key,))
        shutil.rmtree(self.work / key, ignore_errors=True)
        self._query("DELETE FROM work WHERE video_key = ?", (key,))
