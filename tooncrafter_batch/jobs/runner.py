"""Archive runs: every video of a job through the executor, chunk by chunk, durably, surviving faults.

For each video: decode -> source conditioning -> cuts -> keys -> chunked plan -> executor (Ray actors or local threads) -> one lossless
segment per chunk in `.toonbatch/work/` -> the final file, encoded from the segments with the input's sound and
renamed into place. Several videos run at once, each on its own driver thread, their units sharing the
executor's bounded window (so the actors never drain between videos, and short videos fill a large cluster
together). Finished chunks are recorded as they land, so running the job again after a crash (or `kill -9`)
redoes only the chunks that were not finished. A video that fails (bad data, a backend that keeps failing) is
reported and the others go on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..backends.base import BackendSpec
from ..conditioning import condition_source
from ..datatypes import VideoInfo
from ..errors import InputError, ToonbatchError
from ..orchestration import create_executor
from ..orchestration.base import Executor, RunStats, WorkUnit
from ..pipeline import execute_jobs
from ..planning.plan import PairJob
from ..progress import Progress, SilentProgress
from ..reporting.recorder import QualityRecorder
from ..reporting.report_file import REPORT_HTML, load_quality, save_quality, write_page
from ..video.decode import open_video
from ..video.encode import EncoderSettings, VideoWriter, open_writer
from .chunks import ChunkedPlan
from .inputs import FoundInput, check_distinct_outputs, discover_inputs, output_path_for
from .leftovers import remove_leftovers
from .report import DONE, FAILED, SKIPPED, JobReport, VideoPlanReport, VideoReport
from .spec import JobSpec, VideoSettings
from .state import ProgressStore, video_key

REPORT_NAME = "report.json"  # the job's report: each video's status and quality section; REPORT_HTML draws it
QUALITY_FOLDER = "quality"  # in the state folder: each finished video's quality section, for later runs
_LOSSLESS = EncoderSettings(codec="ffv1")  # chunk segments: exact RGB (bgr0), so a resume changes no pixel


@dataclass(frozen=True)
class VideoTask:
    found: FoundInput
    settings: VideoSettings
    output: Path
    key: str


class JobRunner:
    """Runs a job: `run()` does the work and writes `report.json`; `plan()` is `--dry-run`."""

    def __init__(self, spec: JobSpec, address: str | None = None, progress: Progress | None = None):
        self.spec = spec
        self.address = address
        self.progress = progress or SilentProgress()
        self._executors: dict[BackendSpec, Executor] = {}
        self._executors_lock = threading.Lock()
        self._stopping = threading.Event()  # set when the driver is interrupted: video threads stop at their next unit

    def run(self) -> JobReport:
        self.spec.output.mkdir(parents=True, exist_ok=True)
        store = ProgressStore(self.spec.output)
        tasks, skipped = self._tasks()
        remove_leftovers(store, [task.output for task in tasks] + [self.spec.output / REPORT_NAME,
                                                                   self.spec.output / REPORT_HTML],
                         {task.found.path: task.key for task in tasks}, self.spec.file.resolve())
        self.progress.start("videos", len(tasks))
        self.progress.start("frames out", self._estimate_frames(tasks))
        try:
            reports = skipped + self._run_videos(tasks, store)
        finally:
            self._close_executors()
            store.close()
        report = JobReport(tuple(sorted(reports, key=lambda video: video.input)))
        report.write(self.spec.output / REPORT_NAME)
        if self.spec.report:
            write_page(self.spec.output / REPORT_NAME)
        return report

    def _run_videos(self, tasks: list[VideoTask], store: ProgressStore) -> list[VideoReport]:
        """`videos_in_flight` videos at a time, each on a thread of its own; reports in task order."""
        with ThreadPoolExecutor(self.spec.videos_in_flight, thread_name_prefix="toonbatch-video") as videos:
            futures = [videos.submit(self._run_counted, task, store) for task in tasks]
            try:
                # Wake up twice a second: a Ctrl-C that the OS handed to a worker thread is only seen here then.
                while wait(futures, timeout=0.5).not_done:
                    pass
                return [future.result() for future in futures]
            except BaseException:  # Ctrl-C: the running videos stop at their next unit; finished chunks stay
                self._stopping.set()
                videos.shutdown(wait=False, cancel_futures=True)
                raise

    def plan(self) -> list[VideoPlanReport]:
        """What `run` would do, video by video (decodes each video once; runs no backend)."""
        self.spec.output.mkdir(parents=True, exist_ok=True)
        store = ProgressStore(self.spec.output)
        try:
            return [_plan_video(task, store, self.spec.chunk_frames) for task in self._tasks()[0]]
        finally:
            store.close()

    def skipped_inputs(self) -> list[VideoReport]:
        return self._tasks()[1]

    def _tasks(self) -> tuple[list[VideoTask], list[VideoReport]]:
        tasks, skipped = [], []
        for found in discover_inputs(self.spec):
            if not found.is_video:
                skipped.append(VideoReport(found.relative, None, SKIPPED, "not a video file"))
                continue
            settings = self.spec.settings_for(found.relative)
            output = output_path_for(found, settings, self.spec.output)
            tasks.append(VideoTask(found, settings, output, video_key(found.path, settings, self.spec.chunk_frames)))
        check_distinct_outputs([(task.found, task.output) for task in tasks])
        return tasks, skipped

    def _run_counted(self, task: VideoTask, store: ProgressStore) -> VideoReport:
        report = self._run_video(task, store)
        self.progress.advance("videos")
        return report

    def _run_video(self, task: VideoTask, store: ProgressStore) -> VideoReport:
        started = time.monotonic()
        finished = store.finished_video(task.key, task.output)
        if finished is not None:
            quality = load_quality(store.folder / QUALITY_FOLDER, task.key) if self.spec.report else None
            return VideoReport(task.found.relative, str(task.output), SKIPPED, "already done", *finished,
                               quality=quality)
        store.record_work(task.key, task.found.path, self.spec.file.resolve())
        executor = _VideoExecutor(self._executor_for(task.settings.backend), RunStats())
        for _ in range(self.spec.retries + 1):
            try:
                run = _VideoRun(task, store, executor, self.progress, self.spec.chunk_frames, self._stopping,
                                _recorder(task.settings) if self.spec.report else None)
                counts = run.render()
                return VideoReport(task.found.relative, str(task.output), DONE, "", *counts,
                                   time.monotonic() - started, executor.stats.retried_units, run.quality)
            except _Stopped:
                raise
            except InputError as error:  # the input itself is bad: another attempt would fail the same way
                reason = str(error)
                break
            except Exception as error:  # this video's boundary: report it, keep the job going
                reason = f"{type(error).__name__}: {error}" if not isinstance(error, ToonbatchError) else str(error)
        return VideoReport(task.found.relative, str(task.output), FAILED, reason.splitlines()[0],
                           seconds=time.monotonic() - started,
                           retried_units=executor.stats.retried_units)

    def _executor_for(self, backend: BackendSpec) -> Executor:
        """One executor per backend, built when a video first needs it and shared by every video after it."""
        with self._executors_lock:
            if backend not in self._executors:
                resources = self.spec.resources
                self._executors[backend] = create_executor(
                    "auto", backend, needs_gpu=resources.gpus_per_actor > 0, workers=resources.actors,
                    address=self.address, cpus_per_actor=resources.cpus_per_actor,
                    gpus_per_actor=resources.gpus_per_actor, max_retries=self.spec.retries)
            return self._executors[backend]

    def _close_executors(self) -> None:
        for executor in self._executors.values():
            executor.close()
        self._executors.clear()

    def _estimate_frames(self, tasks: list[VideoTask]) -> int | None:
        """Output frames of the whole job, from the containers' headers (for the ETA); None if unknown."""
        total = 0
        for task in tasks:
            try:
                info = open_video(task.found.path).info
            except InputError:
                continue
            if info.duration is None:
                return None
            total += int(info.duration * task.settings.timing.output_rate(info.frame_rate))
        return total


