"""Footage -> training clips for ToonCrafter: runs of frames of one shot, fitted to the model grid.

A clip is `num_frames` frames (16 for ToonCrafter) taken every `stride`-th frame of one shot, for each stride
1 .. max_stride, never across a cut (the cuts are the pipeline's own, `planning/scenes.py`, as for the triplets).
Its first and last frames are the keyframes the model is conditioned on; the frames between are what it should
generate. Held drawings stay in: they are how the show moves. The frame rate of a clip (source rate / stride,
rounded down as the reference's data loader does) is its frame-rate (`fs`) condition. Frames are fitted to the
grid as the backend fits keyframes (`--fit pad`), so the model trains on what it is given at inference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from ..datatypes import Frame
from ..errors import InputError
from ..evaluation.metrics import luma
from ..imaging.grid_fit import FitMode, GridFit
from ..planning.scenes import CutDetector
from ..video.decode import open_video
from .triplets import TripletSettings, split_by_shot


@dataclass(frozen=True, eq=False)
class Clip:
    """Frames `indices` of one shot's grid-fitted frames (shared between the clips of that shot)."""

    shot_frames: np.ndarray  # (n, H, W, 3) uint8, the whole shot on the model grid
    indices: tuple[int, ...]
    frame_rate: int  # the clip's frames per second: the fs condition
    shot: tuple[str, int]  # (source name, shot index)

    @property
    def frames(self) -> np.ndarray:
        return self.shot_frames[list(self.indices)]  # (t, H, W, 3)


@dataclass(frozen=True)
class ClipBatch:
    frames: torch.Tensor  # (b, 3, t, H, W) in [-1, 1]
    frame_rates: torch.Tensor  # (b,) int64

    def to(self, device: torch.device) -> "ClipBatch":
        return ClipBatch(self.frames.to(device), self.frame_rates.to(device))


def footage_clips(paths: Iterable[Path], grid_size: tuple[int, int], num_frames: int, max_stride: int,
                  settings: TripletSettings, input_fps: Fraction | None = None) -> list[Clip]:
    """The clips of every video (or PNG folder shown at `input_fps`) in `paths`; an InputError if there are none.

    `settings` are the triplets' scene and motion settings (the cuts, and `min_motion` between a clip's ends).
    """
    clips = []
    for path in paths:
        source = open_video(Path(path), input_fps if Path(path).is_dir() else None)
        clips.extend(frame_clips(source.frames(), source.info.frame_rate, Path(path).name, grid_size, num_frames,
                                 max_stride, settings))
    if not clips:
        raise InputError(f"no training clips in the footage (a clip needs a shot of at least {num_frames} frames "
                         "with motion between its first and last); give more footage")
    return clips


def frame_clips(frames: Iterable[Frame], frame_rate: Fraction, name: str, grid_size: tuple[int, int],
                num_frames: int, max_stride: int, settings: TripletSettings) -> list[Clip]:
    """The clips of decoded frames, shot by shot (as `footage_clips` does for one file)."""
    detector = CutDetector(settings.scenes, frame_rate)
    shots: list[list[np.ndarray]] = [[]]
    fit = None
    for frame in frames:
        if detector.is_cut(frame.image) and shots[-1]:
            shots.append([])
        fit = fit or GridFit.plan(FitMode.pad, frame.image.shape[:2], grid_size)
        shots[-1].append(fit.to_grid(frame.image))
    return [clip for index, shot in enumerate(shots) if shot
            for clip in _shot_clips(np.stack(shot), frame_rate, (name, index), num_frames, max_stride, settings)]


def _shot_clips(shot_frames: np.ndarray, frame_rate: Fraction, shot: tuple[str, int], num_frames: int,
                max_stride: int, settings: TripletSettings) -> list[Clip]:
    """Non-overlapping clips of one shot at each stride, skipping those whose ends barely differ."""
    clips = []
    for stride in range(1, max_stride + 1):
        span = (num_frames - 1) * stride + 1
        rate = math.floor(frame_rate / stride)
        for start in range(0, len(shot_frames) - span + 1, span):
            indices = tuple(range(start, start + span, stride))
            motion = float(np.abs(luma(shot_frames[indices[0]]) - luma(shot_frames[indices[-1]])).mean())
            if motion >= settings.min_motion:
                clips.append(Clip(shot_frames, indices, rate, shot))
    return clips


def split_clips(clips: list[Clip], validation_fraction: float) -> tuple[list[Clip], list[Clip]]:
    """(training, validation) clips, whole shots held out as `split_by_shot` holds out triplets. Clips of one shot
    overlap (one per stride), so footage of a single shot cannot give a validation part that shares no frame."""
    if validation_fraction and len({clip.shot for clip in clips}) < 2:
        raise InputError("the footage is one shot, and validation needs whole shots held out; give more footage, "
                         "or set validation_fraction to 0 (the last step's weights are kept)")
    return split_by_shot(clips, validation_fraction)


def sample_clips(clips: Sequence[Clip], batch_size: int, generator: torch.Generator) -> ClipBatch:
    """`batch_size` clips drawn at random (with replacement), each flipped left-right and played backwards at
    random (a cartoon's motion is as true mirrored or reversed)."""
    picks = torch.randint(len(clips), (batch_size,), generator=generator).tolist()
    videos = []
    for index in picks:
        video = torch.from_numpy(clips[index].frames).permute(3, 0, 1, 2).float() / 127.5 - 1.0  # (3, t, H, W)
        flip, reverse = (torch.rand(2, generator=generator) < 0.5).tolist()
        if flip:
            video = video.flip(-1)
        if reverse:
            video = video.flip(1)
        videos.append(video)
    rates = torch.tensor([clips[index].frame_rate for index in picks], dtype=torch.int64)
    return ClipBatch(torch.stack(videos), rates)
