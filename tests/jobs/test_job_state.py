"""The key of a video's done work: it changes with the input, the settings and the model files the backend loads."""

import os
import sqlite3
from pathlib import Path

import pytest

from tooncrafter_batch.jobs import state
from tooncrafter_batch.jobs.spec import parse_job
from tooncrafter_batch.jobs.state import ProgressStore, video_key


def _settings(folder: Path, backend_lines: str):
    job = parse_job(f"inputs: [a.mp4]\noutput: out\nfactor: 4\n{backend_lines}", folder / "job.yaml")
    return job.settings_for("a.mp4")


@pytest.fixture
def clip(tmp_path) -> Path:
    path = tmp_path / "a.mp4"
    path.write_bytes(b"only its identity is read")
    return path


def _replace(path: Path, content: bytes, mtime_ns: int | None = None) -> None:
    path.write_bytes(content)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_swapped_checkpoint_invalidates_the_work(clip, tmp_path):
    weights = tmp_path / "weights" / "model.ckpt"
    weights.parent.mkdir()
    _replace(weights, b"1" * 10, 1_700_000_000_000_000_000)
    settings = _settings(tmp_path, "backend: tooncrafter\nmodel: {checkpoint: weights/model.ckpt, steps: 10}\n")
    first = video_key(clip, settings, 96)
    assert video_key(clip, settings, 96) == first, "the same files and settings give the same key"
    _replace(weights, b"2" * 10, 1_700_000_000_000_000_000)
    assert video_key(clip, settings, 96) == first, "path, size and modification time are the identity, not bytes"
    _replace(weights, b"2" * 10, 1_700_000_000_000_000_001)
    second = video_key(clip, settings, 96)
    assert second != first, "new weights with a new modification time"
    _replace(weights, b"2" * 11, 1_700_000_000_000_000_001)
    assert video_key(clip, settings, 96) not in (first, second), "new weights of another size"


def test_default_checkpoint_and_model_config_count_too(clip, tmp_path, monkeypatch):
    default = tmp_path / "default.ckpt"
    default.write_bytes(b"official")
    monkeypatch.setattr(state, "DEFAULT_CHECKPOINT", default)
    config = tmp_path / "tiny.yaml"
    config.write_text("kind: tooncrafter\n")
    plain = _settings(tmp_path, "backend: tooncrafter\nmodel: {config: tiny.yaml}\n")
    random = _settings(tmp_path, "backend: tooncrafter\nmodel: {random_weights: true}\n")
    before = video_key(clip, plain, 96), video_key(clip, random, 96)
    default.write_bytes(b"fine-tuned weights")
    assert video_key(clip, plain, 96) != before[0], "no checkpoint option: the default file is the one loaded"
    assert video_key(clip, random, 96) == before[1], "random weights load no file"
    changed = video_key(clip, plain, 96)
    config.write_text("kind: tooncrafter\nheight: 320\n")
    assert video_key(clip, plain, 96) != changed


def test_input_settings_and_chunking_change_the_key(clip, tmp_path):
    flow = _settings(tmp_path, "backend: flow\n")
    key = video_key(clip, flow, 96)
    assert video_key(clip, _settings(tmp_path, "backend: blend\n"), 96) != key
    assert video_key(clip, _settings(tmp_path, "backend: flow\nsource: telecine\n"), 96) != key
    assert video_key(clip, flow, 48) != key
    _replace(clip, b"another episode under the same name")
    assert video_key(clip, flow, 96) != key
    assert state._model_files(flow.backend) == []


def test_work_recorded_before_jobs_were_named_counts_for_every_job(tmp_path):
    """A state.sqlite from before the work table named its job file: its rows are taken up, not lost."""
    folder = tmp_path / ".toonbatch"
    folder.mkdir()
    with sqlite3.connect(folder / "state.sqlite") as old:
        old.execute("CREATE TABLE work (video_key TEXT PRIMARY KEY, input TEXT)")
        old.execute("INSERT INTO work VALUES ('oldkey', '/videos/a.mp4')")
    store = ProgressStore(tmp_path)
    store.record_work("otherjob", Path("/videos/a.mp4"), Path("/jobs/other.yaml"))
    try:
        stale = store.stale_work({Path("/videos/a.mp4"): "newkey"}, Path("/jobs/mine.yaml"))
    finally:
        store.close()
    assert stale == ["oldkey"]  # the untagged row is stale for this job; the other job's row is not
