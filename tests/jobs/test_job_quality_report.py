"""A job's quality report: one report.json with a quality section per video, one page with a section per video,
kept across runs that find the videos done; `report: false` measures nothing."""

import json
import sys
from pathlib import Path

from job_cases import CLIPS, write_job

from tooncrafter_batch.cli import main
from tooncrafter_batch.jobs.runner import JobRunner
from tooncrafter_batch.jobs.spec import load_job

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reporting"))
from test_quality_report import RECORD_FIELDS, assert_self_contained  # noqa: E402


def _job(folder: Path, archive: Path, extra: str = "") -> Path:
    return write_job(folder, f"inputs: [{archive}]\noutput: out\nfactor: 2\nbackend: flow\nchunk_frames: 6\n{extra}")


def _sections(out: Path) -> dict[str, dict]:
    return {Path(video["input"]).name: video["quality"]
            for video in json.loads((out / "report.json").read_text())["videos"]}


def test_job_report_has_a_section_per_video_and_keeps_it_when_done(clean_archive, tmp_path, capsys):
    job = _job(tmp_path, clean_archive)
    assert JobRunner(load_job(job)).run().exit_code == 0
    out = tmp_path / "out"
    first = _sections(out)
    assert set(first) == {Path(name).name for name in CLIPS}
    for name, spec in CLIPS.items():
        pairs = first[Path(name).name]["pairs"]
        cut = 0 if spec.cut_at_frame is None else 1
        assert len(pairs) == spec.num_frames - 1 - cut, name  # on ones: every neighbour pair but the cut's
        assert all(set(record) == RECORD_FIELDS for record in pairs)
        assert {record["scene"] for record in pairs} == set(range(1 + cut))
    page = (out / "report.html").read_text()
    assert_self_contained(page)
    assert page.count("<section") == len(CLIPS)
    again = JobRunner(load_job(job)).run()  # every video already done: the sections come from the state folder
    assert {video.reason for video in again.videos} == {"already done"}
    second = _sections(out)
    for name in first:
        assert second[name]["pairs"] == first[name]["pairs"] and second[name]["worst"] == first[name]["worst"]
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").read_text().count("<section") == len(CLIPS)


def test_report_false_measures_nothing(clean_archive, tmp_path):
    assert JobRunner(load_job(_job(tmp_path, clean_archive, "report: false\n"))).run().exit_code == 0
    assert set(_sections(tmp_path / "out").values()) == {None}
    assert not (tmp_path / "out" / "report.html").exists()
