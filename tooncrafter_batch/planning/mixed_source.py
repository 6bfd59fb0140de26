"""Mixed clips: scenes of different kinds (a telecined body, interlaced credits) as segments restored each its own way.

Pure, on the measures of `planning.source`; the cuts come from the first pass (`conditioning.analyse_input`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .source import FrameMeasures, SourceKind, SourceReport, SourceSegment, analyse_source

_MIN_SCENE_MOVING = 10  # moving frames a scene needs to be judged on its own; fewer and it joins a neighbour


def analyse_mixed(measures: FrameMeasures, report: SourceReport, cuts: Sequence[int]) -> SourceReport:
    """`report` (the whole clip's), or a mixed one when the scenes between `cuts` clearly differ in kind.

    A scene with fewer than 10 moving frames, or a close call, joins the segment before it (the first scenes join
    the one after them); neighbouring scenes of one kind make one segment, analysed again as a whole, and so do
    progressive and blended scenes (both keep every clean frame at its time: a scene without blends is no evidence
    that its neighbour's are not). With one kind found, the whole clip's report comes back unchanged (a cadence
    then runs across its cuts).
    """
    bounds = [0, *cuts, len(measures)]
    spans: list[list] = []  # [start, end, kind or None]
    for start, end in zip(bounds, bounds[1:]):
        own = analyse_source(measures.part(start, end))
        kind = own.kind if own.num_moving >= _MIN_SCENE_MOVING and not own.is_ambiguous else None
        if spans and _joins(spans[-1][2], kind):
            spans[-1][1:] = [end, _joined(spans[-1][2], kind)]
        else:
            spans.append([start, end, kind])
    segments = tuple(SourceSegment(start, end, analyse_source(measures.part(start, end))) for start, end, _ in spans)
    if len({segment.report.kind for segment in segments}) < 2:
        return report
    return replace(report, kind=SourceKind.mixed, confidence=min(segment.report.confidence for segment in segments),
                   top_field_first=None, cadence=(), blended_frames=(), segments=segments)


_CLEAN = "clean"  # a run of progressive and blended scenes
_CLEAN_KINDS = {SourceKind.progressive, SourceKind.blended, _CLEAN}


def _joins(before: SourceKind | str | None, kind: SourceKind | None) -> bool:
    """Whether a scene of `kind` (None: not judged) joins the run of scenes before it."""
    return before is None or kind is None or before == kind or {before, kind} <= _CLEAN_KINDS


def _joined(before: SourceKind | str | None, kind: SourceKind | None) -> SourceKind | str | None:
    return before or kind if before is None or kind is None or before == kind else _CLEAN
