"""Two keyframes in, a short clip out: the library side of `toonbatch interpolate`.

The clip holds every frame, both keyframes included: `num_frames` frames at positions k / (num_frames - 1).
ToonCrafter always generates 16 (its context layout is fixed), so with it the positions are exactly its frames;
the flow backend makes any number. `auto` picks ToonCrafter when weights are at hand (a checkpoint at the default
place, or `--checkpoint`, `--random-weights`, `--download`), else the flow backend with a notice. The output is a
video file (`.mp4`...), a `.gif`, or a folder of numbered PNGs.

Sketches (`SketchSettings`, see docs/SKETCHES.md) steer the in-betweens: line art for some of the output frames,
read at the keyframes' size. ToonCrafter feeds them to its sketch encoder (frames without one: a blank hint, or
masked residuals); the flow backend moves the keyframes' drawn areas through the sketched poses
(`SketchGuidedFlow`), sketch index i lying at t = i / (num_frames - 1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from .backends.base import BackendSpec
from .backends.registry import build_backend
from .backends.sketch_flow import SketchGuidedFlow
from .backends.tooncrafter_options import SketchOptions, ToonCrafterOptions, locate_weights
from .datatypes import Pair, VideoInfo
from .errors import InputError, OutputError, SettingsError
from .imaging.line_art import SketchFrames
from .pipeline import check_output_path
from .progress import Progress, SilentProgress
from .sketches import SketchSpec, check_sketch_index, load_sketch_video, load_sparse_sketches, read_image
from .video.encode import open_writer
from .weights.store import DEFAULT_CHECKPOINT

TOONCRAFTER_FRAMES = 16  # frames ToonCrafter generates per pair
BACKEND_NAMES = ("auto", "tooncrafter", "flow")


@dataclass(frozen=True)
class SketchSettings:
    """Sketches steering the in-betweens: sparse `INDEX:IMAGE` sketches or one guide video (one frame per output
    frame), not both; `model` says how they steer ToonCrafter (the flow backend needs no more)."""

    sketches: tuple[SketchSpec, ...] = ()
    video: Path | None = None
    model: SketchOptions = field(default_factory=SketchOptions)

    def __post_init__(self):
        if self.sketches and self.video is not None:
            raise SettingsError("--sketch and --sketch-video exclude each other; give sparse sketches or one guide "
                                "video")
        if not self.is_given and self.model != SketchOptions():
            raise SettingsError("--sketch-scale, --sketch-checkpoint, --sketch-config and --sketch-frames only apply "
                                "with --sketch INDEX:IMAGE or --sketch-video FILE")

    @property
    def is_given(self) -> bool:
        return bool(self.sketches) or self.video is not None

    def read(self, height: int, width: int, num_frames: int) -> SketchFrames | None:
        """The guide at (height, width) for `num_frames` output frames; None without sketches."""
        if self.video is not None:
            return load_sketch_video(self.video, height, width, num_frames)
        if self.sketches:
            return load_sparse_sketches(self.sketches, height, width, num_frames)
        return None


@dataclass(frozen=True)
class KeyframeSettings:
    """What `toonbatch interpolate` does; defaults are the reference's (16 frames saved at 8 fps)."""

    backend: str = "auto"  # auto | tooncrafter | flow
    num_frames: int = TOONCRAFTER_FRAMES  # frames in the output, both keyframes included
    output_fps: Fraction = Fraction(8)
    model: ToonCrafterOptions = field(default_factory=ToonCrafterOptions)
    sketch: SketchSettings = field(default_factory=SketchSettings)
    download: bool = False  # fetch the official checkpoint from the hub when it is missing
    overwrite: bool = False

    def __post_init__(self):
        if self.backend not in BACKEND_NAMES:
            raise SettingsError(f"backend must be one of {', '.join(BACKEND_NAMES)}, got {self.backend!r}")
        if self.num_frames < 3:
            raise SettingsError(f"--frames must be at least 3 (both keyframes and an in-between), got {self.num_frames}")
        if self.output_fps <= 0:
            raise SettingsError(f"--output-fps must be positive, got {self.output_fps}")
        for spec in self.sketch.sketches:
            check_sketch_index(spec.index, self.num_frames)


@dataclass(frozen=True)
class BackendChoice:
    """The backend to build and, when `auto` fell back to flow, the one-line notice saying why."""

    spec: BackendSpec
    notice: str | None = None


def choose_backend(settings: KeyframeSettings) -> BackendChoice:
    """Resolve `auto`, and find (or download) ToonCrafter's checkpoint so a missing file fails before any work."""
    name = settings.backend
    if name == "auto":
        model = settings.model
        has_weights = (model.random_weights or model.checkpoint is not None or settings.download
                       or DEFAULT_CHECKPOINT.is_file())
        if not has_weights:
            _check_flow_sketches(settings)
            return BackendChoice(BackendSpec("flow"), f"no ToonCrafter checkpoint at {DEFAULT_CHECKPOINT}; using the "
                                                      f"flow backend (pass --checkpoint PATH or --download for ToonCrafter)")
        name = "tooncrafter"
    if name == "flow":
        _check_flow_sketches(settings)
        return BackendChoice(BackendSpec("flow"))
    if settings.num_frames != TOONCRAFTER_FRAMES:
        raise SettingsError(f"ToonCrafter always generates {TOONCRAFTER_FRAMES} frames; drop --frames "
                            f"{settings.num_frames} or use --backend flow")
    return BackendChoice(locate_weights(settings.model, settings.download).backend_spec())


