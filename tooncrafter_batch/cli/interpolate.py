"""`toonbatch interpolate`: the in-betweens of two keyframe images, as a clip holding both keyframes, optionally
steered by sketches of in-between poses (docs/SKETCHES.md)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..backends.tooncrafter_options import SketchOptions
from ..imaging.grid_fit import FitMode
from ..keyframes import KeyframeSettings, SketchSettings, choose_backend, interpolate_files
from ..planning.timing import parse_rate
from ..progress import BarProgress, SilentProgress
from ..sketches import parse_sketch_spec, read_image
from . import app
from .model_options import (
    DEFAULTS,
    Cfg,
    Checkpoint,
    Config,
    Device,
    DeviceOption,
    Download,
    DType,
    DTypeOption,
    Eta,
    Fit,
    FrameStride,
    FullResolution,
    Prompt,
    RandomWeights,
    Seed,
    Steps,
    tooncrafter_options,
)

_DEFAULT = KeyframeSettings()
_SKETCH = SketchOptions()


class KeyframeBackend(str, Enum):
    auto = "auto"
    tooncrafter = "tooncrafter"
    flow = "flow"


class UnsketchedFrames(str, Enum):
    blank = "blank"
    masked = "masked"


@app.command("interpolate")
def interpolate(
    start: Annotated[Path, typer.Argument(metavar="START", help="The first keyframe (PNG or JPEG).")],
    end: Annotated[Path, typer.Argument(metavar="END", help="The last keyframe, the same size as START.")],
    output: Annotated[str, typer.Option("-o", "--output", metavar="OUT", help="A video (.mp4...), a .gif, or a folder (existing, or ending in /) for numbered PNGs.")],
    backend: Annotated[KeyframeBackend, typer.Option(help="tooncrafter (diffusion), flow (optical flow, CPU), or auto: ToonCrafter when its weights are at hand, else flow.")] = KeyframeBackend(_DEFAULT.backend),
    frames: Annotated[int, typer.Option("--frames", help="Frames in the output, both keyframes included (ToonCrafter: always 16).")] = _DEFAULT.num_frames,
    steps: Steps = DEFAULTS.steps,
    cfg: Cfg = DEFAULTS.cfg_scale,
    fs: FrameStride = DEFAULTS.fs,
    eta: Eta = DEFAULTS.eta,
    seed: Seed = DEFAULTS.seed,
    prompt: Prompt = DEFAULTS.prompt,
    checkpoint: Checkpoint = None,
    config: Config = None,
    random_weights: RandomWeights = DEFAULTS.random_weights,
    download: Download = _DEFAULT.download,
    device: DeviceOption = Device(DEFAULTS.device),
    dtype: DTypeOption = DType(DEFAULTS.dtype),
    fit: Fit = FitMode(DEFAULTS.fit),
    full_resolution: FullResolution = DEFAULTS.full_resolution,
    output_fps: Annotated[str, typer.Option("--output-fps", help="Frame rate of the output clip (e.g. 8, 24000/1001).")] = str(_DEFAULT.output_fps),
    sketch: Annotated[Optional[list[str]], typer.Option("--sketch", metavar="INDEX:IMAGE", help="Line art of output frame INDEX (0-based: 0 is START, 15 is END with ToonCrafter; --frames - 1 with flow); repeat for more. Black-on-white or white-on-black, any size (fitted like the keyframes).")] = None,
    sketch_video: Annotated[Optional[Path], typer.Option("--sketch-video", metavar="FILE", help="A guide video with exactly one line-art frame per output frame (16 for ToonCrafter); blank frames count as not sketched. Flow ignores its first and last frames.")] = None,
    sketch_scale: Annotated[float, typer.Option("--sketch-scale", help="ToonCrafter: how strongly sketches steer (control scale, 0..1 as the community apps; 0 turns guidance off).")] = _SKETCH.scale,
    sketch_checkpoint: Annotated[Optional[Path], typer.Option("--sketch-checkpoint", metavar="PATH", help="ToonCrafter: sketch encoder weights (.ckpt or .safetensors). Default: model/sketch_encoder.ckpt.")] = None,
    sketch_config: Annotated[Optional[Path], typer.Option("--sketch-config", metavar="FILE", help="ToonCrafter: sketch encoder config. Default: the released encoder (configs/sketch_encoder.yaml); configs/sketch_encoder_tiny.yaml fits the tiny model.")] = None,
    sketch_frames: Annotated[UnsketchedFrames, typer.Option("--sketch-frames", help="ToonCrafter, frames without a sketch: blank gives them a blank hint (as the community apps; the default), masked zeroes their sketch residuals.")] = UnsketchedFrames(_SKETCH.unsketched),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = _DEFAULT.overwrite,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar (for scripts).")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Generate the frames between START and END and write them, both keyframes included, to OUT.

    Sketches of in-between poses steer the motion (an arc instead of a straight path, which way an arm swings):
    ToonCrafter through its sketch encoder, the flow backend (CPU, no weights) by moving the keyframes' drawn
    areas through the sketched poses.
    """
    model = tooncrafter_options(steps=steps, cfg=cfg, fs=fs, eta=eta, seed=seed, prompt=prompt, checkpoint=checkpoint,
                                config=config, random_weights=random_weights, device=device, dtype=dtype, fit=fit,
                                full_resolution=full_resolution)
    sketches = SketchSettings(
        sketches=tuple(parse_sketch_spec(text, frames) for text in sketch or ()), video=sketch_video,
        model=SketchOptions(checkpoint=None if sketch_checkpoint is None else str(sketch_checkpoint),
                            config=None if sketch_config is None else str(sketch_config), scale=sketch_scale,
                            unsketched=sketch_frames.value))
    settings = KeyframeSettings(backend=backend.value, num_frames=frames, output_fps=parse_rate(output_fps),
                                model=model, sketch=sketches, download=download, overwrite=overwrite)
    for keyframe in (start, end):
        read_image(keyframe)  # a missing or unreadable keyframe is reported before any backend is chosen
    choice = choose_backend(settings)
    if choice.notice:
        typer.echo(f"toonbatch: {choice.notice}", err=True)
    progress = SilentProgress() if quiet else BarProgress()
    try:
        written = interpolate_files(start, end, output, settings, choice.spec, progress)
    finally:
        progress.close()
    typer.echo(str(written))
