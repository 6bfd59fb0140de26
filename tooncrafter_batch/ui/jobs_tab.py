"""The Jobs tab: the job files of a folder with their state, a chosen job's reports (report.json and the quality
page, where it wrote them), a job added by upload, and a job run (or a stopped one resumed: running it again does
that) with a progress bar."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr

from ..errors import InputError
from ..jobs.runner import REPORT_NAME
from ..jobs.spec import load_job
from ..jobs.status import job_status, list_jobs
from ..reporting.report_file import REPORT_HTML
from .messages import shows_errors
from .page_progress import PageProgress
from .runs import import_job, run_job
from .workspace import Workspace

COLUMNS = ["job", "state", "detail", "quality report"]


def add_jobs_tab(workspace: Workspace) -> None:
    with gr.Tab("Jobs", id="jobs"):
        with gr.Row():
            folder = gr.Textbox(str(workspace.jobs), label="Job folder", scale=4, elem_id="jobs-folder")
            refresh = gr.Button("Refresh", scale=1, elem_id="jobs-refresh")
        table = gr.Dataframe(headers=COLUMNS, value=_rows(workspace.jobs), interactive=False, wrap=True,
                             elem_id="jobs-table")
        with gr.Row():
            upload = gr.File(label="Add a job file (.yaml)", type="filepath", elem_id="jobs-upload")
            with gr.Column():
                choice = gr.Dropdown(_names(workspace.jobs), label="Job", elem_id="jobs-choice")
                run = gr.Button("Run / resume", variant="primary", elem_id="jobs-run")
        report = gr.File(label="Job report", file_count="multiple", interactive=False, elem_id="jobs-report")
        status = gr.Textbox(label="Status", interactive=False, elem_id="jobs-status")
    refresh.click(_on_refresh, [folder], [table, choice, status])
    upload.upload(partial(_on_upload, workspace), [upload], [folder, table, choice, status])
    choice.input(_on_choose, [folder, choice], [report, status])
    run.click(partial(_on_run, workspace), [folder, choice], [table, report, status])


@shows_errors(num_outputs=3)
def _on_refresh(folder_text: str):
    jobs = Path(folder_text)
    if not jobs.is_dir():
        raise InputError(f"job folder {jobs} does not exist; give a folder holding job files")
    return _rows(jobs), gr.Dropdown(choices=_names(jobs)), f"{len(_names(jobs))} job file(s) in {jobs}"


@shows_errors(num_outputs=4)
def _on_upload(workspace: Workspace, path: str | None):
    if not path:
        return gr.skip(), gr.skip(), gr.skip(), ""
    job = import_job(workspace, Path(path))
    return (str(workspace.jobs), _rows(workspace.jobs), gr.Dropdown(choices=_names(workspace.jobs), value=job.name),
            f"added {job}")


@shows_errors(num_outputs=2)
def _on_choose(folder_text: str, name: str | None):
    if not name:
        return gr.skip(), ""
    spec = load_job(Path(folder_text) / name)
    state = job_status(spec)
    return _reports(spec.output), f"{name}: {state.state}, {state.detail}"


@shows_errors(num_outputs=3)
def _on_run(workspace: Workspace, folder_text: str, name: str | None, progress=gr.Progress()):
    if not name:
        raise InputError("choose a job first (the list shows the job files of the folder)")
    result, output = run_job(workspace, Path(folder_text) / name, PageProgress(progress))
    line = f"{result.count('done')} done, {result.count('skipped')} skipped, {result.count('failed')} failed: {output}"
    return _rows(Path(folder_text)), _reports(output), line


def _reports(output: Path) -> list[str]:
    """A job's report.json and its quality page, those it has written."""
    return [str(path) for path in (output / REPORT_NAME, output / REPORT_HTML) if path.is_file()]


def _names(folder: Path) -> list[str]:
    return [status.job.name for status in list_jobs(folder)] if folder.is_dir() else []


def _rows(folder: Path) -> list[list[str]]:
    return [[status.job.name, status.state, status.detail, str(status.report_page or "")]
            for status in list_jobs(folder)]
