"""The `tooncrafter` backend: in-betweens taken from the 16 frames ToonCrafter generates between two keyframes.

Per call: each pair is fitted to the model grid (`GridFit`: pad, or the reference's centre crop), a batch of pairs
runs through `ToonCrafterPipeline` (conditioning once per pair), the fit is undone, and the in-between at position
t is generated frame round(15 t), the nearest one (halves go up). Frames 0 and 15 are the keyframes themselves,
not their VAE reconstructions, so t near 0 or 1 gives the keyframe exactly. Identical keyframes (a held drawing)
are copied without running the model.

Undoing the fit (`full_resolution`, on by default): a keyframe larger than the grid gets in-betweens drawn from the
full-size keyframes along the motion to the generated frame (`full_resolution.py`), not the generated frame
upscaled; only the frames asked for are drawn so.

Randomness: each pair's noise comes from its own CPU generator seeded with `seed`, so a pair gives the same frames
alone or in any batch, on any device, and the same as `toonbatch interpolate` with that seed. Random weights
(`random_weights`) are seeded with `seed` too.

Sketch guidance (`toonbatch interpolate --sketch`): built with `SketchOptions`, the backend also loads the sketch
encoder, and `generate` takes one `SketchFrames` guide per pair, placed on the grid exactly like the keyframes.

The options (`ToonCrafterOptions`, `SketchOptions`) live in `tooncrafter_options.py`, without torch; this module
imports the model code and is imported only where the backend is built.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from ..datatypes import Pair
from ..errors import BackendError, SettingsError
from ..imaging.grid_fit import FitMode, GridFit
from ..imaging.line_art import SketchFrames, fit_sketches_to_grid
from ..models.tooncrafter.config import ModelConfig
from ..models.tooncrafter.model import ToonCrafterModel
from ..models.tooncrafter.pipeline import SamplingNoise, StepRecord, ToonCrafterPipeline, draw_noise, video_to_uint8
from ..models.tooncrafter.sketch_encoder import SketchEncoder, SketchEncoderConfig, SketchGuidance
from ..models.tooncrafter.unet import UNetConfig
from ..weights.builder import build_model, load_model_config, load_sketch_encoder
from ..weights.checkpoint import load_checkpoint
from ..weights.store import find_checkpoint
from .full_resolution import render_full_resolution
from .tooncrafter_options import SketchOptions, ToonCrafterOptions

TORCH_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}  # one per option DTYPES
SKETCH_FIT_FIELDS = ("model_channels", "channel_mult", "num_res_blocks", "context_dim")  # must equal the UNet's


def load_model(options: ToonCrafterOptions, config: ModelConfig) -> ToonCrafterModel:
    """The model of `config` on its device and dtype, in eval mode: the checkpoint's weights, or seeded random ones.

    A missing checkpoint is a CheckpointError saying what to download and where to put it.
    """
    device = _device(options)
    if options.random_weights:
        with _seeded(options):
            model = build_model(config, device)
    else:
        path = find_checkpoint(Path(options.checkpoint) if options.checkpoint is not None else None)
        model = build_model(config, device)
        load_checkpoint(model, path)
    return model.place(device, TORCH_DTYPES[options.dtype]).eval()


def load_model_settings(options: ToonCrafterOptions) -> ModelConfig:
    """The main model's config named by `options` (the official 512 model without one)."""
    config = load_model_config(Path(options.config) if options.config is not None else None)
    if not isinstance(config, ModelConfig):
        raise SettingsError(f"{options.config} describes a {config.kind} model; the tooncrafter backend needs a "
                            f"config of kind tooncrafter (configs/tooncrafter_512.yaml)")
    return config


