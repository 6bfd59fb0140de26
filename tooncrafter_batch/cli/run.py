"""`toonbatch run JOB.yaml`: an archive job (many videos, optionally on a Ray cluster) described by a YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Column, Table

from ..jobs.report import JobReport, VideoPlanReport
from ..jobs.runner import REPORT_NAME, JobRunner
from ..jobs.spec import load_job
from ..progress import BarProgress, SilentProgress
from ..reporting.report_file import REPORT_HTML
from . import app


@app.command("run")
def run_job(
    job_file: Annotated[Path, typer.Argument(metavar="JOB.yaml", help="The job file (schema: pipelines/README.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (videos, frames, scenes, pairs, chunks already done) and stop.")] = False,
    ray_address: Annotated[Optional[str], typer.Option(help="Join this existing Ray cluster instead of starting one.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars or tables (for scripts); report.json is still written.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Run every video of JOB.yaml; resumes where a killed run stopped. Exit 0: all done, 3: some videos failed."""
    spec = load_job(job_file)
    console = Console(stderr=quiet)
    if dry_run:
        runner = JobRunner(spec, ray_address)
        plans = runner.plan()
        if not quiet:
            console.print(_plan_table(plans))
            for plan in plans:
                if plan.problem:
                    console.print(f"will fail {plan.input}: {plan.problem}", highlight=False)
            for skipped in runner.skipped_inputs():
                console.print(f"skipped {skipped.input}: {skipped.reason}", highlight=False)
        return
    progress = SilentProgress() if quiet else BarProgress()
    try:
        report = JobRunner(spec, ray_address, progress).run()
    finally:
        progress.close()
    if not quiet:
        console.print(_report_table(report))
        for video in report.videos:
            if video.reason:
                console.print(f"{video.status} {video.input}: {video.reason}", highlight=False)
        page = f", quality report: {spec.output / REPORT_HTML}" if spec.report else ""
        console.print(f"{report.count('done')} done, {report.count('skipped')} skipped, {report.count('failed')} "
                      f"failed; report: {spec.output / REPORT_NAME}{page}", highlight=False)
    raise typer.Exit(report.exit_code)


def _plan_table(plans: list[VideoPlanReport]) -> Table:
    table = Table(Column("input", overflow="fold"), "frames", "scenes", "pairs", "in-betweens", "frames out",
                  "chunks done", "state", title="plan")
    for plan in plans:
        state = "fails" if plan.problem else "done" if plan.is_done else "to do"
        table.add_row(plan.input, str(plan.frames_in), str(plan.scenes), str(plan.pairs), str(plan.inbetweens),
                      str(plan.frames_out), f"{plan.chunks_done}/{plan.chunks}", state)
    table.add_section()
    table.add_row("total", *(str(sum(getattr(plan, name) for plan in plans))
                             for name in ("frames_in", "scenes", "pairs", "inbetweens", "frames_out")),
                  f"{sum(plan.chunks_done for plan in plans)}/{sum(plan.chunks for plan in plans)}", "")
    return table


def _report_table(report: JobReport) -> Table:
    table = Table(Column("input", overflow="fold"), "status", "frames in", "frames out", "scenes", "seconds",
                  "retried units", title="job report")
    for video in report.videos:
        colour = {"done": "green", "skipped": "yellow", "failed": "red"}[video.status]
        table.add_row(video.input, f"[{colour}]{video.status}[/]", str(video.frames_in), str(video.frames_out),
                      str(video.scenes), f"{video.seconds:.1f}", str(video.retried_units))
    return table
