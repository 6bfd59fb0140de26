"""`toonbatch upscale-fps --source` on tiny legacy clips: restored rates, one-line statements and errors."""

import json
from fractions import Fraction

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from tooncrafter_batch.cli import app, main
from tooncrafter_batch.video.decode import open_video


def _upscale(capsys, clip, output, *extra):
    timing = [] if "--fps" in extra else ["--factor", "2"]
    code = main(["upscale-fps", str(clip), "-o", str(output), *timing, "--backend", "flow", *extra])
    return code, capsys.readouterr().err


def _decoded(path):
    source = open_video(path)
    with av.open(str(path)) as container:
        num_audio = len(container.streams.audio)
    return [frame.image.astype(np.float64) for frame in source.frames()], source.info.frame_rate, num_audio


def test_help_names_the_source_choices():
    result = CliRunner().invoke(app, ["upscale-fps", "--help"], terminal_width=200)
    assert "--source" in result.output and "telecine" in result.output and "interlaced" in result.output


def test_telecined_clip_comes_out_at_twice_the_drawing_rate_like_the_original(legacy_clips, tmp_path, capsys):
    code, err = _upscale(capsys, legacy_clips["telecined"], tmp_path / "telecined.mkv")
    assert code == 0, err
    assert "source: telecine 3:2 (phase 0, top field first) -> 24000/1001 fps; override with --source" in err
    assert "50 frames in" not in err and "40 frames in -> 80 out at 48000/1001" in err
    code, err = _upscale(capsys, legacy_clips["progressive"], tmp_path / "progressive.mkv")
    assert code == 0, err
    restored, rate, num_audio = _decoded(tmp_path / "telecined.mkv")
    original, original_rate, _ = _decoded(tmp_path / "progressive.mkv")
    assert rate == original_rate == Fraction(48000, 1001) and len(restored) == len(original) == 80
    assert num_audio == 1  # the sound is copied: 80 frames at 48000/1001 last as long as the 50 frames in
    psnr = [10 * np.log10(255 ** 2 / max(np.mean((a - b) ** 2), 1e-10)) for a, b in zip(restored, original)]
    assert np.mean(psnr) >= 35 and min(psnr) >= 28


def test_auto_on_a_progressive_clip_is_byte_identical_to_progressive(legacy_clips, tmp_path, capsys):
    outputs, lines = {}, {}
    for mode in ("auto", "progressive"):
        outputs[mode] = tmp_path / f"{mode}.mkv"
        code, err = _upscale(capsys, legacy_clips["progressive"], outputs[mode], "--source", mode)
        assert code == 0, err
        lines[mode] = next(line for line in err.splitlines() if line.startswith("source: "))
    assert lines["auto"] == "source: progressive (untouched) -> 24000/1001 fps; override with --source"
    assert lines["progressive"] == ("source: progressive, untouched and not analysed (--source progressive) -> "
                                    "24000/1001 fps")
    assert outputs["auto"].read_bytes() == outputs["progressive"].read_bytes()


@pytest.mark.parametrize("clip, mode, words", [
    pytest.param("progressive", "telecine", "is not 3:2 telecine", id="telecine-on-progressive"),
    pytest.param("telecined", "blended", "has no blended frames", id="blended-on-telecined"),
])
def test_a_wrong_source_is_one_line_and_writes_nothing(legacy_clips, tmp_path, capsys, clip, mode, words):
    code, err = _upscale(capsys, legacy_clips[clip], tmp_path / "out.mkv", "--source", mode, "--quiet")
    assert code == 1 and words in err and "--source auto" in err
    assert err.startswith("toonbatch: error: ") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("clip", ["telecined", "interlaced", "blended", "soft_telecined", "mixed"])
def test_probe_and_upscale_agree(legacy_clips, tmp_path, capsys, clip):
    assert main(["probe", str(legacy_clips[clip]), "--json"]) == 0
    probed = json.loads(capsys.readouterr().out)
    code, err = _upscale(capsys, legacy_clips[clip], tmp_path / "out.mkv", "--fps", "120")
    assert code == 0, err
    line = next(line for line in err.splitlines() if line.startswith("source: "))
    assert line.startswith(f"source: {probed['kind']}") and f"-> {probed['restored_rate']} fps" in line
    assert [part["report"]["kind"] for part in probed["segments"]] == (["telecine", "interlaced"] if clip == "mixed"
                                                                       else [])
