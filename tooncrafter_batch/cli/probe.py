"""`toonbatch probe`: say what a video's frames are (progressive, telecined, interlaced, blended) and why."""

from __future__ import annotations

import json
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer

from ..conditioning import analyse_input, with_blend_cadence
from ..planning.source import SourceKind, SourceReport
from ..video.decode import open_video
from ..video.legacy import restored_rate
from . import app


@app.command("probe")
def probe(
    input_path: Annotated[Path, typer.Argument(metavar="FILE", help="A video file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: the report's fields, with file, frame_rate and restored_rate.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Decode FILE and report whether its frames are progressive, 3:2 telecined, interlaced or frame-blended."""
    source = open_video(input_path)
    frame_rate = source.info.frame_rate
    report = with_blend_cadence(analyse_input(source)[1], frame_rate)  # the look upscale-fps --source auto takes
    if as_json:
        typer.echo(json.dumps(_as_dict(input_path, frame_rate, report), indent=1))
    else:
        typer.echo("\n".join(describe(input_path, frame_rate, report)))


def _as_dict(path: Path, frame_rate: Fraction, report: SourceReport) -> dict:
    fields = asdict(report)
    fields["kind"] = report.kind.value
    fields["num_cadence_breaks"] = report.num_cadence_breaks
    fields["film_rate"] = None if report.film_rate is None else str(report.film_rate)
    return {"file": str(path), "frame_rate": str(frame_rate),
            "restored_rate": str(restored_rate(report, frame_rate)), **fields}


def describe(path: Path, frame_rate: Fraction, report: SourceReport) -> list[str]:
    """The report as a few readable lines."""
    lines = [f"{path}: {report.kind.value} (confidence {report.confidence:.2f})",
             f"  frames: {report.num_frames} at {frame_rate} fps, {report.num_moving} moving",
             f"  combed: {report.combed_fraction:.0%} of moving frames; "
             f"{report.residual_fraction:.0%} under the best 3:2 cadence"]
    if report.top_field_first is not None:
        lines.append(f"  field order: {'top' if report.top_field_first else 'bottom'} field first")
    if report.kind is SourceKind.telecine:
        runs = ", ".join(f"{run.start}-{run.end - 1} phase {run.phase}" for run in report.cadence)
        lines.append(f"  cadence: 3:2, {report.num_cadence_breaks} break(s): {runs}")
    for segment in report.segments:
        lines.append(f"  frames {segment.start}-{segment.end - 1}: {segment.report.kind.value} "
                     f"(confidence {segment.report.confidence:.2f}) -> {restored_rate(segment.report, frame_rate)} fps")
    if report.kind is SourceKind.soft_telecine:
        lines.append(f"  repeat-field flags: 3:2 soft pulldown of progressive pictures at {report.film_rate} fps")
    if report.kind is SourceKind.blended:
        lines.append(f"  blended frames: {len(report.blended_frames)}: {_listed(report.blended_frames)}")
        if report.blend_cadence is not None:
            lines.append(f"  blend cadence: one in {report.blend_cadence.period} (phase {report.blend_cadence.phase})")
    lines.append(f"  restores to: {restored_rate(report, frame_rate)} fps")
    return lines


def _listed(indices: tuple[int, ...], most: int = 20) -> str:
    shown = ", ".join(str(index) for index in indices[:most])
    return shown + (f", ... ({len(indices) - most} more)" if len(indices) > most else "")
