"""`toonbatch interpolate`: the in-betweens of two keyframe images, as a clip holding both keyframes."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..backends.grid_fit import FitMode
from ..keyframes import KeyframeSettings, choose_backend, interpolate_files
from ..timing import parse_rate
from . import app
from .model_options import (DEFAULTS, Cfg, Checkpoint, Config, Device, DeviceOption, Download, DType, DTypeOption,
                            Eta, Fit, FrameStride, Prompt, RandomWeights, Seed, Steps, tooncrafter_options)

_DEFAULT = KeyframeSettings()


class KeyframeBackend(str, Enum):
    auto = "auto"
    tooncrafter = "tooncrafter"
    flow = "flow"


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
    output_fps: Annotated[str, typer.Option("--output-fps", help="Frame rate of the output clip (e.g. 8, 24000/1001).")] = str(_DEFAULT.output_fps),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = _DEFAULT.overwrite,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Generate the frames between START and END and write them, both keyframes included, to OUT."""
    model = tooncrafter_options(steps=steps, cfg=cfg, fs=fs, eta=eta, seed=seed, prompt=prompt, checkpoint=checkpoint,
                                config=config, random_weights=random_weights, device=device, dtype=dtype, fit=fit)
    settings = KeyframeSettings(backend=backend.value, num_frames=frames, output_fps=parse_rate(output_fps),
                                model=model, download=download, overwrite=overwrite)
    choice = choose_backend(settings)
    if choice.notice:
        typer.echo(f"toonbatch: {choice.notice}", err=True)
    typer.echo(str(interpolate_files(start, end, output, settings, choice.spec)))
