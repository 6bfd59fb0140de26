"""Sketch-guided interpolation on CPU (no weights): in-betweens that pass through drawn poses.

Two keyframes leave the path ambiguous (an arc or a straight line, which way a limb swings); plain flow takes the
straight, short way. Sketches of in-between poses fix it, by line-based matching:

1. Regions: every drawing (the two keyframes' line art and each sketch) is cut into the closed areas its lines
   enclose. Each area of the start keyframe is followed through the sketches to the end keyframe by matching
   shape (area, elongation) with a weak prior on position; an area that cannot be followed is left alone.
2. Poses: between neighbouring drawings a followed area moves by a similarity transform (centroid, scale, and a
   rotation whose half-turn ambiguity is settled by how well the surrounding lines line up), so a rotation can
   add up to more than half a turn: the long way round when the sketch says so.
3. Path: position, rotation and scale are interpolated through the poses (cubic Hermite in time), and every
   in-between is painted: the held backdrop from the keyframes, then each area with its outline, moved from the
   nearer keyframe to its pose at that time.

If no area can be followed (a sketch unlike the keyframes), plain flow (`FlowInterpolator`) is the answer.
Backdrops are assumed held (character animation over a still background): they are copied, not moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import cv2
import numpy as np

from ..datatypes import Pair
from ..errors import BackendError
from ..imaging.line_art import extract_line_art
from .flow import FlowInterpolator

LINE_LEVEL = 0.5  # sketch values at or above this are line pixels
MIN_REGION_FRACTION = 2e-4  # areas smaller than this share of the frame are not followed
BACKDROP_FRACTION = 0.2  # an area touching the border and this large is backdrop, never moved
MAX_MATCH_COST = 1.0  # areas less alike than this are not the same area
MATCH_MARGIN = 0.3  # the best match must cost this much less than the next one (repeated shapes are skipped)
POSITION_WEIGHT = 1.0  # match cost per frame diagonal between the centroids
ELONGATION_WEIGHT = 2.0  # match cost per unit of log difference in elongation
OUTLINE_PIXELS = 5  # an area is moved together with this much of its surroundings: its outline
_BAND = 9  # px around an area where lines are compared to choose its rotation


@dataclass(frozen=True, eq=False)
class _Region:
    """One closed area of a drawing: mask, area, centroid (x, y), principal-axis angle, elongation."""

    mask: np.ndarray
    area: int
    centroid: np.ndarray
    angle: float
    elongation: float
    is_backdrop: bool


@dataclass(frozen=True, eq=False)
class _Drawing:
    """A drawing at a time in the pair: its line map and closed areas."""

    time: float
    lines: np.ndarray  # (h, w) bool
    regions: list[_Region]


@dataclass(frozen=True, eq=False)
class _Track:
    """One area followed through the drawings: per drawing its region and its pose relative to the start."""

    regions: list[_Region]
    rotations: list[float]  # radians, image coordinates, accumulated from the start keyframe
    log_scales: list[float]

    def travel(self) -> float:
        """How far the area moves overall (px along the path plus radians turned): static areas are ~0."""
        steps = [np.hypot(*(b.centroid - a.centroid)) for a, b in zip(self.regions[:-1], self.regions[1:])]
        return float(sum(steps) + abs(self.rotations[-1]))


class SketchGuidedFlow:
    """Interpolate a pair through sketched poses (see the module docstring); options as `FlowInterpolator`'s."""

    name = "sketch_flow"
    needs_gpu = False

    def __init__(self, *, flow_width: int = 640, preset: str = "medium"):
        self.flow = FlowInterpolator(flow_width=flow_width, preset=preset)

    def interpolate_guided(self, pair: Pair, positions: Sequence[float],
                           sketches: Mapping[float, np.ndarray]) -> list[np.ndarray]:
        """The frames at `positions` in (0, 1), passing through each sketch.

        `sketches` maps a position in (0, 1) to its line art at the keyframes' size: (h, w) float in [0, 1],
        1 = line (as `sketches.normalise_line_art` returns).
        """
        _check_sketches(pair, sketches)
        drawings = [_drawing(0.0, extract_line_art(pair.start) == 0)]
        drawings += [_drawing(position, sketches[position] >= LINE_LEVEL) for position in sorted(sketches)]
        drawings.append(_drawing(1.0, extract_line_art(pair.end) == 0))
        tracks = _follow(drawings)
        if not tracks:
            return self.flow.interpolate_pair(pair, positions)
        tracks.sort(key=lambda track: -track.travel())  # static areas are painted last, over moving ones
        return [_paint(pair, drawings, tracks, position) for position in positions]


