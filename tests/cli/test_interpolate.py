"""`toonbatch interpolate` (with and without sketches) and `upscale-fps --backend tooncrafter`, with the tiny config
and random weights, and the flow backend on synthetic keyframes."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tooncrafter_batch.cli import app, main
from tooncrafter_batch.evaluation.metrics import chamfer_distance, psnr
from tooncrafter_batch.keyframes import write_frames
from tooncrafter_batch.imaging.line_art import extract_line_art, fit_to_size
from tooncrafter_batch.synthetic import CartoonSpec, render_frame, write_cartoon
from tooncrafter_batch.video.decode import open_video

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tooncrafter_tiny.yaml")
TINY_SKETCH = str(REPO / "configs" / "sketch_encoder_tiny.yaml")
SKETCH_SAMPLE = REPO / ".." / "shared" / "data" / "tooncrafter_sketch_sample"
SPEC = CartoonSpec(width=97, height=55)  # odd sizes: the output must still be 97x55
TINY_MODEL = ["--config", TINY, "--random-weights", "--steps", "2"]
MOTION = CartoonSpec()  # 320x180; keyframes half a second apart, where plain flow cannot guess the paths


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


def _read_pngs(folder: Path) -> list[np.ndarray]:
    return [cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB) for png in sorted(folder.glob("*.png"))]


@pytest.fixture(scope="module")
def tiny_inputs(tmp_path_factory) -> dict[str, Path]:
    """Keyframes (97x55) and a black-on-white sketch drawn from the true frame half-way between them."""
    folder = tmp_path_factory.mktemp("tiny_inputs")
    sketch = folder / "sketch.png"
    cv2.imwrite(str(sketch), extract_line_art(render_frame(SPEC, Fraction(1, 8))))
    return {"start": _write_png(folder / "a.png", render_frame(SPEC, Fraction(0))),
            "end": _write_png(folder / "b.png", render_frame(SPEC, Fraction(1, 4))), "sketch": sketch}


def _tiny_png_run(inputs: dict[str, Path], output: Path, *extra) -> list[np.ndarray]:
    code = main([str(arg) for arg in ["interpolate", inputs["start"], inputs["end"], "-o", f"{output}/",
                                      *TINY_MODEL, "--quiet", *extra]])
    assert code == 0
    return _read_pngs(output)


@pytest.fixture(scope="module")
def plain_tiny_frames(tiny_inputs, tmp_path_factory) -> list[np.ndarray]:
    return _tiny_png_run(tiny_inputs, tmp_path_factory.mktemp("plain"))


def test_help_lists_the_options():
    result = CliRunner().invoke(app, ["interpolate", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ["--backend", "--frames", "--steps", "--cfg", "--fs", "--eta", "--seed", "--prompt", "--checkpoint",
                   "--config", "--random-weights", "--download", "--device", "--dtype", "--fit", "--full-resolution",
                   "--output-fps", "--sketch", "--sketch-video", "--sketch-scale", "--sketch-checkpoint",
                   "--sketch-config", "--sketch-frames", "--quiet"]:
        assert option in result.output


def test_tooncrafter_with_sketches_writes_16_changed_frames_at_the_keyframes_size(tiny_inputs, plain_tiny_frames,
                                                                                   tmp_path, capsys):
    output = tmp_path / "out.mp4"
    code, out, err = _run(capsys, "interpolate", tiny_inputs["start"], tiny_inputs["end"], "-o", output, *TINY_MODEL,
                          "--sketch-config", TINY_SKETCH, "--sketch", f"5:{tiny_inputs['sketch']}",
                          "--sketch", f"10:{tiny_inputs['sketch']}")
    assert code == 0, err
    assert out.strip() == str(output)
    assert "sampling" in err and "2/2" in err, "a progress bar counts the DDIM steps"
    video = open_video(output)
    frames = [frame.image.astype(np.int16) for frame in video.frames()]
    assert len(frames) == 16 and all(frame.shape == (55, 97, 3) for frame in frames)
    assert video.info.frame_rate == 8
    assert np.abs(frames[0] - plain_tiny_frames[0]).mean() < 4, "the first frame is START (after lossy coding)"
    changes = [np.abs(frame - plain).mean() for frame, plain in zip(frames[1:-1], plain_tiny_frames[1:-1])]
    assert max(changes) > 8, f"the sketches steer the in-betweens (mean change per frame {changes})"


def test_tooncrafter_sketch_scale_0_gives_exactly_the_frames_without_sketches(tiny_inputs, plain_tiny_frames,
                                                                              tmp_path):
    frames = _tiny_png_run(tiny_inputs, tmp_path / "scale0", "--sketch-config", TINY_SKETCH,
                           "--sketch", f"8:{tiny_inputs['sketch']}", "--sketch-scale", "0")
    assert len(frames) == 16 and frames[0].shape == (55, 97, 3)
    assert all(np.array_equal(frame, plain) for frame, plain in zip(frames, plain_tiny_frames))


@pytest.mark.parametrize("name", ["clip.gif", "frames/"])
def test_flow_writes_a_gif_or_a_folder_of_pngs(keyframes, tmp_path, capsys, name):
    output = f"{tmp_path}/{name}"
    code, _, err = _run(capsys, "interpolate", *keyframes, "-o", output, "--backend", "flow", "--frames", "5",
                        "--quiet")
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
    code, _, err = _run(capsys, "interpolate", *keyframes, "-o", "out/", "--frames", "3", "--quiet")
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


@pytest.fixture
def motion_inputs(tmp_path) -> dict[str, Path]:
    """Keyframes at 0 and 1/2 s of the synthetic cartoon and the line art of the true frame at 1/4 s (index 2 of 5)."""
    sketch = tmp_path / "pose.png"
    cv2.imwrite(str(sketch), extract_line_art(render_frame(MOTION, Fraction(1, 4))))
    return {"start": _write_png(tmp_path / "start.png", render_frame(MOTION, 0)),
            "end": _write_png(tmp_path / "end.png", render_frame(MOTION, Fraction(1, 2))), "sketch": sketch}


def test_flow_passes_through_the_sketched_pose(motion_inputs, tmp_path, capsys):
    runs = {"plain": [], "sketched": ["--sketch", f"2:{motion_inputs['sketch']}"]}
    frames = {}
    for name, extra in runs.items():
        code, _, err = _run(capsys, "interpolate", motion_inputs["start"], motion_inputs["end"], "-o",
                            f"{tmp_path / name}/", "--backend", "flow", "--frames", "5", "--quiet", *extra)
        assert code == 0, err
        frames[name] = _read_pngs(tmp_path / name)
    truth = render_frame(MOTION, Fraction(1, 4))
    assert len(frames["sketched"]) == 5 and np.array_equal(frames["sketched"][0], render_frame(MOTION, 0))
    assert psnr(frames["sketched"][2], truth) >= psnr(frames["plain"][2], truth) + 2.0
    assert chamfer_distance(frames["sketched"][2], truth) <= 0.5 * chamfer_distance(frames["plain"][2], truth)


def test_flow_takes_a_sketch_video_with_one_frame_per_output_frame(motion_inputs, tmp_path, capsys):
    pose = cv2.cvtColor(cv2.imread(str(motion_inputs["sketch"])), cv2.COLOR_BGR2RGB)
    paper = np.full_like(pose, 255)
    guide = write_frames(str(tmp_path / "guide.mp4"), [paper, paper, pose, paper, paper], Fraction(8))
    code, _, err = _run(capsys, "interpolate", motion_inputs["start"], motion_inputs["end"], "-o",
                        f"{tmp_path / 'out'}/", "--backend", "flow", "--frames", "5", "--quiet",
                        "--sketch-video", guide)
    assert code == 0, err
    middle = _read_pngs(tmp_path / "out")[2]
    assert chamfer_distance(middle, render_frame(MOTION, Fraction(1, 4))) < 2.0, "the pose of the video's frame 2"


@pytest.mark.skipif(not SKETCH_SAMPLE.is_dir(), reason="../shared/data/tooncrafter_sketch_sample is not here")
def test_flow_on_the_community_sketch_sample(tmp_path, capsys):
    """The sample's 16-frame guide video on its keyframes: the in-betweens follow the drawn turn."""
    code, _, err = _run(capsys, "interpolate", SKETCH_SAMPLE / "frame_1.png", SKETCH_SAMPLE / "frame_2.png", "-o",
                        f"{tmp_path}/", "--backend", "flow", "--sketch-video", SKETCH_SAMPLE / "sample.mov", "--quiet")
    assert code == 0, err
    frames = _read_pngs(tmp_path)
    assert len(frames) == 16 and all(frame.shape == (720, 758, 3) for frame in frames)
    guide = [frame.image for frame in open_video(SKETCH_SAMPLE / "sample.mov").frames()]
    sketch = fit_to_size(guide[8], 720, 758)
    distances = [chamfer_distance(frame, sketch) for frame in (frames[0], frames[8], frames[15])]
    assert distances[1] < min(distances[0], distances[2]), f"frame 8 is nearer its sketch than START, END: {distances}"


