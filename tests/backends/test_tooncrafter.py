"""The tooncrafter backend on the tiny model (random weights, one DDIM step) at a small grid, to stay fast on CPU.

The grid of configs/tooncrafter_tiny.yaml is shrunk to 32x48 (the weights do not depend on it): every pixel
counts on two CPU cores, and what is tested here (fitting, frame choice, seeds, checkpoints) is the same.
"""

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from tooncrafter_batch.backends.base import Interpolator
from tooncrafter_batch.backends.registry import build_backend
from tooncrafter_batch.backends.tooncrafter import TORCH_DTYPES, ToonCrafterInterpolator
from tooncrafter_batch.backends.tooncrafter_options import DTYPES, SketchOptions, ToonCrafterOptions
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.weights.checkpoint import DEEPSPEED_PREFIX, save_safetensors
from tooncrafter_batch.errors import BackendError, CheckpointError, SettingsError
from tooncrafter_batch.imaging.line_art import SketchFrames
from tooncrafter_batch.synthetic import CartoonSpec, render_frame

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ODD = CartoonSpec(width=97, height=55)  # odd sizes, wider than the grid's 3:2
FOUR_BY_THREE = CartoonSpec(width=80, height=60, seed=3)


def _pair(spec: CartoonSpec) -> Pair:
    return Pair(render_frame(spec, Fraction(0)), render_frame(spec, Fraction(1, 4)))


@pytest.fixture(scope="module")
def small_config(tiny_config_on_grid) -> str:
    return tiny_config_on_grid(32, 48)


@pytest.fixture(scope="module")
def options(small_config) -> dict:
    return {"config": small_config, "random_weights": True, "steps": 1, "seed": 5}


@pytest.fixture(scope="module")
def backend(options) -> ToonCrafterInterpolator:
    return build_backend(ToonCrafterOptions(**options, batch_pairs=2).backend_spec())


@pytest.fixture(scope="module")
def batched(backend) -> list[list[np.ndarray]]:
    still = Pair(render_frame(ODD, 0), render_frame(ODD, 0))
    return backend.interpolate([_pair(ODD), _pair(FOUR_BY_THREE), still], [[0.01, 0.5, 0.99], [0.25], [0.5]])


def test_frames_come_out_at_the_keyframes_size(backend, batched):
    assert isinstance(backend, Interpolator) and backend.name == "tooncrafter" and not backend.needs_gpu
    assert [len(frames) for frames in batched] == [3, 1, 1]
    assert all(frame.shape == (55, 97, 3) and frame.dtype == np.uint8 for frame in batched[0] + batched[2])
    assert batched[1][0].shape == (60, 80, 3)


def test_ends_are_the_keyframes_and_the_middle_is_generated(batched):
    pair = _pair(ODD)
    assert np.array_equal(batched[0][0], pair.start) and np.array_equal(batched[0][2], pair.end)
    middle = batched[0][1].astype(np.int16)
    assert np.abs(middle - pair.start).mean() > 5 and np.abs(middle - pair.end).mean() > 5
    assert np.array_equal(batched[2][0], render_frame(ODD, 0)), "identical keyframes are a held drawing"


def test_a_seed_reproduces_a_pair_alone_or_in_a_batch(options, batched):
    alone = ToonCrafterInterpolator(**options).interpolate([_pair(ODD)], [[0.5]])[0][0]
    difference = np.abs(alone.astype(np.int16) - batched[0][1])
    assert difference.max() <= 1, "same seed, same frame (batched float sums may round one level apart)"


@pytest.mark.parametrize("position, index", [
    pytest.param(0.0, 0, id="start"), pytest.param(0.02, 0, id="near-start"), pytest.param(0.25, 4, id="quarter"),
    pytest.param(0.5, 8, id="half-goes-up"), pytest.param(7 / 15, 7, id="exact-frame"),
    pytest.param(0.98, 15, id="near-end"), pytest.param(1.0, 15, id="end"),
])
def test_a_position_takes_the_nearest_generated_frame(backend, position, index):
    assert backend.frame_index(position) == index


def test_checkpoint_files_give_the_same_model_and_frames(backend, options, batched, tmp_path):
    model = backend.pipeline.model
    state = {key: value.clone() for key, value in model.state_dict().items()}
    files = {"lightning.ckpt": lambda path: torch.save({"state_dict": state}, path),
             "deepspeed.ckpt": lambda path: torch.save({"module": {DEEPSPEED_PREFIX + k: v for k, v in state.items()}},
                                                       path),
             "fp32.safetensors": lambda path: save_safetensors(model, path, dtype=torch.float32),
             "fp16.safetensors": lambda path: save_safetensors(model, path)}
    loaded_options = {**options, "random_weights": False}
    for name, write in files.items():
        write(tmp_path / name)
        loaded = ToonCrafterInterpolator(**loaded_options, checkpoint=str(tmp_path / name))
        rounding = torch.float16 if name.startswith("fp16") else torch.float32
        for key, value in loaded.pipeline.model.state_dict().items():
            want = state[key].to(rounding).float() if state[key].is_floating_point() else state[key]
            assert torch.equal(value, want), f"{name}: {key}"
    frame = loaded.interpolate([_pair(ODD)], [[0.5]])[0][0]  # fp16 weights: close to, not equal to, the original
    assert np.abs(frame.astype(np.int16) - batched[0][1]).mean() < 2.0