def load_sketch_model(options: ToonCrafterOptions, sketch: SketchOptions, unet: UNetConfig) -> SketchEncoder:
    """The sketch encoder for the UNet `unet`, on the model's device and dtype: its checkpoint's weights, or random
    ones seeded with `seed` when `options.random_weights`. Its shape is checked before anything is built."""
    config = SketchEncoderConfig() if sketch.config is None else load_model_config(Path(sketch.config))
    source = sketch.config or "the released sketch encoder"
    if not isinstance(config, SketchEncoderConfig):
        raise SettingsError(f"--sketch-config {sketch.config} describes a {config.kind} model; it needs a config of "
                            f"kind sketch_encoder (configs/sketch_encoder.yaml)")
    for name in SKETCH_FIT_FIELDS:
        if getattr(config, name) != getattr(unet, name):
            raise SettingsError(f"{source} does not fit the model's UNet ({name} {getattr(config, name)} vs "
                                f"{getattr(unet, name)}); pass --sketch-config with an encoder shaped like the model "
                                f"(configs/sketch_encoder_tiny.yaml for configs/tooncrafter_tiny.yaml)")
    if options.random_weights and sketch.checkpoint is not None:
        raise SettingsError("--random-weights and --sketch-checkpoint exclude each other; drop one of them")
    device = _device(options)
    checkpoint = None if sketch.checkpoint is None else Path(sketch.checkpoint)
    with _seeded(options) if options.random_weights else contextlib.nullcontext():
        encoder = load_sketch_encoder(checkpoint, config, device, random_weights=options.random_weights)
    return encoder.to(device=device, dtype=TORCH_DTYPES[options.dtype]).eval()


def _device(options: ToonCrafterOptions) -> torch.device:
    if options.needs_gpu and not torch.cuda.is_available():
        raise BackendError("tooncrafter: --device cuda but torch sees no GPU here; use --device cpu")
    return torch.device(options.device)


@contextlib.contextmanager
def _seeded(options: ToonCrafterOptions) -> Iterator[None]:
    """Global torch randomness seeded with `options.seed` inside, restored after (random weights)."""
    with torch.random.fork_rng(devices=[torch.cuda.current_device()] if options.needs_gpu else []):
        torch.manual_seed(options.seed)
        yield


@dataclass(frozen=True, eq=False)
class GridVideo:
    """The frames generated for one pair on the model grid, and where the pair's keyframes sit on it."""

    fit: GridFit
    frames: np.ndarray  # (t, grid height, grid width, 3) uint8, frames 0 and t - 1 the model's keyframe copies


