"""`toonbatch interpolate` and `upscale-fps --backend tooncrafter` with the tiny config and random weights."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tooncrafter_batch.cli import app, main
from tooncrafter_batch.synthetic import CartoonSpec, render_frame, write_cartoon
from tooncrafter_batch.video.decode import open_video

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tooncrafter_tiny.yaml")
SPEC = CartoonSpec(width=97, height=55)  # odd sizes: the output must still be 97x55
TINY_MODEL = ["--config", TINY, "--random-weights", "--steps", "2"]


def _write_png(path: Path, image: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def keyframes(tmp_path) -> tuple[str, str]:
    start = _write_png(tmp_path / "a.png", render_frame(SPEC, Fraction(0)))
    end = _write_png(tmp_path / "b.png", render_frame(SPEC, Fraction(1, 4)))
    return str(start), str(end)


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_help_lists_the_options():
    result = CliRunner().invoke(app, ["interpolate", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ["--backend", "--frames", "--steps", "--cfg", "--fs", "--eta", "--seed", "--prompt", "--checkpoint",
                   "--config", "--random-weights", "--download", "--device", "--dtype", "--fit", "--output-fps"]:
        assert option in result.output


def test_tooncrafter_writes_16_frames_at_the_keyframes_size(keyframes, tmp_path, capsys):
    output = tmp_path / "out.mp4"
    code, out, err = _run(capsys, "interpolate", *keyframes, "-o", output, *TINY_MODEL)
    assert code == 0, err
    assert out.strip() == str(output) and err == ""
    video = open_video(output)
    frames = [frame.image for frame in video.frames()]
    assert len(frames) == 16 and all(frame.shape == (55, 97, 3) for frame in frames)
    assert video.info.frame_rate == 8
    start = render_frame(SPEC, Fraction(0)).astype(np.int16)
    assert np.abs(frames[0] - start).mean() < 4, "the first frame is the start keyframe (after lossy coding)"


@pytest.mark.parametrize("name", ["clip.gif", "frames/"])
def test_flow_writes_a_gif_or_a_folder_of_pngs(keyframes, tmp_path, capsys, name):
    output = f"{tmp_path}/{name}"
    code, _, err = _run(capsys, "interpolate", *keyframes, "-o", output, "--backend", "flow", "--frames", "5")
    assert code == 0, err
    if name.endswith(".gif"):
        gif = Image.open(output)
        assert gif.n_frames == 5 and gif.size == (97, 55) and abs(gif.info["duration"] - 125) <= 5  # GIF stores centiseconds
    else:
        pngs = sorted(Path(output).glob("*.png"))
        assert [png.name for png in pngs] == [f"{index:06d}.png" for index in range(5)]
        first = cv2.cvtColor(cv2.imread(str(pngs[0])), cv2.COLOR_BGR2RGB)
        assert np.array_equal(first, render_frame(SPEC, Fraction(0))), "PNG frames are exact; the first is START"


def test_auto_without_a_checkpoint_falls_back_to_flow_with_a_notice(keyframes, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "interpolate", *keyframes, "-o", "out/", "--frames", "3")
    assert code == 0
    assert "no ToonCrafter checkpoint" in _one_line(err) and "flow" in err
    assert len(list((tmp_path / "out").glob("*.png"))) == 3


@pytest.mark.parametrize("extra, code, message", [
    pytest.param(["--backend", "tooncrafter"], 1, "no checkpoint at model/tooncrafter_512_interp_v1/model.ckpt; "
                 "download Doubiiu/ToonCrafter model.ckpt", id="missing-checkpoint"),
    pytest.param(["--backend", "tooncrafter", "--checkpoint", "nowhere.ckpt"], 1, "no checkpoint at nowhere.ckpt",
                 id="missing-named-checkpoint"),
    pytest.param([*TINY_MODEL, "--frames", "8"], 2, "always generates 16 frames", id="tooncrafter-frames"),
    pytest.param(["--backend", "flow", "--frames", "2"], 2, "at least 3", id="too-few-frames"),
    pytest.param(["--backend", "flow", "--output-fps", "0"], 2, "positive", id="bad-fps"),
])
def test_mistakes_are_one_line_errors(keyframes, tmp_path, capsys, monkeypatch, extra, code, message):
    monkeypatch.chdir(tmp_path)
    status, _, err = _run(capsys, "interpolate", *keyframes, "-o", "out.mp4", *extra)
    assert status == code
    assert message in _one_line(err)
    assert not (tmp_path / "out.mp4").exists()


def test_keyframes_of_different_sizes_are_refused(keyframes, tmp_path, capsys):
    other = _write_png(tmp_path / "small.png", render_frame(CartoonSpec(width=64, height=48), 0))
    code, _, err = _run(capsys, "interpolate", keyframes[0], other, "-o", tmp_path / "out.mp4", *TINY_MODEL)
    assert code == 1
    assert "keyframes differ in size" in _one_line(err) and "97x55" in err and "64x48" in err


def test_upscale_fps_runs_the_tooncrafter_backend(tmp_path, capsys):
    clip = write_cartoon(tmp_path / "clip.mp4", CartoonSpec(width=97, height=55, num_frames=2, with_audio=False))
    output = tmp_path / "clip_x2.mp4"
    code, _, err = _run(capsys, "upscale-fps", clip, "-o", output, "--factor", "2", "--backend", "tooncrafter",
                        *TINY_MODEL, "--quiet")
    assert code == 0, err
    frames = [frame.image for frame in open_video(output).frames()]
    assert len(frames) == 4 and all(frame.shape == (55, 97, 3) for frame in frames)
    source = [frame.image.astype(np.int16) for frame in open_video(clip).frames()]
    assert np.abs(frames[1] - source[0]).mean() > 3 and np.abs(frames[1] - source[1]).mean() > 3, \
        "the in-between is a generated frame, not a copy of a keyframe"
