"""YAML jobs on legacy clips: `source:` conditions every video before its chunks are planned and rendered."""

from fractions import Fraction
from pathlib import Path

import numpy as np
from job_cases import read_frames, write_job

from tooncrafter_batch.jobs.runner import JobRunner
from tooncrafter_batch.jobs.spec import load_job
from tooncrafter_batch.video.decode import open_video


def _run(folder: Path, clips: dict, extra: str = ""):
    inputs = ", ".join(str(clips[name]) for name in ("progressive", "telecined"))
    job = write_job(folder, f"inputs: [{inputs}]\noutput: out\nfactor: 2\nbackend: blend\nchunk_frames: 8\n{extra}")
    report = JobRunner(load_job(job)).run()
    return {Path(video.input).stem: video for video in report.videos}


def test_auto_restores_the_telecined_video_and_leaves_the_progressive_one(legacy_clips, tmp_path):
    videos = _run(tmp_path / "job", legacy_clips)
    assert all(video.status == "done" for video in videos.values()), [video.reason for video in videos.values()]
    for name in ("progressive", "telecined"):
        assert (videos[name].frames_in, videos[name].frames_out) == (40, 80)
        assert open_video(Path(videos[name].output)).info.frame_rate == Fraction(48000, 1001)
    restored, original = (read_frames(Path(videos[name].output)) for name in ("telecined", "progressive"))
    psnr = [10 * np.log10(255 ** 2 / max(np.mean((a.astype(float) - b) ** 2), 1e-10))
            for a, b in zip(restored, original)]
    assert np.mean(psnr) >= 35


def test_a_wrong_source_fails_that_video_once_and_the_job_goes_on(legacy_clips, tmp_path):
    extra = "overrides:\n  - match: 'progressive.mkv'\n    source: telecine\n"
    videos = _run(tmp_path / "job", legacy_clips, extra)
    assert videos["telecined"].status == "done"
    failed = videos["progressive"]
    assert failed.status == "failed" and "--source telecine" in failed.reason and "no pulldown" in failed.reason
