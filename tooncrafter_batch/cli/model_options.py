"""The ToonCrafter model options shared by `toonbatch interpolate` and `upscale-fps` (not a command).

Defaults come from `ToonCrafterOptions` (the reference's sampling settings).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..backends.tooncrafter_options import ToonCrafterOptions
from ..imaging.grid_fit import FitMode

DEFAULTS = ToonCrafterOptions()


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


class DType(str, Enum):
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


Steps = Annotated[int, typer.Option("--steps", help="ToonCrafter: DDIM steps (fewer is faster and rougher).")]
Cfg = Annotated[float, typer.Option("--cfg", help="ToonCrafter: classifier-free guidance scale.")]
FrameStride = Annotated[int, typer.Option("--fs", help="ToonCrafter: frame-stride condition (5-30; smaller means larger motion).")]
Eta = Annotated[float, typer.Option("--eta", help="ToonCrafter: DDIM eta (0 deterministic steps, 1 as the reference).")]
Seed = Annotated[int, typer.Option("--seed", help="ToonCrafter: seed of all noise; a seed reproduces a result.")]
Prompt = Annotated[str, typer.Option("--prompt", help="ToonCrafter: text describing the scene (optional).")]
Checkpoint = Annotated[Optional[Path], typer.Option("--checkpoint", metavar="PATH", help="ToonCrafter weights (.ckpt or .safetensors). Default: model/tooncrafter_512_interp_v1/model.ckpt.")]
Config = Annotated[Optional[Path], typer.Option("--config", metavar="FILE", help="ToonCrafter model config (configs/*.yaml). Default: the official 512 model.")]
RandomWeights = Annotated[bool, typer.Option("--random-weights", help="ToonCrafter without a checkpoint: seeded random weights (smoke tests, benchmarks).")]
Download = Annotated[bool, typer.Option("--download", help="Fetch the official checkpoint (about 10 GB) from the Hugging Face hub when it is missing.")]
DeviceOption = Annotated[Device, typer.Option("--device", help="ToonCrafter: where the model runs.")]
DTypeOption = Annotated[DType, typer.Option("--dtype", help="ToonCrafter: weight precision (bf16/fp16 halve the memory on a GPU).")]
Fit = Annotated[FitMode, typer.Option("--fit", help="ToonCrafter: pad keeps the whole picture (4:3 is never cropped); crop is the reference's centre crop.")]


def tooncrafter_options(*, steps: int, cfg: float, fs: int, eta: float, seed: int, prompt: str,
                        checkpoint: Path | None, config: Path | None, random_weights: bool, device: Device,
                        dtype: DType, fit: FitMode, batch_pairs: int = DEFAULTS.batch_pairs) -> ToonCrafterOptions:
    """The parsed options as the backend's typed options (paths as strings, so they pickle into Ray actors)."""
    return ToonCrafterOptions(
        config=None if config is None else str(config), checkpoint=None if checkpoint is None else str(checkpoint),
        random_weights=random_weights, device=device.value, dtype=dtype.value, steps=steps, cfg_scale=cfg, fs=fs,
        eta=eta, seed=seed, prompt=prompt, fit=fit.value, batch_pairs=batch_pairs)