def _check_sketches(pair: Pair, sketches: Mapping[float, np.ndarray]) -> None:
    for position, lines in sketches.items():
        if not 0.0 < position < 1.0:
            raise BackendError(f"sketch-guided flow: a sketch must lie strictly between the keyframes, "
                               f"got position {position}")
        if lines.shape != pair.start.shape[:2]:
            raise BackendError(f"sketch-guided flow: sketch {lines.shape} does not match the keyframes "
                               f"{pair.start.shape[:2]}; fit it to the keyframe size first")


def _drawing(time: float, lines: np.ndarray) -> _Drawing:
    """The closed areas of a line map (lines thickened by 1 px to close small gaps), largest first."""
    closed = cv2.dilate(lines.astype(np.uint8), np.ones((3, 3), np.uint8))
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(1 - closed, connectivity=4)
    height, width = lines.shape
    regions = []
    for label in range(1, count):
        x, y, box_width, box_height, area = stats[label]
        if area < MIN_REGION_FRACTION * height * width:
            continue
        mask = labels == label
        angle, elongation = _orientation(mask)
        touches_border = x == 0 or y == 0 or x + box_width == width or y + box_height == height
        regions.append(_Region(mask, int(area), centroids[label], angle, elongation,
                               touches_border and area >= BACKDROP_FRACTION * height * width))
    return _Drawing(time, lines, sorted(regions, key=lambda region: -region.area))


def _orientation(mask: np.ndarray) -> tuple[float, float]:
    """Principal-axis angle (radians, image coordinates) and elongation (major over minor spread, >= 1)."""
    moments = cv2.moments(mask.astype(np.uint8), binaryImage=True)
    mu20, mu02, mu11 = (moments[key] / max(moments["m00"], 1.0) for key in ("mu20", "mu02", "mu11"))
    spread = math.sqrt(4 * mu11 * mu11 + (mu20 - mu02) ** 2)
    major, minor = (mu20 + mu02 + spread) / 2, max((mu20 + mu02 - spread) / 2, 1e-6)
    return 0.5 * math.atan2(2 * mu11, mu20 - mu02), math.sqrt(major / minor)


def _match_cost(region: _Region, candidate: _Region, diagonal: float) -> float:
    """How unlike two areas are: size, elongation and (weakly) distance."""
    size = abs(math.log(region.area / candidate.area))
    shape = ELONGATION_WEIGHT * abs(math.log(region.elongation / candidate.elongation))
    distance = POSITION_WEIGHT * float(np.hypot(*(region.centroid - candidate.centroid))) / diagonal
    return size + shape + distance


def _follow(drawings: list[_Drawing]) -> list[_Track]:
    """Follow each non-backdrop area of the start keyframe through every later drawing; drop the lost ones."""
    diagonal = math.hypot(*drawings[0].lines.shape)
    tracks = []
    for region in drawings[0].regions:
        if region.is_backdrop:
            continue
        regions, rotations, log_scales = [region], [0.0], [0.0]
        for previous, drawing in zip(drawings[:-1], drawings[1:]):
            costs = sorted((_match_cost(regions[-1], candidate, diagonal), index)
                           for index, candidate in enumerate(drawing.regions) if not candidate.is_backdrop)
            if not _is_clear_match(costs):
                break
            match = drawing.regions[costs[0][1]]
            rotations.append(rotations[-1] + _turn(previous.lines, regions[-1], drawing.lines, match))
            log_scales.append(log_scales[-1] + 0.5 * math.log(match.area / regions[-1].area))
            regions.append(match)
        else:
            tracks.append(_Track(regions, rotations, log_scales))
    return tracks