@pytest.mark.parametrize("extra, code, message", [
    pytest.param(["--backend", "flow", "--sketch", "16:{sketch}"], 2, "sketch index 16 is outside 0..15",
                 id="index-16"),
    pytest.param(["--backend", "flow", "--frames", "5", "--sketch", "5:{sketch}"], 2, "sketch index 5 is outside 0..4",
                 id="index-past-flow-frames"),
    pytest.param(["--backend", "flow", "--sketch", "-1:{sketch}"], 2, "sketch index -1 is outside", id="negative"),
    pytest.param(["--backend", "flow", "--sketch", "8"], 2, "is not INDEX:PATH", id="no-path"),
    pytest.param(["--backend", "flow", "--sketch", "0:{sketch}"], 2, "frame 0 is a keyframe", id="flow-keyframe"),
    pytest.param(["--backend", "flow", "--sketch", "8:{tmp}/nowhere.png"], 1,
                 "sketch for frame 8: image {tmp}/nowhere.png does not exist", id="missing-sketch"),
    pytest.param(["--backend", "flow", "--sketch", "8:{tmp}/notes.png"], 1, "notes.png cannot be read as an image",
                 id="unreadable-sketch"),
    pytest.param(["--backend", "flow", "--sketch-video", "{tmp}/short.mp4"], 1,
                 "short.mp4 has 3 frames; it needs exactly 16", id="short-video"),
    pytest.param(["--backend", "flow", "--sketch-video", "{tmp}/none.mp4"], 1, "sketch video {tmp}/none.mp4 does not "
                 "exist", id="missing-video"),
    pytest.param(["--backend", "flow", "--sketch", "8:{sketch}", "--sketch-video", "{tmp}/short.mp4"], 2,
                 "--sketch and --sketch-video exclude each other", id="both"),
    pytest.param(["--backend", "flow", "--sketch-scale", "0.3"], 2, "only apply with --sketch", id="scale-alone"),
    pytest.param([*TINY_MODEL, "--sketch", "8:{sketch}", "--sketch-scale", "5"], 2, "--sketch-scale must lie in",
                 id="scale-range"),
    pytest.param([*TINY_MODEL, "--sketch", "8:{sketch}"], 2, "does not fit the model's UNet", id="encoder-misfit"),
    pytest.param([*TINY_MODEL, "--sketch", "8:{tmp}/nowhere.png", "--sketch-config", TINY_SKETCH], 1,
                 "image {tmp}/nowhere.png does not exist", id="tooncrafter-missing-sketch"),
])
def test_sketch_mistakes_are_one_line_errors(motion_inputs, tmp_path, capsys, extra, code, message):
    (tmp_path / "notes.png").write_text("not an image")
    write_frames(str(tmp_path / "short.mp4"), [render_frame(SPEC, 0)] * 3, Fraction(8))
    fill = {"sketch": motion_inputs["sketch"], "tmp": tmp_path}
    status, _, err = _run(capsys, "interpolate", motion_inputs["start"], motion_inputs["end"], "-o",
                          tmp_path / "out.mp4", *[arg.format(**fill) for arg in extra])
    assert status == code, err
    assert message.format(**fill) in _one_line(err)
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


def test_a_missing_keyframe_is_the_only_message(motion_inputs, tmp_path, capsys, monkeypatch):
    """Even where the default backend would first report its fallback (no ToonCrafter weights), a missing
    keyframe is the one line printed."""
    monkeypatch.chdir(tmp_path)  # no model/ folder here: `auto` would fall back to flow with a notice
    status, _, err = _run(capsys, "interpolate", tmp_path / "nowhere.png", motion_inputs["end"], "-o",
                          tmp_path / "out.mp4")
    assert status == 1
    assert _one_line(err) == f"toonbatch: error: image {tmp_path}/nowhere.png does not exist; check the path"
