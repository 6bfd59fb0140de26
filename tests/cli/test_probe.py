"""`toonbatch probe` on small clips written here: a progressive cartoon, its hard- and soft-telecined versions."""

import json
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from tooncrafter_batch.cli import app, main
from tooncrafter_batch.synthetic import CartoonSpec, render_frames
from tooncrafter_batch.video.encode import EncoderSettings, write_clip
from tooncrafter_batch.video.legacy import NTSC_FILM, telecine
from tooncrafter_batch.video.dvd import write_dvd

NTSC_VIDEO = Fraction(30000, 1001)
LOSSLESS = EncoderSettings(crf=0, preset="ultrafast")  # x264's lossless mode: the fields stay as made


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    spec = CartoonSpec(width=128, height=80, num_frames=40, frame_rate=NTSC_FILM, hold_pattern=(2,), cut_at_frame=20,
                       with_audio=False)
    pictures = list(render_frames(spec))
    write_clip(folder / "progressive.mkv", pictures, NTSC_FILM, settings=LOSSLESS)
    write_clip(folder / "telecined.mkv", telecine(pictures), NTSC_VIDEO, settings=LOSSLESS)
    write_dvd(folder / "soft.mpg", pictures, NTSC_FILM, "soft-telecine")
    return folder


def test_help_names_the_options():
    result = CliRunner().invoke(app, ["probe", "--help"], terminal_width=200)
    assert result.exit_code == 0 and "--json" in result.output and "FILE" in result.output


def test_json_for_a_telecined_clip(clips, capsys):
    assert main(["probe", str(clips / "telecined.mkv"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "telecine" and report["top_field_first"] is True
    assert report["frame_rate"] == "30000/1001" and report["restored_rate"] == "24000/1001"
    assert report["num_frames"] == 50 and report["num_cadence_breaks"] == 0
    assert report["cadence"][0]["start"] == 0 and report["cadence"][-1]["end"] == 50


def test_block_for_a_progressive_clip(clips, capsys):
    assert main(["probe", str(clips / "progressive.mkv")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{clips / 'progressive.mkv'}: progressive (confidence 1.00)"
    assert "frames: 40 at 24000/1001 fps" in lines[1]
    assert lines[-1] == "  restores to: 24000/1001 fps"


def test_block_for_a_telecined_clip_names_the_cadence(clips, capsys):
    assert main(["probe", str(clips / "telecined.mkv")]) == 0
    output = capsys.readouterr().out
    assert "telecine" in output and "cadence: 3:2, 0 break(s): 0-49 phase" in output
    assert "field order: top field first" in output


def test_soft_telecine_is_named_with_its_film_rate(clips, capsys):
    assert main(["probe", str(clips / "soft.mpg"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "soft-telecine" and report["film_rate"] == report["restored_rate"] == "24000/1001"
    assert main(["probe", str(clips / "soft.mpg")]) == 0
    output = capsys.readouterr().out
    assert "repeat-field flags: 3:2 soft pulldown of progressive pictures at 24000/1001 fps" in output


@pytest.mark.parametrize("content", [None, b"not a video at all"], ids=["missing", "garbage"])
def test_bad_input_is_one_line(tmp_path, capsys, content):
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    assert main(["probe", str(path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("toonbatch: error: ") and error.count("\n") == 1 and str(path) in error
