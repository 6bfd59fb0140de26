"""Score interpolation methods on a protocol's cases and aggregate: overall, motion frames only, and per shot.

A method is a registered backend (run directly on the case pairs: no dedupe, no timing, no plan) or, with
`vs_ffmpeg`, one of ffmpeg's minterpolate modes. Several clips aggregate frame-weighted: every scored frame counts
once, whatever its clip.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from itertools import groupby
from typing import Callable, Iterator, Sequence

import numpy as np
import yaml

from ..backends.base import BackendSpec, Interpolator
from ..backends.registry import BACKENDS, build_backend
from ..datatypes import Pair, Scene
from ..errors import BackendError, SettingsError
from .ffmpeg_baseline import FFMPEG_METHODS, predict_with_ffmpeg, require_ffmpeg
from .metrics import FrameScore, score_frame
from .protocols import Case, Clip, Protocol, build_cases, scenes, thumbnails

Predictor = Callable[[Clip, Sequence[Case]], Iterator[np.ndarray]]


@dataclass(frozen=True)
class EvaluationSettings:
    """What `toonbatch eval` measures: which protocols, which backends, and whether to add ffmpeg's modes."""

    protocols: tuple[Protocol, ...]
    backends: tuple[str, ...] = ("flow",)
    vs_ffmpeg: bool = False
    input_fps: Fraction | None = None  # frame rate of a PNG folder (only ffmpeg uses it)

    def __post_init__(self):
        if not self.protocols:
            raise SettingsError("give at least one protocol")
        if not self.backends and not self.vs_ffmpeg:
            raise SettingsError("nothing to measure: give --backend NAME or --vs-ffmpeg")
        unknown = [name for name in self.backends if parse_backend(name).name not in BACKENDS]
        if unknown:
            raise BackendError(f"unknown backend {unknown[0]!r}; choose from: {', '.join(sorted(BACKENDS))}")
        if self.input_fps is not None and self.input_fps <= 0:
            raise SettingsError(f"--input-fps must be positive, got {self.input_fps}")

    @property
    def method_names(self) -> tuple[str, ...]:
        return self.backends + (FFMPEG_METHODS if self.vs_ffmpeg else ())


@dataclass(frozen=True)
class Summary:
    """Mean scores over `n` frames (NaN when n is 0)."""

    n: int
    psnr: float
    ssim: float
    chamfer: float


@dataclass(frozen=True)
class MethodResult:
    """One method's score on every case of a protocol, and the seconds it spent predicting them."""

    name: str
    cases: tuple[Case, ...]
    scores: tuple[FrameScore, ...]
    seconds: float

    def overall(self) -> Summary:
        return summarize(self.scores)

    def motion(self) -> Summary:
        return summarize([score for case, score in zip(self.cases, self.scores) if case.is_motion])

    def per_scene(self) -> dict[int, Summary]:
        grouped: dict[int, list[FrameScore]] = defaultdict(list)
        for case, score in zip(self.cases, self.scores):
            grouped[case.scene].append(score)
        return {scene: summarize(scores) for scene, scores in sorted(grouped.items())}


@dataclass(frozen=True)
class ProtocolResult:
    """All methods measured on one clip under one protocol."""

    clip: str
    protocol: Protocol
    scenes: tuple[Scene, ...]
    methods: tuple[MethodResult, ...]


def summarize(scores: Sequence[FrameScore]) -> Summary:
    """Frame-weighted means of a list of frame scores."""
    if not scores:
        return Summary(0, float("nan"), float("nan"), float("nan"))
    return Summary(n=len(scores), psnr=float(np.mean([s.psnr for s in scores])),
                   ssim=float(np.mean([s.ssim for s in scores])), chamfer=float(np.mean([s.chamfer for s in scores])))


def evaluate_clip(clip: Clip, settings: EvaluationSettings) -> list[ProtocolResult]:
    """Measure every method of `settings` on `clip` under each of its protocols."""
    if settings.vs_ffmpeg:
        require_ffmpeg()
    predictors = {name: partial(predict_with_backend, build_backend(parse_backend(name))) for name in settings.backends}
    if settings.vs_ffmpeg:
        predictors.update({name: partial(predict_with_ffmpeg, name) for name in FFMPEG_METHODS})
    shots = tuple(scenes(thumbnails(clip)))
    results = []
    for protocol in settings.protocols:
        cases = build_cases(clip, protocol)
        methods = tuple(score_method(name, predictor, clip, cases) for name, predictor in predictors.items())
        results.append(ProtocolResult(clip=clip.name, protocol=protocol, scenes=shots, methods=methods))
    return results


def parse_backend(text: str) -> BackendSpec:
    """A backend and its options as `name` or `name:key=value,key=value` (values read as YAML: `ensemble=true`)."""
    name, _, options = text.partition(":")
    pairs = [item.split("=", 1) for item in options.split(",") if item]
    if any(len(pair) != 2 for pair in pairs):
        raise SettingsError(f"backend {text!r}: options go as name:key=value,key=value")
    return BackendSpec(name, tuple(sorted((key, yaml.safe_load(value)) for key, value in pairs)))


def score_method(name: str, predictor: Predictor, clip: Clip, cases: Sequence[Case]) -> MethodResult:
    """Run one method on `cases` and score each prediction against its true frame."""
    scores, seconds = [], 0.0
    predictions = predictor(clip, cases)
    for case in cases:
        started = time.perf_counter()
        prediction = next(predictions)
        seconds += time.perf_counter() - started
        scores.append(score_frame(prediction, clip.frames[case.truth]))
    return MethodResult(name=name, cases=tuple(cases), scores=tuple(scores), seconds=seconds)


def predict_with_backend(backend: Interpolator, clip: Clip, cases: Sequence[Case]) -> Iterator[np.ndarray]:
    """The backend's prediction for each case, in case order; neighbouring cases sharing a pair go in one call."""
    runs = [list(run) for _, run in groupby(cases, key=lambda case: (case.left, case.right))]
    batch_size = max(1, backend.max_batch)
    for first in range(0, len(runs), batch_size):
        batch = runs[first : first + batch_size]
        pairs = [Pair(clip.frames[run[0].left], clip.frames[run[0].right]) for run in batch]
        for frames in backend.interpolate(pairs, [[case.position for case in run] for run in batch]):
            yield from frames


def combine(results: Sequence[ProtocolResult]) -> dict[str, tuple[Summary, Summary]]:
    """Frame-weighted (overall, motion) summaries of each method over several clips' results."""
    overall: dict[str, list[FrameScore]] = defaultdict(list)
    motion: dict[str, list[FrameScore]] = defaultdict(list)
    for result in results:
        for method in result.methods:
            overall[method.name].extend(method.scores)
            motion[method.name].extend(s for c, s in zip(method.cases, method.scores) if c.is_motion)
    return {name: (summarize(overall[name]), summarize(motion[name])) for name in overall}
