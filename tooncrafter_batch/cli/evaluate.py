"""`toonbatch eval`: score backends (and optionally ffmpeg's minterpolate) on a clip, as BASELINE.md does."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from ..backends.registry import BACKENDS
from ..conditioning import SourceMode
from ..evaluation.protocols import Protocol, ProtocolKind, load_clip
from ..evaluation.report import results_to_dict
from ..evaluation.runner import EvaluationSettings, ProtocolResult, Summary, evaluate_clip
from ..planning.timing import parse_rate
from . import app

BackendName = Enum("BackendName", {name: name for name in sorted(BACKENDS)}, type=str)


class ProtocolChoice(str, Enum):
    sub = "sub"
    uniq = "uniq"
    all = "all"


@app.command("eval")
def evaluate(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="A video file, or a folder of numbered PNGs.")],
    protocol: Annotated[ProtocolChoice, typer.Option(help="sub: keep every Nth frame and rebuild the rest; uniq: predict each distinct drawing from its neighbours; all: both.")] = ProtocolChoice.all,
    factor: Annotated[Optional[list[int]], typer.Option(help="N of the sub protocol (sub_kN); repeat for several. Default 2.")] = None,
    backend: Annotated[Optional[list[BackendName]], typer.Option(help="Backend to score; repeat for several. Default flow.")] = None,
    vs_ffmpeg: Annotated[bool, typer.Option("--vs-ffmpeg", help="Also score ffmpeg minterpolate (mci, blend, dup) on the same frames; needs the ffmpeg program.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: {clip, protocol, factor, methods}; several protocols give {clip, runs: [...]}.")] = False,
    input_fps: Annotated[Optional[str], typer.Option(help="Frame rate of a PNG-folder input (e.g. 24000/1001); default 24.")] = None,
    source: Annotated[SourceMode, typer.Option(help="What a video's frames are (as upscale-fps --source): a telecined, interlaced or blended video is scored on its restored pictures; progressive ones as decoded.")] = SourceMode.auto,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Score interpolation on INPUT against its own frames: PSNR, SSIM and line-art chamfer distance (CD, px)."""
    factors = tuple(factor or [2])
    kinds = [ProtocolKind.sub, ProtocolKind.uniq] if protocol is ProtocolChoice.all else [ProtocolKind(protocol.value)]
    protocols = tuple(p for kind in kinds for p in
                      ([Protocol(kind, f) for f in factors] if kind is ProtocolKind.sub else [Protocol(kind)]))
    settings = EvaluationSettings(
        protocols=protocols,
        backends=tuple(name.value for name in (backend or [BackendName("flow")])),
        vs_ffmpeg=vs_ffmpeg,
        input_fps=parse_rate(input_fps) if input_fps else None,
    )
    clip = load_clip(input_path, settings.input_fps, source)
    results = evaluate_clip(clip, settings)
    if as_json:
        typer.echo(json.dumps(results_to_dict(results), indent=1))
    else:
        _print_tables(results)


def _print_tables(results: list[ProtocolResult]) -> None:
    console = Console()
    for result in results:
        table = Table(title=f"{result.clip}: {result.protocol.name}", title_justify="left")
        table.add_column("method")
        for column in ["n", "PSNR dB", "SSIM", "CD px", "motion n", "motion PSNR", "fps"]:
            table.add_column(column, justify="right")
        for method in result.methods:
            overall, motion = method.overall(), method.motion()
            speed = f"{len(method.scores) / method.seconds:.1f}" if method.seconds > 0 else "-"
            table.add_row(method.name, str(overall.n), *_cells(overall), str(motion.n),
                          f"{motion.psnr:.2f}" if motion.n else "-", speed)
        console.print(table)
        if len(result.scenes) > 1:
            console.print(f"{result.clip}: {result.protocol.name}, PSNR dB per scene", highlight=False)
            console.print(_scene_table(result))


def _scene_table(result: ProtocolResult) -> Table:
    table = Table()
    table.add_column("scene (frames)")
    for method in result.methods:
        table.add_column(method.name, justify="right")
    per_method = [method.per_scene() for method in result.methods]
    for index, shot in enumerate(result.scenes):
        cells = [f"{scores[index].psnr:.2f} (n={scores[index].n})" if index in scores else "-" for scores in per_method]
        table.add_row(f"{index} ({shot.start}-{shot.end - 1})", *cells)
    return table


def _cells(summary: Summary) -> list[str]:
    if not summary.n:
        return ["-", "-", "-"]
    return [f"{summary.psnr:.2f}", f"{summary.ssim:.3f}", f"{summary.chamfer:.2f}"]
