"""Archive runs on the local executor: bad files reported, outputs exact, re-runs idempotent, resume after kill -9."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from job_cases import CLIPS, CountingProgress, assert_same_videos, read_frames, write_job

from tooncrafter_batch.backends.baseline import BlendInterpolator
from tooncrafter_batch.errors import InputError, JobSpecError, ToonbatchError
from tooncrafter_batch.conditioning import condition_source
from tooncrafter_batch.jobs.chunks import ChunkedPlan
from tooncrafter_batch.jobs.runner import JobRunner
from tooncrafter_batch.jobs.spec import load_job
from tooncrafter_batch.video.decode import open_video


def _job(folder: Path, archive: Path, extra: str = "") -> Path:
    return write_job(folder, f"inputs: [{archive}]\noutput: out\nfactor: 4\nbackend: blend\nchunk_frames: 8\n{extra}")


def test_messy_archive_reports_each_file_and_renders_the_rest(messy_archive, tmp_path):
    report = JobRunner(load_job(_job(tmp_path, messy_archive))).run()
    assert report.exit_code == 3
    by_name = {Path(video.input).name: video for video in report.videos}
    assert by_name["notes.txt"].status == "skipped" and by_name["notes.txt"].reason == "not a video file"
    assert by_name["broken.mp4"].status == "failed" and "corrupt" in by_name["broken.mp4"].reason
    assert by_name["empty.mov"].status == "failed" and "empty (0 bytes)" in by_name["empty.mov"].reason
    for name, spec in CLIPS.items():
        video = by_name[Path(name).name]
        assert video.status == "done", video.reason
        assert (video.frames_in, video.frames_out) == (spec.num_frames, 4 * spec.num_frames)
        decoded = open_video(Path(video.output))
        assert decoded.info.frame_rate == Fraction(spec.frame_rate) * 4
        assert len(read_frames(Path(video.output))) == 4 * spec.num_frames
        assert decoded.info.has_audio == spec.with_audio
    assert by_name["ep1.mp4"].scenes == 2
    assert (tmp_path / "out" / "show" / "extras" / "ep2_x4.mkv").is_file(), "sub-folders are kept"
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {video["status"] for video in written["videos"]} == {"done", "skipped", "failed"}
    assert set(written["videos"][0]) == {"input", "output", "status", "reason", "frames_in", "frames_out", "scenes",
                                         "seconds", "retried_units", "quality"}


def test_second_run_rewrites_nothing_and_changed_settings_redo_the_work(clean_archive, tmp_path):
    job = _job(tmp_path, clean_archive)
    assert JobRunner(load_job(job)).run().exit_code == 0
    outputs = sorted((tmp_path / "out").rglob("*_x4.*"))
    assert len(outputs) == 3
    stamps = {path: path.stat().st_mtime_ns for path in outputs}
    progress = CountingProgress()
    again = JobRunner(load_job(job), progress=progress).run()
    assert again.exit_code == 0
    assert {video.reason for video in again.videos} == {"already done"}
    assert progress.counts["frames out"] == 0
    assert {path: path.stat().st_mtime_ns for path in outputs} == stamps
    _job(tmp_path, clean_archive, "encoder: {crf: 30}\n")
    changed = JobRunner(load_job(job)).run()
    assert {video.status for video in changed.videos} == {"done"}
    assert all(path.stat().st_mtime_ns != stamps[path] for path in outputs)
    _job(tmp_path, clean_archive)  # back to the first settings: the files now hold crf 30, so they are redone
    assert {video.status for video in JobRunner(load_job(job)).run().videos} == {"done"}


def _switches(sizes: list) -> int:
    return sum(before != after for before, after in zip(sizes, sizes[1:]))


def test_videos_run_at_once_with_the_frames_of_one_at_a_time(clean_archive, tmp_path, monkeypatch):
    sizes = []  # the frame size of every backend call, in call order: each clip has its own size
    original = BlendInterpolator.interpolate

    def recording(self, pairs, times):
        sizes.append(pairs[0].start.shape)
        time.sleep(0.005)  # so that every video's thread is up before the first video is through
        return original(self, pairs, times)

    monkeypatch.setattr(BlendInterpolator, "interpolate", recording)
    one_at_a_time = JobRunner(load_job(_job(tmp_path / "one", clean_archive, "videos_in_flight: 1\n"))).run()
    assert _switches(sizes) == len(CLIPS) - 1, "one video after the other"
    sizes.clear()
    at_once = JobRunner(load_job(_job(tmp_path / "all", clean_archive, "videos_in_flight: 3\n"))).run()
    assert _switches(sizes) > 2 * len(CLIPS), "the one worker's calls alternate between videos"
    assert one_at_a_time.exit_code == at_once.exit_code == 0
    for first, second in zip(one_at_a_time.videos, at_once.videos):
        assert first.input == second.input and first.frames_out == second.frames_out
        assert_same_videos(Path(first.output), Path(second.output))


def test_a_video_whose_units_fail_leaves_the_others_running_beside_it(clean_archive, tmp_path, monkeypatch):
    original = BlendInterpolator.interpolate

    def failing_for_ep3(self, pairs, times):
        if pairs[0].start.shape == (CLIPS["ep3.mp4"].height, CLIPS["ep3.mp4"].width, 3):
            raise RuntimeError("out of memory on this frame size")
        return original(self, pairs, times)

    monkeypatch.setattr(BlendInterpolator, "interpolate", failing_for_ep3)
    report = JobRunner(load_job(_job(tmp_path, clean_archive, "videos_in_flight: 3\n"))).run()
    assert report.exit_code == 3
    by_name = {Path(video.input).name: video for video in report.videos}
    assert by_name["ep3.mp4"].status == "failed" and "out of memory" in by_name["ep3.mp4"].reason
    for name, spec in ((name, spec) for name, spec in CLIPS.items() if name != "ep3.mp4"):
        video = by_name[Path(name).name]
        assert video.status == "done" and len(read_frames(Path(video.output))) == 4 * spec.num_frames


def test_chunks_end_at_cuts_and_are_the_same_every_time(clean_archive):
    settings = load_job(_job(clean_archive.parent / "chunks", clean_archive)).settings_for("show/ep1.mp4")

    def chunk_starts():
        plan = ChunkedPlan(condition_source(open_video(clean_archive / "show/ep1.mp4"), settings.source), settings,
                           chunk_frames=8)
        starts = {}
        for chunk, job in plan.jobs():
            starts.setdefault(chunk, job.left.frame.index)
        return starts

    first = chunk_starts()
    assert first == {0: 0, 1: 8, 2: 14, 3: 22}, "a chunk ends at the cut (frame 14) once it is half full"
    assert chunk_starts() == first


def test_dry_run_plans_without_rendering(messy_archive, tmp_path):
    runner = JobRunner(load_job(_job(tmp_path, messy_archive)))
    plans = {Path(plan.input).name: plan for plan in runner.plan()}
    assert plans["ep1.mp4"].frames_in == 30 and plans["ep1.mp4"].frames_out == 120
    assert plans["ep1.mp4"].chunks == 4 and plans["ep1.mp4"].chunks_done == 0 and not plans["ep1.mp4"].is_done
    # 14 + 16 frames in two shots: 13 + 15 pairs get 3 in-betweens; the cut and the last frame are held copies
    assert (plans["ep1.mp4"].pairs, plans["ep1.mp4"].inbetweens) == (28, 84)
    assert plans["broken.mp4"].problem
    assert not list((tmp_path / "out").rglob("*_x4.*"))


def test_missing_input_and_clashing_outputs_stop_the_job(clean_archive, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        JobRunner(load_job(_job(tmp_path, clean_archive / "nothing-here"))).run()
    job = write_job(tmp_path, f"inputs: [{clean_archive}]\noutput: out\nfactor: 2\nname_template: 'all{{ext}}'\n")
    with pytest.raises(JobSpecError, match="would both be written"):
        JobRunner(load_job(job)).run()


def test_driver_killed_then_resumed_gives_the_same_frames(clean_archive, tmp_path):
    job_text = (f"inputs: ['{clean_archive}/show/**/*']\noutput: out\nfactor: 4\nbackend: flow\nchunk_frames: 4\n")
    reference = write_job(tmp_path / "reference", job_text)
    JobRunner(load_job(reference)).run()
    killed = write_job(tmp_path / "killed", job_text)
    driver = subprocess.Popen([sys.executable, "-c", "from tooncrafter_batch.cli import run; run()", "run",
                               str(killed), "--quiet"], cwd=tmp_path, start_new_session=True)
    work = tmp_path / "killed" / "out" / ".toonbatch" / "work"
    deadline = time.monotonic() + 60
    while len(list(work.glob("*/chunk_*.mkv"))) < 2 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    assert driver.returncode == -signal.SIGKILL, "the driver finished before it could be killed"
    assert not (tmp_path / "killed" / "out" / "report.json").exists()
    chunks_on_disk = len(list(work.glob("*/chunk_*.mkv")))
    assert chunks_on_disk >= 2
    progress = CountingProgress()
    report = JobRunner(load_job(killed), progress=progress).run()
    assert report.exit_code == 0 and {video.status for video in report.videos} == {"done"}
    total = sum(video.frames_out for video in report.videos)
    assert progress.counts["frames out"] < total, "finished chunks were not rendered again"
    assert not list((tmp_path / "killed" / "out").rglob(".*.partial-*")), "the killed driver's temporary files are gone"
    for name in ("ep1_x4.mp4", "ep2_x4.mkv"):  # a glob match has no sub-folder of its own
        assert_same_videos(tmp_path / "reference" / "out" / name, tmp_path / "killed" / "out" / name)


def test_ctrl_c_stops_every_video_and_keeps_their_finished_chunks(clean_archive, tmp_path, monkeypatch):
    calls = []
    original = BlendInterpolator.interpolate

    def interrupted(self, pairs, times):
        calls.append(pairs[0].start.shape)
        if len(calls) == 16:  # a Ctrl-C that the OS hands to this worker thread, not to the main one
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        time.sleep(0.05)
        return original(self, pairs, times)

    job = write_job(tmp_path, f"inputs: [{clean_archive}]\noutput: out\nfactor: 4\nbackend: blend\nchunk_frames: 4\n")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh `toonbatch` process
    try:
        with monkeypatch.context() as patch:
            patch.setattr(BlendInterpolator, "interpolate", interrupted)
            with pytest.raises(KeyboardInterrupt):
                JobRunner(load_job(job)).run()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert len(set(calls)) > 1, "several videos were running"
    assert len(calls) < 45, f"{len(calls)} of about 60 backend calls: the videos did not stop"
    assert not (tmp_path / "out" / "report.json").exists()
    assert list((tmp_path / "out" / ".toonbatch" / "work").glob("*/chunk_*.mkv")), "finished chunks are kept"
    report = JobRunner(load_job(job)).run()
    assert report.exit_code == 0
    assert [video.frames_out for video in report.videos] == [4 * spec.num_frames for spec in
                                                              (CLIPS["ep3.mp4"], CLIPS["show/ep1.mp4"],
                                                               CLIPS["show/extras/ep2.mkv"])]


def test_a_learned_backend_runs_a_job_with_its_weights_found_once(clean_archive, tmp_path):
    from tooncrafter_batch.backends.learned_options import LearnedOptions, locate_learned_weights

    try:
        locate_learned_weights(LearnedOptions(), "rife")
    except ToonbatchError as error:
        pytest.skip(f"rife weights absent ({error})")
    job = write_job(tmp_path, f"inputs: ['{clean_archive}/ep3.mp4']\noutput: out\nfactor: 2\nbackend: rife\n")
    settings = load_job(job).settings_for("ep3.mp4")
    assert Path(settings.backend.option_dict()["weights_dir"]).is_absolute(), "actors started elsewhere find it"
    report = JobRunner(load_job(job)).run()
    assert report.exit_code == 0 and report.videos[0].frames_out == 2 * CLIPS["ep3.mp4"].num_frames


@pytest.mark.parametrize("model, message", [
    pytest.param("{bogus: 1}", "unexpected keyword argument 'bogus'", id="unknown-key"),
    pytest.param("{dtype: fp16}", "needs device cuda", id="half-on-cpu"),
    pytest.param("{weights_dir: nowhere}", "no rife weights in", id="no-weights"),
])
def test_learned_model_options_are_checked_when_the_job_loads(clean_archive, tmp_path, model, message):
    job = write_job(tmp_path, f"inputs: [{clean_archive}]\noutput: out\nfactor: 2\nbackend: rife\nmodel: {model}\n")
    with pytest.raises(ToonbatchError, match=message):
        load_job(job).settings_for("ep3.mp4")
