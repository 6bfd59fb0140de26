"""What each button of `toonbatch ui` does, as plain functions of paths and values (no Gradio): the same library
calls as `upscale-fps`, `interpolate` and `run`, writing only below the `Workspace`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..backends.base import BackendSpec
from ..backends.learned_options import LearnedOptions, locate_learned_weights
from ..backends.registry import LEARNED_BACKENDS
from ..backends.tooncrafter_options import ToonCrafterOptions, locate_weights
from ..errors import InputError
from ..jobs.job_file import write_job_file
from ..jobs.report import JobReport
from ..jobs.runner import JobRunner
from ..jobs.spec import load_job, parse_job
from ..keyframes import KeyframeSettings, SketchSettings, choose_backend, interpolate_keyframe_files, write_frames
from ..pipeline import Upscaler, UpscaleResult, UpscaleSettings, default_output_path
from ..planning.timing import DedupeMode, TimingSettings, parse_rate
from ..progress import Progress
from ..sketches import SketchSpec, write_line_art
from .workspace import Workspace

VIDEO_BACKENDS = ("flow", "rife", "gmfss", "tooncrafter", "blend", "duplicate")


def timing_settings(factor: float | None, fps: str, dedupe: str) -> TimingSettings:
    """A target rate (`fps`, when given) or else `factor`, as `--fps` / `--factor` would give it."""
    if fps.strip():
        return TimingSettings(fps=parse_rate(fps), dedupe=DedupeMode(dedupe))
    return TimingSettings(factor=None if factor is None else int(factor), dedupe=DedupeMode(dedupe))


def video_backend(name: str) -> tuple[BackendSpec, bool]:
    """The backend `name` with its default options and weights found (a missing file fails here, in one line),
    and whether it needs a GPU."""
    if name == "tooncrafter":
        model = locate_weights(ToonCrafterOptions())
        return model.backend_spec(), model.needs_gpu
    if name in LEARNED_BACKENDS:
        learned = locate_learned_weights(LearnedOptions(), name)
        return learned.backend_spec(name), learned.needs_gpu
    return BackendSpec(name), False


def run_video(workspace: Workspace, upload: Path, backend: str, timing: TimingSettings,
              progress: Progress) -> UpscaleResult:
    """Raise the frame rate of the uploaded video into `videos/` (its result of an earlier run is replaced)."""
    spec, needs_gpu = video_backend(backend)
    output = workspace.videos / default_output_path(Path(upload), timing).name
    settings = UpscaleSettings(timing=timing, backend=spec, needs_gpu=needs_gpu, overwrite=True)
    return Upscaler(settings, progress).run(Path(upload), output)


def save_video_job(workspace: Workspace, upload: Path, backend: str, timing: TimingSettings) -> Path:
    """The video's settings as a job in `jobs/`, with a copy of the video beside it (uploads do not last)."""
    upload = Path(upload)
    folder = workspace.jobs / "inputs"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(upload, folder / upload.name)
    job = workspace.jobs / f"{upload.stem}.yaml"
    write_job_file(job, [f"inputs/{upload.name}"], f"{upload.stem}_out", timing, backend)
    return job


@dataclass(frozen=True)
class KeyframeResult:
    frames: tuple[Path, ...]  # the numbered PNGs, both keyframes included
    clip: Path  # the frames as a video
    preview: Path  # the frames as a looping GIF
    archive: Path  # the PNGs in one zip
    notice: str | None = None  # why `auto` chose flow, when it did


def run_keyframes(workspace: Workspace, start: Path, end: Path, settings: KeyframeSettings,
                  drawn: dict[int, np.ndarray], progress: Progress) -> KeyframeResult:
    """The in-betweens of two keyframes steered by the strokes `drawn` (output frame index -> (h, w) bool, True
    where the user drew), in a fresh folder of `keyframes/`: the sketches as PNGs, the frames, a clip and a GIF.
    `settings` come without sketches: the strokes become them here."""
    folder = workspace.new_folder("keyframes", "inbetweens")
    sketches = []
    for index, mask in sorted(drawn.items()):
        path = folder / f"sketch_{index:02d}.png"
        write_line_art(path, np.where(mask, 0, 255).astype(np.uint8))  # black lines on white paper
        sketches.append(SketchSpec(index, path))
    settings = replace(settings, sketch=SketchSettings(sketches=tuple(sketches)))
    choice = choose_backend(settings)
    frames = interpolate_keyframe_files(Path(start), Path(end), settings, choice.spec, progress)
    write_frames(f"{folder / 'frames'}/", frames, settings.output_fps)
    clip = write_frames(str(folder / "inbetweens.mp4"), frames, settings.output_fps)
    preview = write_frames(str(folder / "inbetweens.gif"), frames, settings.output_fps)
    archive = Path(shutil.make_archive(str(folder / "frames"), "zip", folder / "frames"))
    return KeyframeResult(tuple(sorted((folder / "frames").glob("*.png"))), clip, preview, archive, choice.notice)


def keyframe_settings(backend: str, num_frames: float, output_fps: str) -> KeyframeSettings:
    """The keyframe tab's choices, checked as `interpolate`'s options are (sketches come with `run_keyframes`)."""
    return KeyframeSettings(backend=backend, num_frames=int(num_frames), output_fps=parse_rate(output_fps))


def import_job(workspace: Workspace, upload: Path) -> Path:
    """Copy an uploaded job file into `jobs/` once it reads as a valid job; its paths count from there."""
    upload = Path(upload)
    target = workspace.jobs / upload.name
    try:
        text = upload.read_text()
    except (OSError, UnicodeDecodeError):
        raise InputError(f"{upload.name} cannot be read as a YAML job file; upload the .yaml file itself") from None
    parse_job(text, target)
    target.write_text(text)
    return target


def run_job(workspace: Workspace, job: Path, progress: Progress) -> tuple[JobReport, Path]:
    """Run (or resume) the job in `job`; its output folder must lie in the workspace. Returns its report and the
    output folder."""
    spec = load_job(Path(job))
    workspace.check_inside(spec.output, "the job's output folder")
    return JobRunner(spec, None, progress).run(), spec.output