class _VideoExecutor:
    """The job's shared executor as one video sees it: the units retried for this video are counted apart."""

    def __init__(self, executor: Executor, stats: RunStats):
        self.executor = executor
        self.stats = stats

    def run(self, units: Iterable[WorkUnit]) -> Iterator[list[list[np.ndarray]]]:
        return self.executor.run(units, self.stats)


class _Stopped(Exception):
    """The driver was interrupted: a video thread stops at its next unit (its finished chunks are kept)."""


class _VideoRun:
    """One attempt at one video: the chunks not yet on disk, then the final file."""

    def __init__(self, task: VideoTask, store: ProgressStore, executor: _VideoExecutor, progress: Progress,
                 chunk_frames: int, stopping: threading.Event, recorder: QualityRecorder | None):
        self.task = task
        self.recorder = recorder  # sees every pair, also those of chunks done earlier: the report covers the video
        self.quality = None
        self.stopping = stopping
        self.store = store
        self.executor = executor
        self.progress = progress
        self.conditioned = condition_source(open_video(task.found.path), task.settings.source)
        self.plan = ChunkedPlan(self.conditioned, task.settings, chunk_frames)
        self.done = store.done_chunks(task.key)
        self.frames_planned = 0

    def render(self) -> tuple[int, int, int]:
        """Returns (frames_in, frames_out, scenes)."""
        layout: deque[list[int]] = deque()  # [chunk, frames still to come] for each job handed to the executor
        frames = execute_jobs(self._jobs_to_do(layout), self.executor, _batch_pairs(self.task.settings.backend))
        try:
            self._write_chunks(frames, layout)
        finally:
            frames.close()  # at once, not when collected: its units leave the executor's window now
        frames_out = self._assemble()
        counts = (self.plan.frames_in, frames_out, self.plan.scenes)
        if self.recorder is not None:
            self.quality = self.recorder.result()
            save_quality(self.store.folder / QUALITY_FOLDER, self.task.key, self.quality)
        self.store.record_video(self.task.key, self.task.found.path, self.task.output, counts)
        return counts

    def _jobs_to_do(self, layout: deque) -> Iterator[PairJob]:
        for chunk, job in self.plan.jobs():
            if self.stopping.is_set():
                raise _Stopped()
            self.frames_planned += len(job.slots)
            if self.recorder is not None:
                self.recorder.record(job)
            if chunk not in self.done:
                layout.append([chunk, len(job.slots)])
                yield job

    def _write_chunks(self, frames: Iterator[np.ndarray], layout: deque) -> None:
        writer, chunk, count = None, None, 0
        try:
            for image in frames:
                if layout[0][0] != chunk:
                    self._finish_chunk(writer, chunk, count)
                    chunk, count = layout[0][0], 0
                    writer = _chunk_writer(self.store, self.task.key, chunk, image, self.plan.output_rate)
                writer.write(image)
                count += 1
                layout[0][1] -= 1
                if layout[0][1] == 0:
                    layout.popleft()
                self.progress.advance("frames out")
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        self._finish_chunk(writer, chunk, count)

    def _finish_chunk(self, writer: VideoWriter | None, chunk: int | None, count: int) -> None:
        if writer is None:
            return
        writer.close()  # renamed into place before it is recorded: a recorded chunk is always whole
        self.store.record_chunk(self.task.key, chunk, count)
        self.done[chunk] = count

    def _assemble(self) -> int:
        """Encode the final file from the chunk segments, in order, with the input's audio; returns its frames."""
        made = sum(self.done.values())
        if made != self.frames_planned:
            raise ToonbatchError(f"{self.task.found.relative}: chunks hold {made} frames, the plan "
                                 f"{self.frames_planned}; delete the .toonbatch folder of the output and run the job "
                                 "again")
        self.task.output.parent.mkdir(parents=True, exist_ok=True)
        self.store.forget_output(self.task.output)  # whatever work it held is being replaced
        info = self.conditioned.source.info
        with open_writer(self.task.output, info, self.plan.output_rate, self.task.settings.encoder,
                         audio_from=self.task.found.path) as writer:
            for chunk in sorted(self.done):
                for frame in open_video(self.store.chunk_path(self.task.key, chunk)).frames():
                    writer.write(frame.image)
        return made