@pytest.mark.parametrize("changes, error, message", [
    pytest.param({"dtype": "fp8"}, SettingsError, "dtype", id="dtype"),
    pytest.param({"fit": "stretch"}, SettingsError, "fit", id="fit"),
    pytest.param({"device": "tpu"}, SettingsError, "device", id="device"),
    pytest.param({"steps": 0}, SettingsError, "steps", id="steps"),
    pytest.param({"batch_pairs": 0}, SettingsError, "batch_pairs", id="batch"),
    pytest.param({"checkpoint": "model.ckpt"}, SettingsError, "exclude each other", id="random-and-checkpoint"),
    pytest.param({"colour": "red"}, BackendError, "unknown option 'colour'", id="unknown-option"),
])
def test_bad_options_are_refused_before_building(options, changes, error, message):
    with pytest.raises(error, match=message):
        ToonCrafterInterpolator(**{**options, **changes})


def test_a_missing_checkpoint_says_what_to_download(small_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default location is relative to the working folder
    with pytest.raises(CheckpointError, match="no checkpoint at model/tooncrafter_512_interp_v1/model.ckpt; download"):
        ToonCrafterInterpolator(config=small_config)


def test_every_dtype_option_has_its_torch_dtype():
    assert tuple(TORCH_DTYPES) == DTYPES


def test_a_config_of_another_kind_is_refused():
    with pytest.raises(SettingsError, match="kind tooncrafter"):
        ToonCrafterInterpolator(config=str(CONFIGS / "sketch_encoder_tiny.yaml"), random_weights=True)


TINY_SKETCH = str(CONFIGS / "sketch_encoder_tiny.yaml")


def _guide(drawn: dict[int, int]) -> SketchFrames:
    """A guide for ODD keyframes: frame -> the column of a vertical stroke; the other frames blank."""
    lines = np.zeros((16, ODD.height, ODD.width), np.float32)
    for frame, column in drawn.items():
        lines[frame, 10:45, column: column + 3] = 1.0
    return SketchFrames(lines=lines, has_sketch=np.isin(np.arange(16), list(drawn)))


@pytest.fixture(scope="module")
def masked_backend(options) -> ToonCrafterInterpolator:
    return ToonCrafterInterpolator(sketch=SketchOptions(config=TINY_SKETCH, unsketched="masked"), **options)


def test_masked_frames_without_sketches_leave_the_frames_as_before(masked_backend):
    steps = []
    plain = masked_backend.generate([_pair(ODD)], on_step=lambda record: steps.append(record.iteration))[0]
    unsketched = masked_backend.generate([_pair(ODD)], [_guide({})])[0]
    sketched = masked_backend.generate([_pair(ODD)], [_guide({5: 30, 10: 60})])[0]
    assert steps == [0], "every DDIM step is reported"
    assert all(np.array_equal(a, b) for a, b in zip(plain, unsketched)), "every residual masked: no change"
    assert max(np.abs(a.astype(np.int16) - b).mean() for a, b in zip(plain, sketched)) > 1.0


def test_sketches_need_the_encoder(backend):
    with pytest.raises(BackendError, match="sketches need the sketch encoder"):
        backend.generate([_pair(ODD)], [_guide({5: 30})])


@pytest.mark.parametrize("sketch, changes, error, message", [
    pytest.param({}, {}, SettingsError, "does not fit the model's UNet \\(model_channels 320 vs 32\\)",
                 id="full-encoder-on-tiny-unet"),
    pytest.param({"config": str(CONFIGS / "tooncrafter_tiny.yaml")}, {}, SettingsError, "kind sketch_encoder",
                 id="main-model-config"),
    pytest.param({"config": TINY_SKETCH, "checkpoint": "sketch.ckpt"}, {}, SettingsError, "exclude each other",
                 id="random-and-sketch-checkpoint"),
    pytest.param({"config": TINY_SKETCH, "checkpoint": "nowhere.ckpt"}, {"random_weights": False}, CheckpointError,
                 "no sketch encoder at nowhere.ckpt", id="missing-sketch-checkpoint"),
])
def test_sketch_encoder_mistakes_are_refused_before_building(options, sketch, changes, error, message):
    with pytest.raises(error, match=message):
        ToonCrafterInterpolator(sketch=SketchOptions(**sketch), **{**options, **changes})