def _check_flow_sketches(settings: KeyframeSettings) -> None:
    """The flow backend keeps the keyframes as drawn, so a sparse sketch must guide an in-between.

    (A guide video's first and last frames are not used by it: they stand for the keyframes.)
    """
    last = settings.num_frames - 1
    for spec in settings.sketch.sketches:
        if spec.index in (0, last):
            raise SettingsError(f"--sketch {spec.index}:{spec.path}: frame {spec.index} is a keyframe, which the flow "
                                f"backend keeps as drawn; sketch an in-between (1..{last - 1})")


def read_keyframes(start_path: Path, end_path: Path) -> Pair:
    """Both keyframe images as RGB uint8; they must have one size."""
    start, end = read_image(start_path), read_image(end_path)
    if start.shape != end.shape:
        raise InputError(f"keyframes differ in size: {start_path} is {start.shape[1]}x{start.shape[0]}, {end_path} "
                         f"is {end.shape[1]}x{end.shape[0]}; resize one of them to match the other")
    return Pair(start, end)


def interpolate_keyframes(pair: Pair, spec: BackendSpec, settings: KeyframeSettings,
                          guide: SketchFrames | None = None, progress: Progress | None = None) -> list[np.ndarray]:
    """`settings.num_frames` frames from `pair.start` to `pair.end` (both included) made by the backend `spec`
    names, through the sketches of `guide` (at the keyframes' size) when given."""
    progress = progress or SilentProgress()
    if spec.name == "tooncrafter":
        return _generate(pair, spec, settings.sketch.model, guide, progress)
    return _flow(pair, spec, settings.num_frames, guide, progress)


def _flow(pair: Pair, spec: BackendSpec, num_frames: int, guide: SketchFrames | None,
          progress: Progress) -> list[np.ndarray]:
    """The flow backend's frames; through the sketched in-betweens (frame i at t = i / (num_frames - 1)) if any."""
    last = num_frames - 1
    positions = [index / last for index in range(1, last)]
    drawn = {} if guide is None else guide.drawn()
    sketches = {index / last: lines for index, lines in drawn.items() if 0 < index < last}  # keyframes stay as drawn
    progress.start("in-betweens", len(positions))
    if sketches:
        inbetweens = SketchGuidedFlow().interpolate_guided(pair, positions, sketches)
    else:
        inbetweens = build_backend(spec).interpolate([pair], [positions])[0]
    progress.advance("in-betweens", len(positions))
    return [pair.start, *inbetweens, pair.end]


def _generate(pair: Pair, spec: BackendSpec, sketch: SketchOptions, guide: SketchFrames | None,
              progress: Progress) -> list[np.ndarray]:
    """ToonCrafter's 16 frames for one pair (the model always runs, even for a held drawing: sketches may move it)."""
    from .backends.tooncrafter import ToonCrafterInterpolator  # torch and open_clip load only when ToonCrafter runs

    backend = ToonCrafterInterpolator(sketch=None if guide is None else sketch, **spec.option_dict())
    progress.start("sampling", backend.sampling.num_steps)
    return backend.generate([pair], None if guide is None else [guide],
                            on_step=lambda _: progress.advance("sampling"))[0]


def write_frames(output: str, frames: Sequence[np.ndarray], frame_rate: Fraction) -> Path:
    """Frames to `output`: a `.gif`, numbered PNGs in a folder (existing, or ending in '/'), else a video file."""
    path = Path(output)
    if path.suffix.lower() == ".gif":
        _write_gif(path, frames, frame_rate)
        return path
    height, width = frames[0].shape[:2]
    info = VideoInfo(width=width, height=height, frame_rate=frame_rate, time_base=1 / frame_rate,
                     num_frames=len(frames), duration=len(frames) / frame_rate)
    with open_writer(output, info, frame_rate) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def interpolate_files(start_path: Path, end_path: Path, output: str, settings: KeyframeSettings,
                      spec: BackendSpec, progress: Progress | None = None) -> Path:
    """Read the keyframes and sketches, make the clip with the backend `spec` (from `choose_backend`), write it to
    `output`; ToonCrafter reports its sampling steps to `progress`."""
    check_output_path(start_path, Path(output), settings.overwrite)
    if Path(output).exists() and Path(output).resolve() == end_path.resolve():
        raise OutputError(f"output {output} is the end keyframe itself; choose another output path with -o")
    return write_frames(output, interpolate_keyframe_files(start_path, end_path, settings, spec, progress),
                        settings.output_fps)


def interpolate_keyframe_files(start_path: Path, end_path: Path, settings: KeyframeSettings, spec: BackendSpec,
                               progress: Progress | None = None) -> list[np.ndarray]:
    """The clip's frames from two keyframe files and the sketches `settings` names (read at the keyframes' size)."""
    pair = read_keyframes(start_path, end_path)
    guide = settings.sketch.read(*pair.start.shape[:2], settings.num_frames)
    return interpolate_keyframes(pair, spec, settings, guide, progress)


def _write_gif(path: Path, frames: Sequence[np.ndarray], frame_rate: Fraction) -> None:
    """An endlessly looping GIF, written under a temporary name and renamed when complete."""
    images = [Image.fromarray(frame) for frame in frames]
    partial = path.with_name(f".{path.stem}.partial-{os.getpid()}.gif")
    try:
        images[0].save(partial, format="GIF", save_all=True, append_images=images[1:],
                       duration=round(1000 / frame_rate), loop=0)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path} ({error}); check the folder exists and is writable") from None
    os.replace(partial, path)