def _chunk_writer(store: ProgressStore, key: str, chunk: int, first: np.ndarray, rate: Fraction) -> VideoWriter:
    height, width = first.shape[:2]
    info = VideoInfo(width=width, height=height, frame_rate=rate, time_base=1 / rate, num_frames=None,
                     duration=None, pix_fmt="bgr0", is_image_folder=True)
    store.chunk_folder(key)
    return VideoWriter(store.chunk_path(key, chunk), info, rate, _LOSSLESS)


def _recorder(settings: VideoSettings) -> QualityRecorder:
    return QualityRecorder(settings.backend.name, ladder=settings.route.ladder if settings.route else ())


def _batch_pairs(backend: BackendSpec) -> int:
    return int(backend.option_dict().get("batch_pairs", 1))


def _plan_video(task: VideoTask, store: ProgressStore, chunk_frames: int) -> VideoPlanReport:
    pairs = inbetweens = frames_out = 0
    chunks: set[int] = set()
    try:
        plan = ChunkedPlan(condition_source(open_video(task.found.path), task.settings.source), task.settings,
                           chunk_frames)
        for chunk, job in plan.jobs():
            chunks.add(chunk)
            pairs += bool(job.positions)
            inbetweens += len(job.positions)
            frames_out += len(job.slots)
    except InputError as error:
        return VideoPlanReport(task.found.relative, str(task.output), 0, 0, 0, 0, 0, 0, 0, False, str(error))
    is_done = store.finished_video(task.key, task.output) is not None
    chunks_done = len(chunks) if is_done else len(chunks & set(store.done_chunks(task.key)))
    return VideoPlanReport(task.found.relative, str(task.output), plan.frames_in, plan.scenes, len(chunks),
                           chunks_done, pairs, inbetweens, frames_out, is_done)
