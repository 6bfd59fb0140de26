"""`toonbatch report PATH`: draw the quality report page again from its JSON (a job folder or an upscale output)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..reporting.report_file import locate_report, write_page
from . import app


@app.command("report")
def report(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A job's output folder (report.json), an upscale-fps output (NAME.report.json beside it) or a report JSON.")],
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Render (or refresh) the self-contained HTML quality report of a job or an upscale-fps output."""
    page = write_page(locate_report(path))
    typer.echo(f"quality report: {page}")
