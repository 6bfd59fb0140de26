"""The same input and job give the same output bytes: twice, in chunks of any size, one or several videos at a time,
on local threads or Ray actors, and after the driver is killed (SIGKILL) at any point and the job resumed."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from job_cases import write_job

from tooncrafter_batch.jobs.runner import JobRunner
from tooncrafter_batch.jobs.spec import load_job

OUTPUTS = ("ep3_x4.mp4", "show/ep1_x4.mp4", "show/extras/ep2_x4.mkv")


def _job_text(archive: Path, extra: str = "") -> str:
    return f"inputs: [{archive}]\noutput: out\nfactor: 4\nbackend: flow\nchunk_frames: 4\n{extra}"


def _digests(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / "out" / name).read_bytes()).hexdigest() for name in OUTPUTS}


def _run(folder: Path, text: str) -> dict[str, str]:
    report = JobRunner(load_job(write_job(folder, text))).run()
    assert report.exit_code == 0, [video.reason for video in report.videos]
    return _digests(folder)


@pytest.fixture(scope="module")
def reference(clean_archive, tmp_path_factory) -> dict[str, str]:
    return _run(tmp_path_factory.mktemp("reference"), _job_text(clean_archive))


def test_the_same_job_twice_gives_the_same_bytes(clean_archive, reference, tmp_path):
    assert _run(tmp_path, _job_text(clean_archive)) == reference


@pytest.mark.parametrize("extra", [
    pytest.param("chunk_frames: 64\n", id="one-chunk-per-video"),
    pytest.param("chunk_frames: 6\nvideos_in_flight: 1\n", id="other-chunks-one-video-at-a-time"),
    pytest.param("videos_in_flight: 3\n", id="three-videos-at-once"),
])
def test_chunking_and_concurrency_change_no_byte(clean_archive, reference, tmp_path, extra):
    text = _job_text(clean_archive).replace("chunk_frames: 4\n", "") if "chunk_frames" in extra else \
        _job_text(clean_archive)
    assert _run(tmp_path, text + extra) == reference


def test_ray_actors_give_the_bytes_of_one_local_thread(clean_archive, reference, tmp_path, monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    assert _run(tmp_path, _job_text(clean_archive, "resources: {actors: 2, cpus_per_actor: 0.5}\n")) == reference


def _partial_outputs(out: Path) -> list[Path]:
    return [path for path in out.rglob(".*.partial-*") if ".toonbatch" not in path.parts]


KILL_POINTS = {
    "after-the-first-chunk": lambda out: len(list(out.glob(".toonbatch/work/*/chunk_*.mkv"))) >= 1,
    "after-three-chunks-of-a-video": lambda out: any(len(list(folder.glob("chunk_*.mkv"))) >= 3
                                                     for folder in out.glob(".toonbatch/work/*")),
    "while-writing-a-final-file": lambda out: bool(_partial_outputs(out)),
}


def _kill_and_resume(job: Path, point: str) -> None:
    """Run `job` in a driver killed (SIGKILL) at `point`, then run it again to the end here."""
    out = job.parent / "out"
    driver = subprocess.Popen([sys.executable, "-c", "from tooncrafter_batch.cli import run; run()", "run",
                               str(job), "--quiet"], cwd=job.parent, start_new_session=True)
    deadline = time.monotonic() + 120
    while not KILL_POINTS[point](out) and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    if driver.poll() is None:
        os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    assert driver.returncode == -signal.SIGKILL, f"the driver finished before it reached {point}"
    assert not (out / "report.json").exists()
    report = JobRunner(load_job(job)).run()
    assert report.exit_code == 0 and {video.status for video in report.videos} == {"done"}
    assert not _partial_outputs(out), "the killed driver's temporary files are gone"


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_anywhere_then_resumed_gives_the_same_bytes(clean_archive, reference, tmp_path, point):
    _kill_and_resume(write_job(tmp_path, _job_text(clean_archive, "videos_in_flight: 1\n")), point)
    assert _digests(tmp_path) == reference


def test_a_routed_job_resumed_or_chunked_otherwise_routes_every_pair_the_same(clean_archive, tmp_path):
    route = "backend: auto\nroute: {ladder: [flow, blend], budget: 0.4}\nvideos_in_flight: 1\n"
    text = _job_text(clean_archive, route).replace("backend: flow\n", "")
    routed = _run(tmp_path / "straight", text)
    assert routed != _run(tmp_path / "flow", _job_text(clean_archive)), "some pairs were routed to blend"
    assert _run(tmp_path / "chunks", text.replace("chunk_frames: 4", "chunk_frames: 64")) == routed
    _kill_and_resume(write_job(tmp_path / "resumed", text), "after-three-chunks-of-a-video")
    assert _digests(tmp_path / "resumed") == routed
