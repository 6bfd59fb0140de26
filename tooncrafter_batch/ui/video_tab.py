"""The Video tab: upload a video, choose the backend and the rate, run it with a progress bar, preview and
download the result; or save the same settings as a YAML job for the Jobs tab (or `toonbatch run`)."""

from __future__ import annotations

from functools import partial

import gradio as gr

from ..backends.base import BackendSpec
from ..errors import InputError
from ..planning.timing import DedupeMode
from .messages import shows_errors
from .page_progress import PageProgress
from .runs import VIDEO_BACKENDS, run_video, save_video_job, timing_settings
from .workspace import Workspace


def add_video_tab(workspace: Workspace) -> None:
    with gr.Tab("Video", id="video"):
        with gr.Row():
            with gr.Column():
                upload = gr.File(label="Video", file_count="single", type="filepath", elem_id="video-input")
                backend = gr.Dropdown(list(VIDEO_BACKENDS), value=BackendSpec.name, label="Backend",
                                      elem_id="video-backend")
                with gr.Row():
                    factor = gr.Number(value=2, precision=0, minimum=2, label="Factor", elem_id="video-factor")
                    fps = gr.Textbox(label="Target fps (instead of the factor)", placeholder="e.g. 60000/1001",
                                     elem_id="video-fps")
                dedupe = gr.Dropdown([mode.value for mode in DedupeMode], value=DedupeMode.auto.value,
                                     label="Held drawings (dedupe)", elem_id="video-dedupe")
                with gr.Row():
                    run = gr.Button("Run", variant="primary", elem_id="video-run")
                    save = gr.Button("Save as YAML job", elem_id="video-save")
            with gr.Column():
                preview = gr.Video(label="Result", interactive=False, elem_id="video-preview")
                files = gr.File(label="Download (video and quality report)", file_count="multiple",
                                interactive=False, elem_id="video-files")
        status = gr.Textbox(label="Status", interactive=False, elem_id="video-status")
    settings = [upload, backend, factor, fps, dedupe]
    run.click(partial(_on_run, workspace), settings, [preview, files, status])
    save.click(partial(_on_save, workspace), settings, [status])


@shows_errors(num_outputs=3)
def _on_run(workspace: Workspace, path, backend_name, factor_value, fps_text, dedupe_mode, progress=gr.Progress()):
    timing = timing_settings(factor_value, fps_text, dedupe_mode)
    result = run_video(workspace, _uploaded(path), backend_name, timing, PageProgress(progress))
    outputs = [str(result.output)] + ([str(result.report)] if result.report else [])
    return str(result.output), outputs, result.summary()


@shows_errors(num_outputs=1)
def _on_save(workspace: Workspace, path, backend_name, factor_value, fps_text, dedupe_mode):
    timing = timing_settings(factor_value, fps_text, dedupe_mode)
    job = save_video_job(workspace, _uploaded(path), backend_name, timing)
    return f"saved {job}; the Jobs tab lists it, or run: toonbatch run {job}"


def _uploaded(path: str | None) -> str:
    if not path:
        raise InputError("no video uploaded; drop a video file on the Video box first")
    return path