def _is_clear_match(costs: list[tuple[float, int]]) -> bool:
    """The best candidate is alike enough, and clearly better than the runner-up (else the area is ambiguous)."""
    if not costs or costs[0][0] > MAX_MATCH_COST:
        return False
    return len(costs) == 1 or costs[1][0] - costs[0][0] >= MATCH_MARGIN


def _similarity(source: _Region, centroid: np.ndarray, rotation: float, log_scale: float) -> np.ndarray:
    """2x3 matrix turning `source` by `rotation`, scaling it about its centroid and moving that to `centroid`."""
    matrix = cv2.getRotationMatrix2D(tuple(map(float, source.centroid)), -math.degrees(rotation),
                                     math.exp(log_scale))
    matrix[:, 2] += centroid - source.centroid
    return matrix


def _turn(lines: np.ndarray, source: _Region, target_lines: np.ndarray, target: _Region) -> float:
    """The rotation from `source` to `target`: the axis difference or it plus or minus a half turn, whichever
    lines the drawing around the area up best with the target drawing (ties: the smaller turn)."""
    difference = (target.angle - source.angle + math.pi / 2) % math.pi - math.pi / 2
    band = cv2.dilate(target.mask.astype(np.uint8), np.ones((2 * _BAND + 1,) * 2, np.uint8)) > 0
    wanted = cv2.dilate(target_lines.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    size = (lines.shape[1], lines.shape[0])
    log_scale = 0.5 * math.log(target.area / source.area)

    def agreement(rotation: float) -> float:
        moved = cv2.warpAffine(lines.astype(np.uint8), _similarity(source, target.centroid, rotation, log_scale),
                               size, flags=cv2.INTER_NEAREST) > 0
        return float(np.count_nonzero(moved & wanted & band)) - 1e-3 * abs(rotation)

    return max((difference, difference + math.pi, difference - math.pi), key=agreement)


def _hermite(times: Sequence[float], values: np.ndarray, time: float) -> np.ndarray:
    """Cubic Hermite interpolation through (times, values) with Catmull-Rom slopes; values (n, k)."""
    times = np.asarray(times)
    slopes = np.gradient(values, times, axis=0, edge_order=1) if len(times) > 2 else \
        np.repeat((values[1:] - values[:1]) / (times[1] - times[0]), 2, axis=0)
    index = min(int(np.searchsorted(times, time, side="right")) - 1, len(times) - 2)
    span = times[index + 1] - times[index]
    s = (time - times[index]) / span
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    return (h00 * values[index] + h10 * span * slopes[index] + h01 * values[index + 1]
            + h11 * span * slopes[index + 1])


def _footprint(region: _Region) -> np.ndarray:
    """The area with its outline around it, as uint8 0/1."""
    size = 2 * OUTLINE_PIXELS + 1
    return cv2.dilate(region.mask.astype(np.uint8), np.ones((size, size), np.uint8))


def _paint(pair: Pair, drawings: list[_Drawing], tracks: list[_Track], time: float) -> np.ndarray:
    """The in-between at `time`: the held backdrop, then every followed area at its pose on the path."""
    height, width = pair.start.shape[:2]
    nearer = 0 if time < 0.5 else -1  # the keyframe whose pixels are moved: the end one after half-way
    keyframes = (pair.start, pair.end)
    covered = [np.any([_footprint(track.regions[end]) for track in tracks], axis=0) > 0 for end in (0, -1)]
    frame = np.where(covered[nearer][..., None] & ~covered[-1 - nearer][..., None],
                     keyframes[-1 - nearer], keyframes[nearer])
    times = [drawing.time for drawing in drawings]
    for track in tracks:
        poses = np.array([[*region.centroid, rotation, log_scale] for region, rotation, log_scale
                          in zip(track.regions, track.rotations, track.log_scales)])
        pose = _hermite(times, poses, time) - np.array([0.0, 0.0, *poses[nearer, 2:]])
        matrix = _similarity(track.regions[nearer], pose[:2], pose[2], pose[3])
        moved = cv2.warpAffine(keyframes[nearer], matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        mask = cv2.warpAffine(_footprint(track.regions[nearer]), matrix, (width, height),
                              flags=cv2.INTER_NEAREST) > 0
        frame = np.where(mask[..., None], moved, frame)
    return frame
