"""The model options shared by the commands that run models (`interpolate`, `upscale-fps`); not a command.

Each option is declared once here; defaults come from the backends' option dataclasses (`ToonCrafterOptions`, the
reference's sampling settings; `LearnedOptions` for rife and gmfss), which the job loader builds from YAML too.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..backends.learned_options import SCALES, LearnedOptions, locate_learned_weights
from ..backends.tooncrafter_options import ToonCrafterOptions
from ..imaging.grid_fit import FitMode

DEFAULTS = ToonCrafterOptions()
MODEL_PANEL = "Model options (tooncrafter, rife, gmfss)"
LEARNED_DEFAULTS = LearnedOptions()


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


class DType(str, Enum):
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


class Variant(str, Enum):
    union = "union"
    base = "base"


Steps = Annotated[int, typer.Option("--steps", rich_help_panel=MODEL_PANEL, help="ToonCrafter: DDIM steps (fewer is faster and rougher).")]
Cfg = Annotated[float, typer.Option("--cfg", rich_help_panel=MODEL_PANEL, help="ToonCrafter: classifier-free guidance scale.")]
FrameStride = Annotated[int, typer.Option("--fs", rich_help_panel=MODEL_PANEL, help="ToonCrafter: frame-stride condition (5-30; smaller means larger motion).")]
Eta = Annotated[float, typer.Option("--eta", rich_help_panel=MODEL_PANEL, help="ToonCrafter: DDIM eta (0 deterministic steps, 1 as the reference).")]
Seed = Annotated[int, typer.Option("--seed", rich_help_panel=MODEL_PANEL, help="ToonCrafter: seed of all noise; a seed reproduces a result.")]
Prompt = Annotated[str, typer.Option("--prompt", rich_help_panel=MODEL_PANEL, help="ToonCrafter: text describing the scene (optional).")]
Checkpoint = Annotated[Optional[Path], typer.Option("--checkpoint", rich_help_panel=MODEL_PANEL, metavar="PATH", help="ToonCrafter weights (.ckpt or .safetensors). Default: model/tooncrafter_512_interp_v1/model.ckpt.")]
Config = Annotated[Optional[Path], typer.Option("--config", rich_help_panel=MODEL_PANEL, metavar="FILE", help="ToonCrafter model config (configs/*.yaml). Default: the official 512 model.")]
RandomWeights = Annotated[bool, typer.Option("--random-weights", rich_help_panel=MODEL_PANEL, help="ToonCrafter without a checkpoint: seeded random weights (smoke tests, benchmarks).")]
Download = Annotated[bool, typer.Option("--download", rich_help_panel=MODEL_PANEL, help="Fetch the official checkpoint (about 10 GB) from the Hugging Face hub when it is missing.")]
DeviceOption = Annotated[Device, typer.Option("--device", rich_help_panel=MODEL_PANEL, help="ToonCrafter, rife, gmfss: where the model runs.")]
DTypeOption = Annotated[DType, typer.Option("--dtype", rich_help_panel=MODEL_PANEL, help="ToonCrafter, rife, gmfss: weight precision (bf16/fp16 on a GPU: half the memory, faster).")]
Scale = Annotated[float, typer.Option("--scale", rich_help_panel=MODEL_PANEL, help=f"rife, gmfss: resolution the motion is estimated at ({', '.join(map(str, SCALES))}; 0.5 for 4K).")]
Ensemble = Annotated[bool, typer.Option("--ensemble", rich_help_panel=MODEL_PANEL, help="rife, gmfss: also interpolate the swapped pair and average (twice the time, a little better).")]
Flip = Annotated[bool, typer.Option("--flip", rich_help_panel=MODEL_PANEL, help="rife, gmfss: also interpolate the mirrored frames and average (twice the time, a little better; with --ensemble, four times).")]
VariantOption = Annotated[Variant, typer.Option("--variant", rich_help_panel=MODEL_PANEL, help="gmfss: union (also uses RIFE's frame; the default) or base.")]
WeightsDir = Annotated[Optional[Path], typer.Option("--weights-dir", rich_help_panel=MODEL_PANEL, metavar="DIR", help="rife, gmfss: the converted weights (toonbatch model download rife). Default: model/learned or $TOONBATCH_WEIGHTS.")]
WeightsFile = Annotated[Optional[Path], typer.Option("--weights", rich_help_panel=MODEL_PANEL, metavar="FILE", help="rife: one weights file, e.g. from toonbatch finetune, instead of the released ones.")]
Fit = Annotated[FitMode, typer.Option("--fit", rich_help_panel=MODEL_PANEL, help="ToonCrafter: pad keeps the whole picture (4:3 is never cropped); crop is the reference's centre crop.")]
FullResolution = Annotated[bool, typer.Option("--full-resolution/--no-full-resolution", rich_help_panel=MODEL_PANEL, help="ToonCrafter: draw each in-between from the full-size keyframes along the generated motion (sharp lines at the source's size), instead of upscaling the 512x320 frame.")]


def tooncrafter_options(*, steps: int, cfg: float, fs: int, eta: float, seed: int, prompt: str,
                        checkpoint: Path | None, config: Path | None, random_weights: bool, device: Device,
                        dtype: DType, fit: FitMode, full_resolution: bool,
                        batch_pairs: int = DEFAULTS.batch_pairs) -> ToonCrafterOptions:
    """The parsed options as the backend's typed options (paths as strings, so they pickle into Ray actors)."""
    return ToonCrafterOptions(
        config=None if config is None else str(config), checkpoint=None if checkpoint is None else str(checkpoint),
        random_weights=random_weights, device=device.value, dtype=dtype.value, steps=steps, cfg_scale=cfg, fs=fs,
        eta=eta, seed=seed, prompt=prompt, fit=fit.value, full_resolution=full_resolution, batch_pairs=batch_pairs)


def learned_options(name: str, *, weights_dir: Path | None, device: Device, dtype: DType, scale: float, ensemble: bool,
                    flip: bool, variant: Variant, batch_pairs: int, weights: Path | None = None) -> LearnedOptions:
    """The parsed options of the `rife` or `gmfss` backend, with its weights found (one line if they are not)."""
    options = LearnedOptions(weights_dir=None if weights_dir is None else str(weights_dir),
                             weights=None if weights is None else str(weights), device=device.value,
                             dtype=dtype.value, scale=scale, ensemble=ensemble, flip=flip, variant=variant.value,
                             batch_pairs=batch_pairs)
    return locate_learned_weights(options, name)
