"""`toonbatch upscale-fps`: raise the frame rate of one video (or a folder of numbered PNGs)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from ..backends.base import BackendSpec
from ..backends.learned_options import LearnedOptions
from ..backends.registry import routed_spec
from ..backends.tooncrafter_options import ToonCrafterOptions, locate_weights
from ..conditioning import SourceMode
from ..errors import OutputError
from ..imaging.grid_fit import FitMode
from ..pipeline import ExecutorSettings, Upscaler, UpscaleSettings, default_output_path
from ..planning.scenes import SceneSettings
from ..planning.timing import DedupeMode, TimingSettings, parse_rate
from ..progress import BarProgress, SilentProgress
from ..video.encode import EncoderSettings
from . import app
from .model_options import (
    DEFAULTS,
    LEARNED_DEFAULTS,
    MODEL_PANEL,
    Cfg,
    Checkpoint,
    Config,
    Device,
    DeviceOption,
    Download,
    DType,
    DTypeOption,
    Ensemble,
    Flip,
    Eta,
    Fit,
    FrameStride,
    FullResolution,
    Prompt,
    RandomWeights,
    Scale,
    Seed,
    Steps,
    Variant,
    VariantOption,
    WeightsDir,
    WeightsFile,
    learned_options,
    tooncrafter_options,
)
from .route_options import Budget, DryRun, Ladder, available_ladder, check_route_options, print_dry_run, route_settings


class BackendName(str, Enum):
    auto = "auto"
    flow = "flow"
    rife = "rife"
    gmfss = "gmfss"
    blend = "blend"
    duplicate = "duplicate"
    tooncrafter = "tooncrafter"


class ExecutorKind(str, Enum):
    auto = "auto"
    local = "local"
    ray = "ray"


_DEFAULT_TIMING = TimingSettings(factor=2)
_DEFAULT_ENCODER = EncoderSettings()


@app.command("upscale-fps")
def upscale_fps(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="A video file, or a folder of numbered PNGs (with --input-fps).")],
    output: Annotated[Optional[str], typer.Option("-o", "--output", help="Output file, or a folder (existing, or ending in /) for numbered PNGs. Default: <stem>_x<N>.<ext> beside the input.")] = None,
    factor: Annotated[Optional[int], typer.Option(help="Multiply the frame rate by this integer (>= 2): N frames in, N x factor out.")] = None,
    fps: Annotated[Optional[str], typer.Option(help="Target frame rate instead of --factor: 60, 60000/1001 or 59.94 (above the input rate).")] = None,
    backend: Annotated[BackendName, typer.Option(help="Interpolator: auto (each pair routed along --ladder under --budget; today's default ladder: flow alone), flow (optical flow, CPU, no weights), rife (RIFE 4.x network), gmfss (GMFSS Fortuna network; slow on a CPU), tooncrafter (diffusion; a GPU is advised), blend (cross-fade) or duplicate.")] = BackendName.auto,
    executor: Annotated[ExecutorKind, typer.Option(help="Where interpolation runs: local threads, Ray actors, or auto (Ray when --ray-address, a GPU backend or --workers > 1).")] = ExecutorKind.auto,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Parallel backend instances (threads locally, actors on Ray). Default: one thread per CPU core (up to 4) for flow run locally, else 1.")] = None,
    ray_address: Annotated[Optional[str], typer.Option(help="Join this existing Ray cluster instead of starting one.")] = None,
    source: Annotated[SourceMode, typer.Option(help="What the input's frames are: auto finds out (toonbatch probe shows how); progressive is left untouched; telecine (3:2 pulldown) is woven back to the drawings; interlaced is deinterlaced at field rate; blended drops frames that mix two pictures. --factor applies to the restored rate.")] = SourceMode.auto,
    scene_threshold: Annotated[float, typer.Option(help="Scene-cut sensitivity (PySceneDetect ContentDetector); lower finds more cuts.")] = SceneSettings.threshold,
    dedupe: Annotated[DedupeMode, typer.Option(help="Held drawings: auto re-times frames drawn on twos/threes between distinct drawings; camera does that also for drawings held while the camera pans on ones (within 1/3 s; a shake keeps its frames); off treats every frame as a keyframe.")] = _DEFAULT_TIMING.dedupe,
    dedupe_threshold: Annotated[float, typer.Option(help="Largest local luma change (0..255) that still counts as the same drawing.")] = _DEFAULT_TIMING.dedupe_threshold,
    codec: Annotated[str, typer.Option(help="Video codec of the output.")] = _DEFAULT_ENCODER.codec,
    crf: Annotated[int, typer.Option(help="Constant rate factor (quality; lower is better).")] = _DEFAULT_ENCODER.crf,
    preset: Annotated[str, typer.Option(help="Encoder speed preset.")] = _DEFAULT_ENCODER.preset,
    steps: Steps = DEFAULTS.steps,
    cfg: Cfg = DEFAULTS.cfg_scale,
    fs: FrameStride = DEFAULTS.fs,
    eta: Eta = DEFAULTS.eta,
    seed: Seed = DEFAULTS.seed,
    prompt: Prompt = DEFAULTS.prompt,
    checkpoint: Checkpoint = None,
    config: Config = None,
    random_weights: RandomWeights = DEFAULTS.random_weights,
    download: Download = False,
    device: DeviceOption = Device(DEFAULTS.device),
    dtype: DTypeOption = DType(DEFAULTS.dtype),
    fit: Fit = FitMode(DEFAULTS.fit),
    full_resolution: FullResolution = DEFAULTS.full_resolution,
    batch_pairs: Annotated[int, typer.Option("--batch-pairs", min=1, rich_help_panel=MODEL_PANEL, help="ToonCrafter, rife, gmfss: keyframe pairs per model call (more is faster on a GPU, needs more memory).")] = DEFAULTS.batch_pairs,
    scale: Scale = LEARNED_DEFAULTS.scale,
    ensemble: Ensemble = LEARNED_DEFAULTS.ensemble,
    flip: Flip = LEARNED_DEFAULTS.flip,
    variant: VariantOption = Variant(LEARNED_DEFAULTS.variant),
    weights_dir: WeightsDir = None,
    weights: WeightsFile = None,
    input_fps: Annotated[Optional[str], typer.Option(help="Frame rate of a PNG-folder input (e.g. 24000/1001).")] = None,
    allow_partial: Annotated[bool, typer.Option("--allow-partial", help="Keep going with the frames before a decoding error instead of failing.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write the quality report (difficulty and confidence per in-between, hardest pairs) as NAME.report.json and NAME.report.html beside the output.")] = UpscaleSettings.report,
    budget: Budget = None,
    ladder: Ladder = None,
    dry_run: DryRun = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars or summary (for scripts).")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Raise the frame rate of INPUT with generated in-betweens, keeping its sound, timing and scene cuts."""
    def model_for(name: BackendName) -> ToonCrafterOptions | LearnedOptions | None:
        """Weights found (or fetched) here, before any executor starts."""
        if name is BackendName.tooncrafter:
            return locate_weights(tooncrafter_options(
                steps=steps, cfg=cfg, fs=fs, eta=eta, seed=seed, prompt=prompt, checkpoint=checkpoint, config=config,
                random_weights=random_weights, device=device, dtype=dtype, fit=fit, full_resolution=full_resolution,
                batch_pairs=batch_pairs), download)
        if name in (BackendName.rife, BackendName.gmfss):
            return learned_options(name.value, weights_dir=weights_dir, device=device, dtype=dtype, scale=scale,
                                   ensemble=ensemble, flip=flip, variant=variant, batch_pairs=batch_pairs,
                                   weights=weights)
        return None

    check_route_options(backend is BackendName.auto, budget, ladder)
    rungs = available_ladder(ladder, weights_dir, quiet) if backend is BackendName.auto else (backend.value,)
    models = [model_for(BackendName(name)) for name in rungs]
    specs = tuple(_backend_spec(BackendName(name), model) for name, model in zip(rungs, models))
    needs_gpu = any(model is not None and model.needs_gpu for model in models)
    settings = UpscaleSettings(
        timing=TimingSettings(factor=factor, fps=parse_rate(fps) if fps else None, dedupe=dedupe,
                              dedupe_threshold=dedupe_threshold),
        backend=specs[0] if len(specs) == 1 else routed_spec(specs, needs_gpu),
        executor=ExecutorSettings(executor.value, workers, ray_address),
        scenes=SceneSettings(threshold=scene_threshold),
        encoder=EncoderSettings(codec=codec, crf=crf, preset=preset),
        source=source,
        input_fps=parse_rate(input_fps) if input_fps else None,
        allow_partial=allow_partial,
        overwrite=overwrite,
        report=report,
        needs_gpu=needs_gpu,
        route=route_settings(rungs, budget),
    )
    progress = SilentProgress() if quiet or dry_run else BarProgress()
    if dry_run:
        result = Upscaler(settings, progress).dry_run(input_path, Path(output or "."))
        print_dry_run(result.routes, result.frames_in, result.frames_out, result.scenes)
        return
    output_path = _resolve_output(input_path, output, settings.timing)
    try:
        result = Upscaler(settings, progress).run(input_path, output_path)
    finally:
        progress.close()
    console = Console(stderr=True)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    if not quiet:
        console.print(result.source, highlight=False, soft_wrap=True)
        console.print(result.summary(), highlight=False)
        if result.report is not None:
            console.print(f"quality report: {result.report}", highlight=False, soft_wrap=True)


def _backend_spec(backend: BackendName, model: ToonCrafterOptions | LearnedOptions | None) -> BackendSpec:
    if model is None:
        return BackendSpec(backend.value)
    return model.backend_spec() if backend is BackendName.tooncrafter else model.backend_spec(backend.value)


def _resolve_output(input_path: Path, output: str | None, timing: TimingSettings) -> Path:
    if output is None:
        return default_output_path(input_path, timing)
    if output.endswith("/"):
        try:
            Path(output).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create output folder {output}: {error.strerror}") from None
    return Path(output)
