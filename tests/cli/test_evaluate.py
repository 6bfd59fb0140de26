"""`toonbatch eval` from the command line on a small PNG folder made here."""

import json

import cv2
import pytest
from typer.testing import CliRunner

from tooncrafter_batch.cli import app, main
from tooncrafter_batch.synthetic import CartoonSpec, render_frames


@pytest.fixture(scope="module")
def png_clip(tmp_path_factory):
    """16 frames on twos with a cut at frame 8, as numbered PNGs."""
    folder = tmp_path_factory.mktemp("eval") / "cartoon"
    folder.mkdir()
    spec = CartoonSpec(width=96, height=54, num_frames=16, cut_at_frame=8, hold_pattern=(2,), with_audio=False)
    for index, frame in enumerate(render_frames(spec)):
        cv2.imwrite(str(folder / f"{index:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


def _eval(*args):
    result = CliRunner().invoke(app, ["eval", *args], catch_exceptions=False, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_json_for_one_protocol(png_clip):
    report = json.loads(_eval(str(png_clip), "--protocol", "uniq", "--backend", "blend", "--backend", "duplicate",
                              "--json"))
    assert report["clip"] == "cartoon" and report["protocol"] == "uniq" and report["factor"] == 2
    assert list(report["methods"]) == ["blend", "duplicate"]
    blend = report["methods"]["blend"]
    assert set(blend["overall"]) == {"n", "psnr", "ssim", "chamfer"}
    assert blend["overall"]["n"] > 0 and 10 < blend["overall"]["psnr"] <= 60
    assert sum(scene["n"] for scene in blend["scenes"]) == blend["overall"]["n"]
    assert [scene["start"] for scene in blend["scenes"]] == [0, 8]


def test_json_for_all_protocols_lists_runs(png_clip):
    report = json.loads(_eval(str(png_clip), "--backend", "blend", "--factor", "2", "--factor", "4", "--json"))
    assert report["clip"] == "cartoon"
    assert [(run["protocol"], run["factor"]) for run in report["runs"]] == [("sub", 2), ("sub", 4), ("uniq", 2)]
    assert report["runs"][1]["methods"]["blend"]["overall"]["n"] == 9  # frames 1-3, 5-7, 9-11 of 16


def test_table_by_default(png_clip):
    output = _eval(str(png_clip), "--protocol", "sub", "--backend", "duplicate")
    assert "cartoon: sub_k2" in output and "duplicate" in output and "per scene" in output


@pytest.mark.parametrize("args, message", [
    pytest.param(["no/such/clip"], "no such file", id="missing-input"),
    pytest.param(["{clip}", "--factor", "1"], "at least 2", id="bad-factor"),
    pytest.param(["{clip}", "--input-fps", "fast"], "frame rate", id="bad-fps"),
])
def test_user_errors_are_one_line(png_clip, capsys, args, message):
    code = main(["eval", *[a.format(clip=png_clip) for a in args], "--backend", "blend"])
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err
