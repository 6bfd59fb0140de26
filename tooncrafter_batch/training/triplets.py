"""Footage -> training triplets: two drawings and the true drawing between them, at its true time.

The keyframes come from the pipeline's own planning code (`planning/scenes.py` cuts, `planning/timing.py` holds):
each distinct drawing is a key at the time it first appears, and a hold longer than the hold limit adds a key at
its last frame (the motion out of a pause starts there). Three consecutive keys A, B, C of one shot, B and C new
drawings, give the input pair (A, C) and the target B at t = (tb - ta) / (tc - ta): the timing of the footage
itself, not an assumed middle. Nothing is taken across a cut.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..datatypes import Frame
from ..errors import InputError, SettingsError
from ..evaluation.metrics import luma
from ..planning.scenes import CutDetector, SceneSettings
from ..planning.timing import DedupeMode, Key, TimingSettings, select_keys
from ..video.decode import open_video


@dataclass(frozen=True)
class TripletSettings:
    scenes: SceneSettings = SceneSettings()
    dedupe_threshold: float = 8.0  # as upscale-fps --dedupe-threshold: luma change still counted as the same drawing
    hold_limit: Fraction = Fraction(1, 3)  # seconds; as upscale-fps: a longer hold is a pause
    max_span: Fraction = Fraction(1, 2)  # seconds from A to C; longer gaps are not one motion
    min_motion: float = 1.0  # mean luma difference (0..255) of A and C below which nothing moves: skipped

    def __post_init__(self):
        if self.max_span <= 0:
            raise SettingsError(f"triplets: max_span must be positive seconds, got {self.max_span}")
        if self.min_motion < 0:
            raise SettingsError(f"triplets: min_motion must be at least 0, got {self.min_motion}")

    def timing(self) -> TimingSettings:
        # factor is required by TimingSettings but unused here: only the keys are taken
        return TimingSettings(factor=2, dedupe=DedupeMode.auto, dedupe_threshold=self.dedupe_threshold,
                              hold_limit=self.hold_limit)


@dataclass(frozen=True, eq=False)
class Triplet:
    """Inputs `start` and `end`, the true in-between `middle` at `position` in (0, 1); frames RGB uint8."""

    start: np.ndarray
    middle: np.ndarray
    end: np.ndarray
    position: float
    shot: tuple[str, int]  # (source name, shot index): the unit of the validation split
    time: Fraction  # when `middle` appears in its source, seconds


def footage_triplets(paths: Iterable[Path], settings: TripletSettings, input_fps: Fraction | None = None
                     ) -> list[Triplet]:
    """The triplets of every video (or PNG folder, shown at `input_fps`) in `paths`, in order; an InputError if
    there are none."""
    triplets = []
    for path in paths:
        source = open_video(Path(path), input_fps if Path(path).is_dir() else None)  # a file has its own rate
        triplets.extend(frame_triplets(source.frames(), source.info.frame_rate, Path(path).name, settings))
    if not triplets:
        raise InputError("no training triplets in the footage (it needs shots with three or more distinct drawings "
                         "in motion); give more footage")
    return triplets


def frame_triplets(frames: Iterable[Frame], frame_rate: Fraction, name: str, settings: TripletSettings
                   ) -> list[Triplet]:
    """The triplets of decoded frames (as `footage_triplets` does for one file)."""
    detector = CutDetector(settings.scenes, frame_rate)
    marked = ((frame, detector.is_cut(frame.image)) for frame in frames)
    return list(key_triplets(select_keys(marked, settings.timing()), name, settings))


def key_triplets(keys: Iterable[Key], name: str, settings: TripletSettings) -> Iterator[Triplet]:
    """Triplets from keys in order: A, B, C consecutive in one shot, B and C new drawings (not ends of holds)."""
    window: list[Key] = []
    shot = -1
    for key in keys:
        if key.starts_shot or shot < 0:
            shot, window = shot + 1, []
        if key.ends_hold:
            window = [key]  # the held drawing's last frame: motion starts here, it is no in-between
            continue
        window = (window + [key])[-3:]
        if len(window) == 3:
            triplet = _triplet(window, (name, shot), settings)
            if triplet is not None:
                yield triplet


def _triplet(keys: list[Key], shot: tuple[str, int], settings: TripletSettings) -> Triplet | None:
    start, middle, end = (key.frame for key in keys)
    span = end.time - start.time
    if span > settings.max_span:
        return None
    if float(np.abs(luma(start.image) - luma(end.image)).mean()) < settings.min_motion:
        return None
    return Triplet(start.image, middle.image, end.image, float((middle.time - start.time) / span), shot, middle.time)


def split_by_shot(triplets: list[Triplet], validation_fraction: float) -> tuple[list[Triplet], list[Triplet]]:
    """(training, validation): whole shots held out, about `validation_fraction` of the triplets, spread through
    the footage. Footage of one shot is split in time instead: its last part is held out, and the two
    triplets on the border dropped so that no frame is in both."""
    if validation_fraction == 0:
        return list(triplets), []
    shots = list(dict.fromkeys(triplet.shot for triplet in triplets))
    if len(shots) == 1:
        border = max(1, round(len(triplets) * (1 - validation_fraction)))
        if border + 2 >= len(triplets):
            raise InputError(f"{len(triplets)} triplets in one shot are too few to hold out a validation part; "
                             "give more footage")
        return triplets[:border], triplets[border + 2 :]
    held = _held_out_shots(Counter(triplet.shot for triplet in triplets), validation_fraction)
    return [t for t in triplets if t.shot not in held], [t for t in triplets if t.shot in held]


def _held_out_shots(counts: Counter, fraction: float) -> set:
    """Shots (in footage order) held out whenever the share held so far, counted to a shot's middle, lags
    `fraction`; at least one shot (the one nearest the target size) and never all of them."""
    held, seen, held_count = set(), 0, 0
    for shot, count in counts.items():
        if held_count + count / 2 < fraction * (seen + count):
            held.add(shot)
            held_count += count
        seen += count
    if not held:
        held = {min(counts, key=lambda shot: abs(counts[shot] - fraction * seen))}
    if len(held) == len(counts):
        held.discard(max(held, key=counts.get))
    return held
