"""Source conditioning: the stage between decode and planning that brings legacy frames back to their pictures.

`condition_source` looks at the whole input once, in a streaming pass that holds three frames
(`planning.source.measure_frames`), decides what it is (`--source auto`) or checks what `--source` says, and returns
a `ConditionedSource` whose `frames()` decodes again and restores (`video.legacy.restore_frames`): 3:2 pulldown
woven back to the drawings (YUV lines when coded interlaced: `video.fields`), interlaced fields deinterlaced at field
rate, blended frames left out (with a steady blend cadence, the source's pictures put back on its grid), soft
telecine's pictures (repeat-field flags: the decoder gives them 2 and 3 fields apart) put on the film grid; a file
whose scenes differ (a telecined body, interlaced credits) is restored scene by scene, split at the cuts
PySceneDetect finds with its default threshold in the same pass. Progressive input is never touched: its frames are the decoder's own, with the decoder's times, and `--source progressive`
skips the look altogether. The planning stages downstream see the restored rate (`frame_rate`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from fractions import Fraction
from typing import Iterable, Iterator

import numpy as np

from .datatypes import Frame
from .errors import SourceError
from .planning.plan import count_outputs
from .planning.blend_cadence import lock_blend_cadence
from .planning.mixed_source import analyse_mixed
from .planning.scenes import CutDetector, SceneSettings
from .planning.source import FrameMeasures, SourceKind, SourceReport, analyse_source, find_blended, measure_frames
from .progress import Progress, SilentProgress
from .video.decode import VideoSource
from .video.fields import can_pack, field_yuv, noting_coding, rgb_of_field_yuv
from .video.image_folder import ImageFolderSource
from .video.legacy import restore_frames, restored_rate

ANALYSE_TASK = "analyse"  # the progress bar of the first pass


class SourceMode(str, Enum):
    """What `--source` says the input is; `auto` finds out."""

    auto = "auto"
    progressive = "progressive"
    telecine = "telecine"
    interlaced = "interlaced"
    blended = "blended"


@dataclass(frozen=True, eq=False)
class ConditionedSource:
    """An input as the planning stages see it: restored frames at `frame_rate` (see the module docstring)."""

    source: VideoSource | ImageFolderSource
    mode: SourceMode
    report: SourceReport | None  # what the frames are restored as; None when `--source progressive` skipped the look

    @property
    def kind(self) -> SourceKind:
        return SourceKind.progressive if self.report is None else self.report.kind

    @property
    def is_untouched(self) -> bool:
        return self.kind is SourceKind.progressive

    @property
    def input_rate(self) -> Fraction:
        return self.source.info.frame_rate

    @property
    def frame_rate(self) -> Fraction:
        """The nominal rate of the restored frames: the drawing rate of telecine, the field rate of interlaced."""
        return self.input_rate if self.report is None else restored_rate(self.report, self.input_rate)

    @property
    def num_frames(self) -> int | None:
        """How many frames `frames()` will give (the header's guess when untouched)."""
        if self.is_untouched:
            return self.source.info.num_frames
        return _restored_count(self.report, self.input_rate)

    def frames(self) -> Iterator[Frame]:
        """Decode (again) and restore; frame times are exact Fractions from the input's start."""
        if self.is_untouched:
            return self.source.frames()
        if not self._weaves_yuv:
            return restore_frames((frame.image for frame in self.source.frames()), self.input_rate, self.report)
        packed = (frame.image for frame in self.source.frames(field_yuv))
        colour = self.source.info.color
        return (replace(frame, image=rgb_of_field_yuv(frame.image, colour))
                for frame in restore_frames(packed, self.input_rate, self.report))

    @property
    def _weaves_yuv(self) -> bool:
        """Whether inverse telecine weaves the decoder's YUV lines, keeping all of each picture's colour (see
        video/fields.py): for yuv420p video coded interlaced (most of its frames)."""
        info = self.source.info
        return (self.kind is SourceKind.telecine and self.report.coded_interlaced > 0.5
                and isinstance(self.source, VideoSource) and can_pack(info.pix_fmt, info.width, info.height))

    def count_outputs(self, num_frames: int, first_time: Fraction, last_time: Fraction, output_rate: Fraction,
                      factor: int | None) -> int:
        """Output frames covering the input (see `planning.plan.count_outputs`); `num_frames`, `first_time` and
        `last_time` are of the frames `frames()` gave. Restored frames cover the input's own duration, so the
        output does too and the sound stays in step (telecine at --factor 2: 5 input frames -> 8 out)."""
        if self.is_untouched:
            return count_outputs(num_frames, first_time, last_time, self.input_rate, output_rate, factor)
        last_input = (self.report.num_frames - 1) / self._decoded_rate
        return count_outputs(self.report.num_frames, Fraction(0), last_input, self._decoded_rate, output_rate, None)

    @property
    def _decoded_rate(self) -> Fraction:
        """The rate the decoded frames come at: soft telecine's film rate (its header's is the flags' 30000/1001)."""
        return self.report.film_rate or self.input_rate

    def summary(self) -> str:
        """One line: what the input is and the rate it restores to."""
        rate = f"{_rate(self.frame_rate)} fps"
        if self.report is None:
            return f"source: progressive, untouched and not analysed (--source progressive) -> {rate}"
        if self.mode is SourceMode.auto:
            return f"source: {describe_kind(self.report)} -> {rate}; override with --source"
        return f"source: {describe_kind(self.report)} -> {rate} (--source {self.mode.value})"

    def note(self) -> str | None:
        """A one-line note when `--source auto` made a close call: the choice and how to override it."""
        if self.mode is not SourceMode.auto or self.report is None or not self.report.is_ambiguous:
            return None
        others = "|".join(mode.value for mode in SourceMode if mode.value not in ("auto", self.kind.value))
        return (f"{self.source.path}: the source looks {self.kind.value}, but not clearly (confidence "
                f"{self.report.confidence:.2f}, {self.report.combed_fraction:.0%} of moving frames combed); "
                f"treated as {self.kind.value}: pass --source {others} if it is not")


def describe_kind(report: SourceReport) -> str:
    """The kind with what restoring it needs: cadence phase and field order, field order, blended frames."""
    if report.kind is SourceKind.telecine:
        breaks = f", {report.num_cadence_breaks} cadence break(s)" if report.num_cadence_breaks else ""
        return f"telecine 3:2 (phase {report.cadence[0].phase}, {_field_order(report)}{breaks})"
    if report.kind is SourceKind.interlaced:
        return f"interlaced ({_field_order(report)}, one picture per field)"
    if report.kind is SourceKind.soft_telecine:
        return "soft-telecine (3:2 repeat-field flags on progressive pictures: put back on the film grid)"
    if report.kind is SourceKind.mixed:
        parts = "; ".join(f"frames {segment.start}-{segment.end - 1}: {describe_kind(segment.report)}"
                          for segment in report.segments)
        return f"mixed, restored scene by scene ({parts})"
    if report.kind is SourceKind.blended and report.blend_cadence is not None:
        return (f"blended ({len(report.blended_frames)} of {report.num_frames} frames mix their neighbours, one in "
                f"{report.blend_cadence.period}: every frame on that cadence dropped, the rest put back on the "
                f"source's grid)")
    if report.kind is SourceKind.blended:
        return f"blended ({len(report.blended_frames)} of {report.num_frames} frames mix their neighbours: dropped)"
    return "progressive (untouched)"


def analyse_input(source: VideoSource | ImageFolderSource, progress: Progress | None = None
                  ) -> tuple[FrameMeasures, SourceReport]:
    """The first pass: measure every frame (streaming), find the cuts, and decide what the input is."""
    progress = progress or SilentProgress()
    progress.start(ANALYSE_TASK, source.info.num_frames)
    times: list[Fraction] = []
    cuts: list[int] = []
    coded_interlaced: list[bool] = []
    detector = CutDetector(SceneSettings(), source.info.frame_rate)
    frames = source.frames(noting_coding(coded_interlaced)) if isinstance(source, VideoSource) else source.frames()
    measures = measure_frames(_counted(_watched(frames, times, cuts, detector), progress))
    report = analyse_mixed(measures, analyse_source(measures, times), cuts)
    return measures, replace(report, coded_interlaced=float(np.mean(coded_interlaced)) if coded_interlaced else 0.0)


def condition_source(source: VideoSource | ImageFolderSource, mode: SourceMode = SourceMode.auto,
                     progress: Progress | None = None) -> ConditionedSource:
    """Decide how to restore `source`: what `analyse_input` finds, or what `mode` says if the frames agree."""
    if mode is SourceMode.progressive:
        return ConditionedSource(source, mode, None)
    measures, report = analyse_input(source, progress)
    if mode is not SourceMode.auto:
        report = _as_told(measures, report, SourceKind(mode.value), source)
    return ConditionedSource(source, mode, with_blend_cadence(report, source.info.frame_rate))


def with_blend_cadence(report: SourceReport, frame_rate: Fraction) -> SourceReport:
    """`report` with the blend cadence of its blended parts locked (see planning/blend_cadence.py)."""
    if report.kind is SourceKind.mixed:
        return replace(report, segments=tuple(replace(segment, report=with_blend_cadence(segment.report, frame_rate))
                                              for segment in report.segments))
    if report.kind is not SourceKind.blended:
        return report
    return replace(report, blend_cadence=lock_blend_cadence(report.blended_frames, frame_rate))


def _as_told(measures: FrameMeasures, report: SourceReport, kind: SourceKind,
             source: VideoSource | ImageFolderSource) -> SourceReport:
    """The report for a `--source` the user gave; a `SourceError` when the frames show it cannot be right."""
    where = f"--source {kind.value}: {source.path}"
    if report.kind is SourceKind.mixed:  # told one kind for all: judge the file as a whole
        report = analyse_source(measures)
    is_combed = report.kind in (SourceKind.telecine, SourceKind.interlaced)
    combed = f"{report.combed_fraction:.0%} of its {report.num_moving} moving frames are combed"
    if kind is SourceKind.telecine and report.kind is SourceKind.soft_telecine:
        return report  # the pulldown is in the flags
    if kind is SourceKind.telecine and report.kind is not SourceKind.telecine:
        reason = (f"{report.residual_fraction:.0%} stay combed under any 3:2 cadence: it looks interlaced"
                  if is_combed else "a telecined clip combs 2 frames in 5: it has no pulldown")
        raise SourceError(f"{where} is not 3:2 telecine ({combed}; {reason}); check with `toonbatch probe`, "
                          f"or use --source auto")
    if kind is SourceKind.interlaced and not is_combed:
        raise SourceError(f"{where} has no interlaced fields ({combed}: nothing to deinterlace); check with "
                          f"`toonbatch probe`, or use --source auto")
    if kind is SourceKind.interlaced:
        return replace(report, kind=kind, cadence=())
    if kind is SourceKind.blended:
        blended = find_blended(measures)
        if is_combed or not blended:
            reason = f"it looks {report.kind.value}" if is_combed else "no frame is a mix of its neighbours"
            raise SourceError(f"{where} has no blended frames to drop ({reason}); check with `toonbatch probe`, "
                              f"or use --source auto")
        return replace(report, kind=kind, blended_frames=blended)
    return report


def _watched(frames: Iterable[Frame], times: list[Fraction], cuts: list[int], detector: CutDetector
             ) -> Iterator[np.ndarray]:
    """The frames' images; their times go into `times`, the indices of those that start a shot into `cuts`."""
    for index, frame in enumerate(frames):
        times.append(frame.time)
        if detector.is_cut(frame.image):
            cuts.append(index)
        yield frame.image


def _counted(images: Iterable[np.ndarray], progress: Progress) -> Iterator[np.ndarray]:
    for image in images:
        yield image
        progress.advance(ANALYSE_TASK)


def _restored_count(report: SourceReport, input_rate: Fraction) -> int:
    """How many frames restoring the frames `report` describes gives."""
    if report.kind is SourceKind.mixed:
        return sum(_restored_count(segment.report, input_rate) for segment in report.segments)
    if report.kind is SourceKind.soft_telecine:
        return report.num_frames
    if report.blend_cadence is not None:
        return sum(not report.blend_cadence.is_blend(index) for index in range(report.num_frames))
    return round(report.num_frames * restored_rate(report, input_rate) / input_rate) - len(report.blended_frames)


def _field_order(report: SourceReport) -> str:
    return "top field first" if report.top_field_first else "bottom field first"


def _rate(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"
