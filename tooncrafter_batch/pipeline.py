"""One video, end to end: decode -> source conditioning -> scene cuts -> keyframe timing -> output plan ->
executor(backend) -> encode.

Everything streams: frames are decoded, checked for cuts and held drawings, planned, interpolated and encoded one
pair at a time, with only a bounded number of pairs in flight, so a long video is never held in memory. Source
conditioning (`--source`, see conditioning.py) looks at the whole input in a first streaming pass, unless told
the input is progressive.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .backends.base import BackendSpec
from .backends.difficulty_flow import DifficultyMeter
from .conditioning import ConditionedSource, SourceMode, condition_source
from .datatypes import Frame
from .errors import OutputError
from .orchestration import create_executor
from .orchestration.base import Executor, WorkUnit
from .planning.plan import PairJob, SlotPlanner
from .planning.routing import JobRouter, RouteCounts, RouteSettings
from .planning.scenes import CutDetector, SceneSettings
from .planning.timing import TimingSettings, select_keys
from .progress import Progress, SilentProgress
from .reporting.recorder import QualityRecorder
from .reporting.report_file import report_paths, write_report_files
from .video.decode import open_video
from .video.encode import EncoderSettings, open_writer, output_container_for


@dataclass(frozen=True)
class ExecutorSettings:
    kind: str = "auto"  # auto | local | ray
    workers: int | None = None  # None: the executor's choice (one thread per core for the flow backend locally)
    address: str | None = None  # an existing Ray cluster to join


@dataclass(frozen=True)
class UpscaleSettings:
    timing: TimingSettings
    backend: BackendSpec = field(default_factory=BackendSpec)
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    scenes: SceneSettings = field(default_factory=SceneSettings)
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    source: SourceMode = SourceMode.auto  # what the input's frames are (legacy video): auto finds out
    input_fps: Fraction | None = None  # needed for a folder of PNGs; overrides nothing for videos
    allow_partial: bool = False
    overwrite: bool = False
    needs_gpu: bool = False
    route: RouteSettings | None = None  # --backend auto: each pair's rung of `backend` (a routed ladder)
    report: bool = True  # write the quality report beside the output (a small flow per pair: report_paths)


@dataclass(frozen=True)
class UpscaleResult:
    input: Path
    output: Path
    frames_in: int
    frames_out: int
    scenes: int
    seconds: float
    output_rate: Fraction
    warnings: tuple[str, ...] = ()
    keyframes: int = 0  # source frames used as keyframes (with dedupe, the distinct drawings)
    source: str = ""  # one line: what the input's frames were and the rate they were restored to
    notes: tuple[str, ...] = ()  # close calls the user may want to override (one line each)
    routes: RouteCounts | None = None  # pairs (and in-betweens) each backend made
    report: Path | None = None  # the quality report's page, when one was written

    def summary(self) -> str:
        """One line: frames in and out, the output rate, scenes, distinct drawings, time, output, pairs per backend
        (what `upscale-fps` prints last and `toonbatch ui` shows)."""
        rate = self.output_rate
        shown_rate = str(rate.numerator) if rate.denominator == 1 else \
            f"{rate.numerator}/{rate.denominator} (~{float(rate):.3f})"
        drawings = "" if self.keyframes in (0, self.frames_in) else f"{self.keyframes} distinct drawings, "
        return (f"{self.frames_in} frames in -> {self.frames_out} out at {shown_rate} fps, {self.scenes} scene(s), "
                f"{drawings}{self.seconds:.1f} s: {self.output}; {self.routes.summary()}")


def default_output_path(input_path: Path, timing: TimingSettings) -> Path:
    """`<stem>_x<N>.<ext>` or `<stem>_<F>fps.<ext>` beside the input (`.mkv` when the container cannot hold H.264)."""
    tag = timing.output_tag()
    if input_path.is_dir():
        return input_path.parent / f"{input_path.name}_{tag}.mp4"
    return input_path.with_name(f"{input_path.stem}_{tag}{output_container_for(input_path)}")


def check_output_path(input_path: Path, output_path: Path, overwrite: bool) -> None:
    """Refuse to write onto the input, over an existing file (unless `overwrite`), or into a missing folder."""
    if output_path.exists() and input_path.exists() and output_path.resolve() == input_path.resolve():
        raise OutputError(f"output {output_path} is the input itself; choose another output path with -o")
    is_folder_output = output_path.is_dir() or str(output_path).endswith("/")
    if output_path.exists() and not is_folder_output and not overwrite:
        raise OutputError(f"output {output_path} already exists; pass --overwrite to replace it")
    if is_folder_output and output_path.is_dir() and any(output_path.glob("[0-9]*.png")) and not overwrite:
        raise OutputError(f"output folder {output_path} already holds numbered PNGs; pass --overwrite to replace them")
    parent = output_path if is_folder_output and output_path.exists() else output_path.parent
    if not parent.exists() and not is_folder_output:
        raise OutputError(f"output folder {parent} does not exist; create it first")


class Upscaler:
    """Raises the frame rate of one video (or folder of PNGs). Build once, call `run` per input."""

    def __init__(self, settings: UpscaleSettings, progress: Progress | None = None):
        self.settings = settings
        self.progress = progress or SilentProgress()

    def run(self, input_path: Path, output_path: Path) -> UpscaleResult:
        started = time.monotonic()
        check_output_path(input_path, output_path, self.settings.overwrite)  # 1. fail early on a bad output
        source = open_video(input_path, self.settings.input_fps, self.settings.allow_partial)  # 2. decode
        conditioned = condition_source(source, self.settings.source, self.progress)  # 3. source conditioning
        output_rate = self.settings.timing.output_rate(conditioned.frame_rate)  # 4. timing
        self._start_progress(conditioned)
        counter = _FrameCounter(conditioned.frames(), self.progress)
        router = plan_router(self.settings.route, self.settings.backend)
        jobs = self._plan(counter, conditioned, output_rate, router)  # 5. scenes + plan + route
        ladder = self.settings.route.ladder if self.settings.route else ()
        recorder = QualityRecorder(self.settings.backend.name, ladder=ladder) if self.settings.report else None
        jobs = recorder.watch(jobs) if recorder else jobs  # 5b. the difficulty of each pair, for the report
        with create_executor(self.settings.executor.kind, self.settings.backend, self.settings.needs_gpu,
                             self.settings.executor.workers, self.settings.executor.address) as executor:
            frames = execute_jobs(jobs, executor, self._batch_size(), self.progress)  # 6. interpolate
            frames_out, warnings = self._encode(conditioned, output_path, output_rate, frames)  # 7. encode
        note = conditioned.note()
        result = UpscaleResult(input_path, output_path, counter.count, frames_out, counter.scenes,
                               time.monotonic() - started, output_rate, tuple(warnings), counter.keyframes,
                               conditioned.summary(), (note,) if note else (), routes=router.counts)
        return replace(result, report=write_report(result, recorder)) if recorder else result  # 8. report

    def dry_run(self, input_path: Path, output_path: Path) -> UpscaleResult:
        """Decode, plan and route `input_path` as `run` would, interpolating and writing nothing."""
        started = time.monotonic()
        conditioned = condition_source(open_video(input_path, self.settings.input_fps, self.settings.allow_partial),
                                       self.settings.source, self.progress)
        output_rate = self.settings.timing.output_rate(conditioned.frame_rate)
        self.progress.start("decode", conditioned.num_frames)
        counter = _FrameCounter(conditioned.frames(), self.progress)
        router = plan_router(self.settings.route, self.settings.backend)
        frames_out = sum(len(job.slots) for job in self._plan(counter, conditioned, output_rate, router))
        return UpscaleResult(input_path, output_path, counter.count, frames_out, counter.scenes,
                             time.monotonic() - started, output_rate, (), counter.keyframes, conditioned.summary(),
                             routes=router.counts)

    def _plan(self, counter: "_FrameCounter", conditioned: ConditionedSource, output_rate: Fraction,
              router: JobRouter) -> Iterator[PairJob]:
        detector = CutDetector(self.settings.scenes, conditioned.frame_rate)
        planner = SlotPlanner(output_rate)
        marked = counter.mark_cuts(detector)
        for key in select_keys(marked, self.settings.timing):
            counter.keyframes += not key.ends_hold  # the end of a long hold repeats its drawing
            job = planner.add(key)
            if job is not None and job.slots:
                yield router.stamp(job)
        total = conditioned.count_outputs(counter.count, counter.first_time, counter.last_time, output_rate,
                                          self.settings.timing.factor)
        tail = planner.finish(total)
        if tail is not None:
            yield tail

    def _start_progress(self, conditioned: ConditionedSource) -> None:
        frames_in = conditioned.num_frames
        factor = self.settings.timing.factor
        self.progress.start("decode", frames_in)
        self.progress.start("interpolate", frames_in)
        self.progress.start("encode", factor * frames_in if frames_in and factor else None)

    def _encode(self, conditioned: ConditionedSource, output_path: Path, output_rate: Fraction,
                frames: Iterable[np.ndarray]) -> tuple[int, list[str]]:
        source = conditioned.source
        audio_from = None if source.info.is_image_folder else source.path
        count = 0
        with open_writer(output_path, source.info, output_rate, self.settings.encoder, audio_from) as writer:
            for image in frames:
                writer.write(image)
                count += 1
                self.progress.advance("encode")
        return count, list(getattr(writer, "warnings", []))

    def _batch_size(self) -> int:
        return int(self.settings.backend.option_dict().get("batch_pairs", 1))


def write_report(result: UpscaleResult, recorder: QualityRecorder) -> Path:
    """The run's quality report beside its output; returns the page's path."""
    video = {"input": str(result.input), "output": str(result.output), "status": "done", "reason": "",
             "frames_in": result.frames_in, "frames_out": result.frames_out, "scenes": result.scenes,
             "seconds": round(result.seconds, 3), "quality": recorder.result().as_dict()}
    return write_report_files(report_paths(result.output)[0], [video])


def plan_router(route: RouteSettings | None, backend: BackendSpec) -> JobRouter:
    """The router that stamps a plan's pairs with their rungs; without a route, one that only counts pairs."""
    return JobRouter(route or RouteSettings((backend.name,), budget=0.0), DifficultyMeter())


