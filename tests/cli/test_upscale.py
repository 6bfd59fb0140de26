"""`toonbatch upscale-fps` from the command line: options, one-line errors, exit codes, atomic output."""

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tooncrafter_batch.cli import app, main

REPO = Path(__file__).resolve().parents[2]


def _run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.err


def test_help_explains_every_option():
    result = CliRunner().invoke(app, ["upscale-fps", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ["--factor", "--fps", "--backend", "--executor", "--workers", "--ray-address", "--scene-threshold",
                   "--codec", "--crf", "--input-fps", "--allow-partial", "--overwrite", "--quiet", "--debug", "--dedupe"]:
        assert option in result.output


def test_upscale_writes_default_output_beside_input(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    copy = tmp_path / "clip.mp4"
    copy.write_bytes(source.read_bytes())
    code, err = _run(capsys, "upscale-fps", str(copy), "--factor", "2", "--quiet")
    assert code == 0, err
    assert (tmp_path / "clip_x2.mp4").is_file()
    code, err = _run(capsys, "upscale-fps", str(copy), "--factor", "2", "--quiet")
    assert code == 1 and "already exists" in err and "--overwrite" in err


def _one_line_error(err):
    lines = [line for line in err.strip().splitlines() if line]
    return len(lines) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "make_input, extra, code, message",
    [
        pytest.param(lambda d: d / "missing.mp4", ["--factor", "2"], 1, "missing.mp4", id="missing-file"),
        pytest.param(lambda d: _write(d / "notes.mp4", b"this is not a video"), ["--factor", "2"], 1, "notes.mp4",
                     id="not-a-video"),
        pytest.param(lambda d: _write(d / "empty.mp4", b""), ["--factor", "2"], 1, "empty.mp4", id="zero-length"),
        pytest.param(lambda d: d / "missing.mp4", ["--factor", "1"], 2, "factor", id="factor-one"),
        pytest.param(lambda d: d / "missing.mp4", ["--factor", "2", "--fps", "60"], 2, "exactly one", id="both"),
        pytest.param(lambda d: d / "missing.mp4", [], 2, "exactly one", id="neither"),
        pytest.param(lambda d: d / "missing.mp4", ["--fps", "fast"], 2, "frame rate", id="bad-fps"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code(tmp_path, capsys, make_input, extra, code, message):
    path = make_input(tmp_path)
    exit_code, err = _run(capsys, "upscale-fps", str(path), *extra, "--quiet")
    assert exit_code == code, err
    assert message in err
    assert _one_line_error(err), err


@pytest.mark.parametrize("arguments, message", [
    pytest.param(["upscale-fps"], "Missing", id="missing-argument"),
    pytest.param(["upscale-fps", "x.mp4", "--bogus"], "--bogus", id="unknown-option"),
    pytest.param(["upscale-fps", "x.mp4", "--factor", "abc"], "integer", id="not-an-integer"),
    pytest.param(["upscale-fps", "x.mp4", "--factor", "2", "--workers", "0"], "greater than or equal to 1",
                 id="below-minimum"),
    pytest.param(["upscale-fps", "x.mp4", "--backend", "magic"], "magic", id="bad-choice"),
    pytest.param(["no-such-command"], "no-such-command", id="unknown-command"),
])
def test_parsing_errors_are_one_line_usage_errors(capsys, arguments, message):
    code, err = _run(capsys, *arguments)
    assert code == 2, err
    assert message in err and "internal error" not in err and "--help" in err
    assert _one_line_error(err), err


@pytest.mark.parametrize("arguments", [[], ["model"], ["sketch"]], ids=["toonbatch", "model", "sketch"])
def test_a_bare_command_group_prints_its_help_and_nothing_else(capsys, arguments):
    code = main(arguments)
    captured = capsys.readouterr()
    assert code == 2
    assert "Usage" in captured.out + captured.err and "error" not in captured.err


def test_fps_not_above_input_rate_is_refused(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    code, err = _run(capsys, "upscale-fps", str(source), "--fps", "12", "-o", str(tmp_path / "o.mp4"), "--quiet")
    assert code == 2 and "not above" in err and _one_line_error(err)


def test_output_equal_to_input_is_refused(small_cartoon, capsys):
    source, _ = small_cartoon
    code, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "-o", str(source), "--overwrite", "--quiet")
    assert code == 1 and "input" in err and _one_line_error(err)


def test_unwritable_output_folder_is_refused(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    code, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "-o", str(tmp_path / "no" / "such" / "x.mp4"),
                     "--quiet")
    assert code == 1 and "does not exist" in err and _one_line_error(err)


def test_png_folder_output(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    code, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "-o", str(tmp_path / "frames") + "/")
    assert code == 0, err
    names = sorted(path.name for path in (tmp_path / "frames").glob("*.png"))
    assert names[:2] == ["000000.png", "000001.png"] and len(names) == 48
    assert "audio" in err  # dropped with a warning


def _write(path, data):
    path.write_bytes(data)
    return path


def test_installed_command_runs(small_cartoon, tmp_path):
    source, _ = small_cartoon
    toonbatch = Path(sys.executable).parent / "toonbatch"
    result = subprocess.run([str(toonbatch), "upscale-fps", str(source), "--factor", "2", "-o", str(tmp_path / "o.mkv")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "48 out" in result.stderr and (tmp_path / "o.mkv").is_file()


def test_killed_run_leaves_no_broken_output(tmp_path):
    from tooncrafter_batch.synthetic import CartoonSpec, write_cartoon

    source = tmp_path / "long.mp4"
    write_cartoon(source, CartoonSpec(width=320, height=180, num_frames=240, frame_rate=Fraction(24)))
    output = tmp_path / "out.mp4"
    toonbatch = Path(sys.executable).parent / "toonbatch"
    process = subprocess.Popen([str(toonbatch), "upscale-fps", str(source), "--factor", "4", "-o", str(output),
                                "--quiet", "--dedupe", "off"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".*partial*")):
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    temp_files = list(tmp_path.glob(".*partial*"))
    assert temp_files, "encoding writes to a temporary file first"
    time.sleep(0.3)  # let it write some frames
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert not output.exists(), "a killed run never leaves a file under the final name"


def test_png_folder_with_frames_is_refused_without_overwrite(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "000000.png").write_bytes(b"old")
    code, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "-o", str(frames), "--quiet")
    assert code == 1 and "--overwrite" in err
    code, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "-o", str(frames), "--quiet", "--overwrite")
    assert code == 0, err


def test_rife_backend_end_to_end_and_its_missing_weights_are_one_line(small_cartoon, tmp_path, capsys):
    source, spec = small_cartoon
    code, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "--backend", "rife", "--weights-dir",
                     str(tmp_path / "none"), "-o", str(tmp_path / "x.mp4"), "--quiet")
    assert code == 1 and _one_line_error(err) and "toonbatch model download rife" in err
    weights = REPO / "model" / "learned"
    if not (weights / "rife.safetensors").is_file():
        pytest.skip("rife weights absent: run `make weights`")
    code, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "--backend", "rife", "--weights-dir",
                     str(weights), "-o", str(tmp_path / "x.mp4"), "--quiet", "--dedupe", "off")
    assert code == 0, err
    from tooncrafter_batch.video.decode import open_video

    assert len(list(open_video(tmp_path / "x.mp4").frames())) == 2 * spec.num_frames


def test_auto_keeps_the_rungs_of_the_ladder_with_weights_and_says_what_is_missing(tmp_path, monkeypatch, capsys):
    from tooncrafter_batch.cli import route_options

    monkeypatch.setattr(route_options, "DEFAULT_LADDER", ("flow", "rife"))
    assert route_options.available_ladder(None, tmp_path / "empty", quiet=False) == ("flow",)
    notice = " ".join(capsys.readouterr().err.split())
    assert "note: rife left out of the ladder" in notice and "toonbatch model download rife" in notice
    assert route_options.available_ladder(None, tmp_path / "empty", quiet=True) == ("flow",)
    assert capsys.readouterr().err == ""
    weights = REPO / "model" / "learned"
    if (weights / "rife.safetensors").is_file():
        assert route_options.available_ladder(None, weights, quiet=False) == ("flow", "rife")
