"""`toonbatch run JOB.yaml` from the command line: tables, dry run, report.json and the exit codes 0/1/2/3."""

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tooncrafter_batch.cli import app, main


def _job(folder: Path, inputs: list[Path], extra: str = "") -> Path:
    listed = ", ".join(f"'{path}'" for path in inputs)
    path = folder / "job.yaml"
    path.write_text(f"inputs: [{listed}]\noutput: out\nfactor: 2\nbackend: blend\n{extra}")
    return path


def test_help_lists_the_options():
    result = CliRunner().invoke(app, ["run", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ["JOB.yaml", "--dry-run", "--ray-address", "--quiet"]:
        assert option in result.output


def test_finished_job_exits_0_and_dry_run_then_shows_it_done(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    job = _job(tmp_path, [source])
    assert main(["run", str(job)]) == 0
    out = capsys.readouterr().out
    assert "1 done, 0 skipped, 0 failed" in out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["videos"][0]["frames_out"] == 48
    assert main(["run", str(job), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "1/1" in plan and "done" in plan


def test_failed_videos_exit_3_and_the_rest_is_done(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(source.read_bytes()[:2000])
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    assert main(["run", str(_job(tmp_path, [source, broken, notes])), "--quiet"]) == 3
    statuses = {Path(video["input"]).name: video["status"]
                for video in json.loads((tmp_path / "out" / "report.json").read_text())["videos"]}
    assert statuses == {"cartoon.mp4": "done", "broken.mp4": "failed", "notes.txt": "skipped"}


def test_bad_job_file_is_a_usage_error_with_its_line(tmp_path, capsys):
    job = tmp_path / "job.yaml"
    job.write_text("inputs: [a.mp4]\noutput: out\nfactor: 4\nencoder:\n  crf: high\n")
    assert main(["run", str(job)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, "one line, no traceback"
    assert "line 5: encoder.crf: expected an integer" in err


def test_missing_input_stops_the_job_with_exit_1(tmp_path, capsys):
    assert main(["run", str(_job(tmp_path, [tmp_path / "missing.mp4"]))]) == 1
    assert "missing.mp4" in capsys.readouterr().err
    assert not (tmp_path / "out" / "report.json").exists()


def test_installed_command_runs_a_job(small_cartoon, tmp_path):
    source, _ = small_cartoon
    toonbatch = Path(sys.executable).parent / "toonbatch"
    result = subprocess.run([str(toonbatch), "run", str(_job(tmp_path, [source])), "--quiet"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "cartoon_x2.mp4").is_file()