def execute_jobs(jobs: Iterable[PairJob], executor: Executor, batch_pairs: int = 1,
                 progress: Progress | None = None) -> Iterator[np.ndarray]:
    """Output frames in order: copies straight from the plan, in-betweens from the executor (results in order).

    Progress counts keyframe intervals done ("interpolate")."""
    progress = progress or SilentProgress()
    pending: deque[list[PairJob]] = deque()

    def units() -> Iterator[WorkUnit]:
        for group in _groups(jobs, batch_pairs):
            pending.append(group)
            work = [job for job in group if job.positions]
            if work:
                yield WorkUnit(tuple(job.pair for job in work), tuple(job.positions for job in work))

    for result in executor.run(units()):
        made = iter(result)
        group = pending.popleft()
        for job in group:
            yield from job.assemble(next(made) if job.positions else [])
        progress.advance("interpolate", len(group))
    while pending:  # a trailing group made only of copies
        group = pending.popleft()
        for job in group:
            yield from job.assemble([])
        progress.advance("interpolate", len(group))


def _groups(jobs: Iterable[PairJob], batch_pairs: int) -> Iterator[list[PairJob]]:
    """Consecutive jobs grouped so that each group holds `batch_pairs` jobs needing the backend (copies ride along)."""
    group: list[PairJob] = []
    needing = 0
    for job in jobs:
        group.append(job)
        needing += bool(job.positions)
        if needing == batch_pairs:
            yield group
            group, needing = [], 0
    if group:
        yield group


class _FrameCounter:
    """Counts decoded frames and shots as they stream past, and reports decode progress."""

    def __init__(self, frames: Iterator[Frame], progress: Progress):
        self._frames = frames
        self._progress = progress
        self.count = 0
        self.scenes = 0
        self.keyframes = 0
        self.first_time = Fraction(0)
        self.last_time = Fraction(0)

    def mark_cuts(self, detector: CutDetector) -> Iterator[tuple[Frame, bool]]:
        for frame in self._frames:
            if self.count == 0:
                self.first_time = frame.time
            starts_shot = detector.is_cut(frame.image)
            self.count += 1
            self.scenes += starts_shot or self.count == 1
            self.last_time = frame.time
            self._progress.advance("decode")
            yield frame, starts_shot
