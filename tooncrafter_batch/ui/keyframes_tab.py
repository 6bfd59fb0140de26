"""The Keyframes tab: two keyframes, the number of frames and the backend; a sketch canvas per in-between (drawn
over a ghost of both keyframes) for sparse sketch guidance; the frames shown as a strip and an animated preview,
and downloadable as a clip or a zip of PNGs."""

from __future__ import annotations

from functools import partial

import gradio as gr
import numpy as np

from ..errors import InputError
from ..keyframes import BACKEND_NAMES, TOONCRAFTER_FRAMES, KeyframeSettings
from ..sketches import read_image
from .messages import shows_errors
from .page_progress import PageProgress
from .runs import keyframe_settings, run_keyframes
from .workspace import Workspace

MAX_INBETWEENS = TOONCRAFTER_FRAMES - 2  # one canvas per in-between of the longest clip offered
GHOST_STRENGTH = 0.35  # how dark the keyframes show under the strokes (0: blank paper, 1: as drawn)


def add_keyframes_tab(workspace: Workspace) -> None:
    with gr.Tab("Keyframes", id="keyframes"):
        with gr.Row():
            start = gr.Image(label="Start keyframe", type="filepath", elem_id="keyframe-start")
            end = gr.Image(label="End keyframe", type="filepath", elem_id="keyframe-end")
        with gr.Row():
            frames = gr.Slider(3, TOONCRAFTER_FRAMES, value=KeyframeSettings.num_frames, step=1,
                               label="Frames (both keyframes included; ToonCrafter: 16)", elem_id="keyframe-frames")
            backend = gr.Dropdown(list(BACKEND_NAMES), value=KeyframeSettings.backend, label="Backend",
                                  elem_id="keyframe-backend")
            fps = gr.Textbox(str(KeyframeSettings.output_fps), label="Clip fps", elem_id="keyframe-fps")
        gr.Markdown("Sketch the pose of any in-between below (black strokes over the ghost of both keyframes); "
                    "in-betweens left blank follow the plain motion.")
        tabs, canvases = _sketch_canvases()
        run = gr.Button("Make the in-betweens", variant="primary", elem_id="keyframe-run")
        strip = gr.Gallery(label="Frames", columns=8, height="auto", elem_id="keyframe-strip")
        with gr.Row():
            animation = gr.Image(label="Animated preview", type="filepath", interactive=False,
                                 elem_id="keyframe-preview")
            files = gr.File(label="Download (clip and PNGs)", file_count="multiple", interactive=False,
                            elem_id="keyframe-files")
        status = gr.Textbox(label="Status", interactive=False, elem_id="keyframe-status")

    for image in (start, end):
        image.change(_on_keyframes, [start, end], [*canvases, status])
    frames.change(_on_frames, [frames], tabs)
    run.click(partial(_on_run, workspace), [start, end, backend, frames, fps, *canvases],
              [strip, animation, files, status])


def _sketch_canvases() -> tuple[list, list]:
    """A tab with a canvas per in-between (black brush only; the background is set from the keyframes)."""
    tabs, canvases = [], []
    with gr.Tabs():
        for index in range(1, MAX_INBETWEENS + 1):
            with gr.Tab(f"In-between {index}", id=f"sketch-tab-{index}") as tab:
                canvases.append(gr.ImageEditor(
                    label=f"Sketch of frame {index}", type="numpy", image_mode="RGBA", sources=(), transforms=(),
                    brush=gr.Brush(colors=["#000000"], default_color="#000000", default_size=4),
                    elem_id=f"sketch-{index}"))
            tabs.append(tab)
    return tabs, canvases


@shows_errors(num_outputs=MAX_INBETWEENS + 1)
def _on_keyframes(start_path: str | None, end_path: str | None):
    """Every canvas shows a ghost of the keyframes loaded so far, to draw the in-between's pose over."""
    background = _ghost([path for path in (start_path, end_path) if path])
    if background is None:
        return *([None] * MAX_INBETWEENS), ""
    value = {"background": background, "layers": [], "composite": None}
    loaded = " and ".join(name for name, path in (("start", start_path), ("end", end_path)) if path)
    return *([value] * MAX_INBETWEENS), \
        f"{loaded} keyframe loaded ({background.shape[1]}x{background.shape[0]}); sketch over them below"


def _on_frames(count: float):
    return [gr.Tab(visible=index <= int(count) - 2) for index in range(1, MAX_INBETWEENS + 1)]


@shows_errors(num_outputs=4)
def _on_run(workspace: Workspace, progress=gr.Progress(), *values):
    """`values`: the keyframes, backend, frame count, fps, then every canvas (progress comes first for Gradio,
    which passes it by position)."""
    start_path, end_path, backend_name, count, fps_text, *sketches = values
    if not start_path or not end_path:
        raise InputError("upload both keyframes (start and end) first")
    settings = keyframe_settings(backend_name, count, fps_text)
    drawn = {index: mask for index, value in enumerate(sketches[:settings.num_frames - 2], start=1)
             if (mask := _strokes(value)) is not None}
    result = run_keyframes(workspace, start_path, end_path, settings, drawn, PageProgress(progress))
    sketched = f", sketches on frame(s) {', '.join(map(str, sorted(drawn)))}" if drawn else ""
    line = f"{len(result.frames)} frames{sketched}: {result.clip.parent}"
    if result.notice:
        line = f"{line} (note: {result.notice})"
    return [str(path) for path in result.frames], str(result.preview), [str(result.clip), str(result.archive)], line


def _ghost(paths: list[str]) -> np.ndarray | None:
    """Both keyframes averaged and faded towards white, to draw the in-between's pose over."""
    if not paths:
        return None
    images = [read_image(path).astype(np.float32) for path in paths]
    if len({image.shape for image in images}) > 1:
        images = images[:1]  # sizes differ: the start alone (running says why the pair cannot be used)
    mean = np.mean(images, axis=0)
    return np.rint(255 - (255 - mean) * GHOST_STRENGTH).astype(np.uint8)


def _strokes(value: dict | None) -> np.ndarray | None:
    """Where the user drew on a canvas ((h, w) bool over its layers), or None for an untouched canvas."""
    layers = [layer for layer in (value or {}).get("layers") or [] if layer is not None]
    if not layers:
        return None
    mask = np.any([layer[:, :, 3] > 0 for layer in layers], axis=0)  # RGBA (image_mode): drawn where opaque
    return mask if mask.any() else None