class ToonCrafterInterpolator:
    """ToonCrafter as an `Interpolator`; keyword options as `ToonCrafterOptions`. The model is built once, here.

    With `sketch`, the sketch encoder is loaded too (first, so a missing file fails before the large model loads).
    """

    name = "tooncrafter"

    def __init__(self, sketch: SketchOptions | None = None, **options):
        known = {item.name for item in dataclasses.fields(ToonCrafterOptions)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise BackendError(f"tooncrafter backend: unknown option {unknown[0]!r}; known: {', '.join(sorted(known))}")
        self.options = ToonCrafterOptions(**options)
        self.needs_gpu = self.options.needs_gpu
        self.max_batch = self.options.batch_pairs
        self.sampling = self.options.sampling()
        self.sketch = sketch
        config = load_model_settings(self.options)
        sketch_encoder = None if sketch is None else load_sketch_model(self.options, sketch, config.unet)
        self.pipeline = ToonCrafterPipeline(load_model(self.options, config), sketch_encoder)
        config = self.pipeline.config
        self.grid_size = (config.height, config.width)
        self.num_frames = config.num_frames

    def interpolate(self, pairs: Sequence[Pair], times: Sequence[Sequence[float]]) -> list[list[np.ndarray]]:
        if len(pairs) != len(times):
            raise ValueError(f"got {len(pairs)} pairs but {len(times)} lists of positions")
        moving = [index for index, pair in enumerate(pairs) if not np.array_equal(pair.start, pair.end)]
        videos = {}
        for first in range(0, len(moving), self.max_batch):
            chunk = moving[first: first + self.max_batch]
            videos.update(zip(chunk, self.sample_on_grid([pairs[index] for index in chunk])))
        return [[self._frame_at(videos.get(index), pair, position) for position in positions]
                for index, (pair, positions) in enumerate(zip(pairs, times))]

    def frame_index(self, position: float) -> int:
        """The generated frame nearest to `position` in [0, 1] (round(15 t), halves up)."""
        last = self.num_frames - 1
        return min(last, max(0, math.floor(position * last + 0.5)))

    @torch.no_grad()
    def generate(self, pairs: Sequence[Pair], sketches: Sequence[SketchFrames] | None = None,
                 on_step: Callable[[StepRecord], None] | None = None) -> list[list[np.ndarray]]:
        """All 16 frames of each pair at the keyframes' size; frames 0 and 15 are the keyframes themselves.

        `sketches`: one guide per pair at its keyframes' size (needs `SketchOptions` at construction);
        `on_step` is called after every DDIM step (progress).
        """
        videos = self.sample_on_grid(pairs, sketches, on_step)
        return [[self._undo_fit(video, pair, index) for index in range(self.num_frames)]
                for video, pair in zip(videos, pairs)]

    @torch.no_grad()
    def sample_on_grid(self, pairs: Sequence[Pair], sketches: Sequence[SketchFrames] | None = None,
                       on_step: Callable[[StepRecord], None] | None = None) -> list[GridVideo]:
        """All 16 frames of each pair as the model makes them, on its grid, with the fit that put the pair there."""
        fits = [GridFit.plan(FitMode(self.options.fit), pair.start.shape[:2], self.grid_size) for pair in pairs]
        start = _to_tensor([fit.to_grid(pair.start) for fit, pair in zip(fits, pairs)])  # (b, 3, H, W)
        end = _to_tensor([fit.to_grid(pair.end) for fit, pair in zip(fits, pairs)])
        guidance = None if sketches is None else self._guidance(fits, sketches)                # 1. sketches on grid
        tokens = self.pipeline.encode_conditions(start, [self.options.prompt] * len(pairs))   # 2. CLIP towers
        noise = self._noise(start)                                                             # 3. noise per pair
        video = self.pipeline.generate(start, end, tokens, self.sampling, noise, on_step, guidance)  # 4. sample
        generated = video_to_uint8(video).cpu().numpy()  # (b, t, H, W, 3)
        return [GridVideo(fit, frames) for fit, frames in zip(fits, generated)]

    def _guidance(self, fits: Sequence[GridFit], sketches: Sequence[SketchFrames]) -> SketchGuidance:
        """Each pair's guide placed on the grid like its keyframes, with the scale and unsketched-frame mode."""
        if self.sketch is None:
            raise BackendError("tooncrafter backend: sketches need the sketch encoder; build the backend with "
                               "sketch=SketchOptions(...)")
        if len(sketches) != len(fits):
            raise ValueError(f"got {len(sketches)} sketch guides for {len(fits)} pairs")
        grids = [fit_sketches_to_grid(guide, fit) for guide, fit in zip(sketches, fits)]
        lines = torch.from_numpy(np.stack([grid.lines for grid in grids]))[:, None]  # (b, 1, t, H, W)
        frame_mask = (torch.from_numpy(np.stack([grid.has_sketch for grid in grids]))  # (b, t)
                      if self.sketch.unsketched == "masked" else None)
        return SketchGuidance(lines, self.sketch.scale, frame_mask)

    def _noise(self, start: torch.Tensor) -> SamplingNoise:
        """Each pair's noise drawn from its own generator seeded with `seed` (batch-independent results)."""
        batch, latent_size = start.shape[0], self.pipeline.latent_size(start)
        channels = self.pipeline.config.autoencoder.embed_dim
        per_pair = [draw_noise(torch.Generator().manual_seed(self.sampling.seed), 1, self.num_frames, latent_size,
                               self.sampling.num_steps, channels) for _ in range(batch)]
        return SamplingNoise(encode=torch.cat([noise.encode for noise in per_pair]),         # (b t, c, h, w)
                             initial=torch.cat([noise.initial for noise in per_pair]),       # (b, c, t, h, w)
                             steps=torch.cat([noise.steps for noise in per_pair], dim=1))    # (s, b, c, t, h, w)

    def _undo_fit(self, video: GridVideo, pair: Pair, index: int) -> np.ndarray:
        """Generated frame `index` at the keyframes' size; the ends are the keyframes themselves."""
        if index in (0, self.num_frames - 1):
            return (pair.start if index == 0 else pair.end).copy()
        nearest = pair.start if index < self.num_frames // 2 else pair.end
        if not self.options.full_resolution:
            return video.fit.from_grid(video.frames[index], nearest)
        return render_full_resolution(pair.start, pair.end, video.fit.scaled_frame(video.frames[index], nearest))

    def _frame_at(self, video: GridVideo | None, pair: Pair, position: float) -> np.ndarray:
        if video is None:  # identical keyframes: a held drawing
            return pair.start.copy()
        return self._undo_fit(video, pair, self.frame_index(position))


def _to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    """RGB uint8 (H, W, 3) images -> (b, 3, H, W) float32 in [-1, 1], as the reference's ToTensor then (x - 0.5) * 2."""
    batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()  # (b, 3, H, W)
    return (batch / 255.0 - 0.5) * 2.0
