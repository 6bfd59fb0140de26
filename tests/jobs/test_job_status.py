"""A job's state read from its folder (the UI's job list), and settings written as a job file that reads back."""

from fractions import Fraction

import pytest

from tooncrafter_batch.errors import JobSpecError
from tooncrafter_batch.jobs.job_file import job_text, write_job_file
from tooncrafter_batch.jobs.runner import JobRunner
from tooncrafter_batch.jobs.spec import load_job
from tooncrafter_batch.jobs.status import FINISHED, INVALID, NOT_STARTED, STOPPED, job_status, list_jobs
from tooncrafter_batch.planning.timing import DedupeMode, TimingSettings
from tooncrafter_batch.synthetic import CartoonSpec, write_cartoon


@pytest.mark.parametrize("timing", [
    pytest.param(TimingSettings(factor=3, dedupe=DedupeMode.off), id="factor"),
    pytest.param(TimingSettings(fps=Fraction(60000, 1001), dedupe=DedupeMode.camera), id="ntsc-fps"),
])
def test_a_written_job_reads_back_with_the_same_settings(tmp_path, timing):
    spec = write_job_file(tmp_path / "jobs" / "clip.yaml", ["inputs/clip.mp4"], "clip_out", timing, "blend")
    assert load_job(tmp_path / "jobs" / "clip.yaml") == spec
    assert spec.output == tmp_path / "jobs" / "clip_out"
    assert spec.inputs == ("inputs/clip.mp4",)
    settings = spec.settings_for("inputs/clip.mp4")
    assert (settings.timing, settings.backend.name) == (timing, "blend")


def test_an_unknown_backend_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(JobSpecError, match="unknown backend 'magic'"):
        write_job_file(tmp_path / "clip.yaml", ["clip.mp4"], "out", TimingSettings(factor=2), "magic")
    assert not (tmp_path / "clip.yaml").exists()
    assert job_text(["clip.mp4"], "out", TimingSettings(factor=2), "flow").startswith("# Saved by toonbatch ui.")


def test_jobs_in_a_folder_are_listed_with_their_state(tmp_path):
    write_cartoon(tmp_path / "clip.mp4", CartoonSpec(width=64, height=48, num_frames=6, with_audio=False))
    timing = TimingSettings(factor=2)
    finished = write_job_file(tmp_path / "a_finished.yaml", ["clip.mp4"], "out_a", timing, "blend")
    JobRunner(finished).run()
    write_job_file(tmp_path / "b_fresh.yaml", ["clip.mp4"], "out_b", timing, "blend")
    stopped = write_job_file(tmp_path / "c_stopped.yaml", ["clip.mp4"], "out_c", timing, "blend")
    kept = stopped.output / ".toonbatch" / "work" / "0123abcd"
    kept.mkdir(parents=True)
    (kept / "chunk_000000.mkv").write_bytes(b"")
    (tmp_path / "d_broken.yml").write_text("inputs: [clip.mp4]\n")
    statuses = list_jobs(tmp_path)
    assert [(status.job.name, status.state) for status in statuses] == [
        ("a_finished.yaml", FINISHED), ("b_fresh.yaml", NOT_STARTED), ("c_stopped.yaml", STOPPED),
        ("d_broken.yml", INVALID)]
    assert statuses[0].detail == "1 done, 0 skipped, 0 failed"
    assert statuses[0].report_page == finished.output / "report.html"
    assert statuses[2].is_resumable and "1 finished chunk(s) kept" in statuses[2].detail
    assert "missing required key 'output'" in statuses[3].detail
    assert job_status(finished) == statuses[0]
