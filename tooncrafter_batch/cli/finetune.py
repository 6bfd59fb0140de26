"""`toonbatch finetune`: adapt the rife network to one show from its own footage (triplets of distinct drawings)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from ..planning.scenes import SceneSettings
from ..planning.timing import parse_rate
from ..progress import BarProgress, SilentProgress
from ..training.settings import FinetuneJob, RectificationSettings, TrainingSettings
from ..training.spec import load_finetune_spec
from ..training.triplets import TripletSettings
from . import app

if TYPE_CHECKING:
    from ..training.run import FinetuneResult
from .model_options import Checkpoint, Config, Device, DeviceOption, WeightsDir, WeightsFile

DEFAULTS = TrainingSettings()


class FinetuneBackend(str, Enum):
    rife = "rife"
    tooncrafter = "tooncrafter"


class Recipe(str, Enum):  # training.settings.RECIPES
    rectification = "rectification"
    released = "released"


TOONCRAFTER_PANEL = "ToonCrafter fine-tuning (--backend tooncrafter)"
TOONCRAFTER_DEFAULTS = RectificationSettings()


@app.command("finetune")
def finetune(
    inputs: Annotated[Optional[list[Path]], typer.Argument(metavar="INPUT...", help="Videos (or folders of numbered PNGs) of one show.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="NAME.safetensors", help="Where the fine-tuned weights go (the training state goes beside it, NAME.state.pt).")] = None,
    backend: Annotated[FinetuneBackend, typer.Option(help="The network to fine-tune.")] = FinetuneBackend.rife,
    spec: Annotated[Optional[Path], typer.Option("--spec", metavar="FILE", help="A YAML fine-tuning run (pipelines/finetune_show.yaml) instead of INPUT... and options.")] = None,
    steps: Annotated[int, typer.Option(min=1, help="Optimiser steps in all; a resumed run goes on to this many.")] = DEFAULTS.num_steps,
    batch_size: Annotated[int, typer.Option(min=1, help="Training crops per step (and per worker).")] = DEFAULTS.batch_size,
    crop: Annotated[int, typer.Option(help="Side of the square training crops, a multiple of 32.")] = DEFAULTS.crop,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate (small: the released weights are adapted, not replaced).")] = DEFAULTS.learning_rate,
    validation_fraction: Annotated[float, typer.Option(help="Share of the triplets held out, by shot, to pick the best weights; 0 keeps the last step.")] = DEFAULTS.validation_fraction,
    validate_every: Annotated[int, typer.Option(min=1, help="Steps between validations.")] = DEFAULTS.validate_every,
    seed: Annotated[int, typer.Option(help="Seed of the crops, flips and time reversals.")] = DEFAULTS.seed,
    scene_threshold: Annotated[float, typer.Option(help="Scene-cut sensitivity, as upscale-fps; no triplet crosses a cut.")] = SceneSettings.threshold,
    input_fps: Annotated[Optional[str], typer.Option(help="Frame rate of PNG-folder inputs (e.g. 24000/1001).")] = None,
    weights: WeightsFile = None,
    weights_dir: WeightsDir = None,
    device: DeviceOption = Device.cpu,
    checkpoint: Checkpoint = None,
    config: Config = None,
    recipe: Annotated[Recipe, typer.Option(rich_help_panel=TOONCRAFTER_PANEL, help="rectification: the paper's toon rectification (spatial layers and image-context projector; temporal layers frozen); released: the whole UNet, as the released training config.")] = Recipe(TOONCRAFTER_DEFAULTS.recipe),
    lora_rank: Annotated[int, typer.Option(min=0, rich_help_panel=TOONCRAFTER_PANEL, help="Train low-rank adapters of this rank on the recipe's attention projections instead of its weights (merged into the output); 0: no adapters.")] = TOONCRAFTER_DEFAULTS.lora_rank,
    gradient_checkpointing: Annotated[bool, typer.Option("--gradient-checkpointing", rich_help_panel=TOONCRAFTER_PANEL, help="Recompute UNet activations in the backward pass: less memory, more time (one more forward pass).")] = False,
    bf16: Annotated[bool, typer.Option("--bf16", rich_help_panel=TOONCRAFTER_PANEL, help="Compute in bfloat16 (needs --device cuda); the weights stay float32.")] = False,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads. Default: one per core, at most 4; 1 is faster on a machine busy with other work.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Data-parallel workers on Ray Train (one GPU each with --device cuda); 1 trains in this process.")] = 1,
    ray_address: Annotated[Optional[str], typer.Option(help="Join this Ray cluster (implies Ray Train).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar or summary.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Fine-tune rife on INPUT... (one show): triplets of consecutive distinct drawings, never across a cut, at their
    true times; the weights with the best validation PSNR are written to --out. Rerun the same command to resume.

    With --backend tooncrafter: toon rectification of ToonCrafter on 16-frame clips of the footage, starting from
    --checkpoint; --out is then a whole ToonCrafter checkpoint, the one whose in-betweens of held-out shots score
    best (--validation-fraction 0: the last step's)."""
    if spec is not None:
        job = load_finetune_spec(spec)
    else:
        if not inputs or out is None:
            raise typer.BadParameter("give INPUT... and --out NAME.safetensors, or --spec FILE")
        if (backend is FinetuneBackend.tooncrafter and weights is not None) or (
                backend is FinetuneBackend.rife and (checkpoint is not None or config is not None)):
            raise typer.BadParameter("--weights is for rife, --checkpoint and --config for tooncrafter")
        job = FinetuneJob(
            inputs=tuple(inputs), output=out, backend=backend.value, weights=weights or checkpoint,
            weights_dir=weights_dir,
            device=device.value, threads=threads, input_fps=parse_rate(input_fps) if input_fps else None,
            triplets=TripletSettings(scenes=SceneSettings(threshold=scene_threshold)),
            training=TrainingSettings(num_steps=steps, batch_size=batch_size, crop=crop, learning_rate=learning_rate,
                                      validation_fraction=validation_fraction, validate_every=validate_every,
                                      seed=seed),
            tooncrafter=RectificationSettings(config=config, recipe=recipe.value, lora_rank=lora_rank,
                                              gradient_checkpointing=gradient_checkpointing, bf16=bf16))
    from ..training.run import finetune as run_finetune, finetune_data_parallel  # torch loads only here

    if workers > 1 or ray_address is not None:
        result = finetune_data_parallel(job, workers, ray_address)
    else:
        progress = SilentProgress() if quiet else BarProgress()
        try:
            result = run_finetune(job, progress)
        finally:
            progress.close()
    if not quiet:
        _print_summary(result)


def _print_summary(result: FinetuneResult) -> None:
    console = Console(stderr=True)
    units = "clips" if result.backend == "tooncrafter" else "triplets"
    console.print(f"{result.num_training} training and {result.num_validation} validation {units}, "
                  f"{result.steps} steps", highlight=False)
    before, best = result.before, result.best
    if before is not None:
        console.print(f"validation before: PSNR {before.psnr:.2f} dB, SSIM {before.ssim:.4f}; best (step {best.step}): "
                      f"PSNR {best.psnr:.2f} dB ({best.psnr - before.psnr:+.2f}), SSIM {best.ssim:.4f}", highlight=False)
    use = "--backend tooncrafter --checkpoint" if result.backend == "tooncrafter" else "--backend rife --weights"
    console.print(f"weights: {result.output} (use: upscale-fps {use} {result.output})", highlight=False)
