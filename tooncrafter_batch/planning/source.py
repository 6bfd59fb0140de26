"""Tell what a clip's frames are made of: progressive pictures, 3:2 pulldown, interlaced fields, or blends.

Pure analysis of decoded frames (RGB uint8 HxWx3), in one streaming pass with a window of three frames:
`measure_frames` turns the frames into per-frame numbers (`FrameMeasures`), `analyse_source` turns those into a
`SourceReport`, `analyse_scenes` does the same per scene (`planning.mixed_source` splits a clip whose scenes are of
different kinds into segments). Nothing here changes a frame (see `video/legacy.py`).

Field words: a frame's top field is its even lines (0, 2, ...), its bottom field its odd lines. In hard 3:2 pulldown
with the top field first, four pictures A B C D become five frames (top, bottom): A A | B B | B C | C D | D D. The
frame with role r = (index - phase) mod 5 is clean for r in {0, 1, 4}; for r in {2, 3} its bottom field belongs with
the next frame's top field (bottom field first: its top field with the next frame's bottom field).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np

from ..datatypes import Scene
from .blend_cadence import BlendCadence

CYCLE = 5  # frames per 3:2 pulldown cycle (four pictures)
WOVEN_ROLES = (2, 3)  # roles whose fields pair with the next frame's
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)  # BT.601, as idet and fieldmatch see luma
_COMB_LEVEL = 10.0  # luma levels both vertical neighbours differ by (fieldmatch's cthresh is 9)
_COMB_BLOCK = 16  # pixels; the comb score is the worst block's, so a small moving character still counts
_COMBED_SCORE = 0.02  # share of a block's pixels in vertical runs of comb: above it a frame is combed
# 4:2:0 chroma upsampled across a woven frame's two pictures leaves a faint comb on the right pairing of its
# fields; a pairing counts as combed only when it combs at least this share as much as the frame itself
_PAIRED_SHARE = 0.5
_MOVING_LEVEL = 0.5  # mean absolute luma difference from the previous frame: above it the frame moved
_BLEND_RESIDUAL = 0.12  # RMS of what a*prev + (1-a)*next misses, relative to RMS(prev - next)
_BLEND_WEIGHTS = (0.1, 0.9)  # a blend's weight of the previous frame lies inside these
_COMBED_FRACTION = 0.1  # moving frames combed: below it the clip is progressive (or blended)
_RESIDUAL_FRACTION = 0.1  # moving frames still combed under the best cadence: below it the clip is telecined
_MIN_BLENDS = 2  # isolated blends needed to call a clip blended (and 2% of its frames)
_SWITCH_COST = 0.5  # a cadence change: less than one combed pairing, which a break explains (see lock_cadence)
# Telecine breaks its cadence at edits only, each run explaining many combed frames; interlaced video of drawings
# held for a few fields can be explained by a cadence that breaks every few frames. More breaks than this per
# combed moving frame and the cadence is not believed
_BREAKS_PER_COMBED = 0.25
_CLEAR_CONFIDENCE = 0.8  # below it the kind chosen was a close call
# Combing is vertical, so columns can be sampled: every k-th, for about this many (the cost of the first pass is
# then bounded by the frame's height; a 720-wide DVD frame keeps every other column)
_ANALYSIS_COLUMNS = 360
# Soft telecine: decoded pictures lie 2 or 3 fields apart, within this share of a field (90 kHz timestamps round)
_FIELD_SLACK = 0.1
_FLAGGED_GAPS = 0.95  # share of the gaps that must be 2 or 3 fields
_LONG_GAPS = (0.4, 0.6)  # share of 3-field gaps: a 3:2 pattern repeats every other picture
_NTSC_VIDEO = Fraction(30000, 1001)


class SourceKind(str, Enum):
    progressive = "progressive"
    telecine = "telecine"
    interlaced = "interlaced"
    blended = "blended"
    soft_telecine = "soft-telecine"  # progressive pictures with repeat-field flags: only their times are uneven
    mixed = "mixed"  # scenes of different kinds: see `SourceReport.segments`


@dataclass(frozen=True)
class CadenceRun:
    """Frames [start, end) of one unbroken 3:2 pulldown: frame i has role (i - phase) mod 5."""

    start: int
    end: int
    phase: int
    top_field_first: bool

    def role(self, index: int) -> int:
        return (index - self.phase) % CYCLE


@dataclass(frozen=True)
class SourceReport:
    """What `analyse_source` found and the numbers it decided on (fractions are of the moving frames)."""

    kind: SourceKind
    confidence: float  # 0..1: the share of the evidence that agrees with `kind`
    num_frames: int
    num_moving: int
    combed_fraction: float  # frames whose own two fields comb
    residual_fraction: float  # frames still combed when fields are paired by the best cadence
    top_field_first: bool | None  # field order (telecine and interlaced), else None
    cadence: tuple[CadenceRun, ...] = ()  # telecine only; a new run starts at each cadence break
    blended_frames: tuple[int, ...] = ()  # blended only: frames that mix their two neighbours
    film_rate: Fraction | None = None  # soft telecine only: the rate of the pictures the flags repeat fields of
    segments: tuple[SourceSegment, ...] = ()  # mixed only: runs of scenes of one kind, in order, covering the clip
    coded_interlaced: float = 0.0  # share of frames the decoder says were coded interlaced (its flag, not measured)
    blend_cadence: BlendCadence | None = None  # blended only: a conversion's steady cadence (set with the rate known)

    @property
    def num_cadence_breaks(self) -> int:
        return max(0, len(self.cadence) - 1)

    @property
    def is_ambiguous(self) -> bool:
        """Whether the choice was a close call: low confidence, or a clip called clean with combing near the limit."""
        is_clean = self.kind in (SourceKind.progressive, SourceKind.blended, SourceKind.soft_telecine)
        return self.confidence < _CLEAR_CONFIDENCE or (is_clean and 2 * self.combed_fraction >= _COMBED_FRACTION)


@dataclass(frozen=True)
class SourceSegment:
    """Frames [start, end) of a mixed clip and what they are; `report` counts its frames from `start`."""

    start: int
    end: int
    report: SourceReport


@dataclass(frozen=True, eq=False)
class FrameMeasures:
    """Per-frame numbers (arrays of one length); `*_next` pair a frame's field with the next frame's (0 at the end).

    own_comb: comb score of the frame as it is; tff_next_comb: its bottom field under the next frame's top field;
    bff_next_comb: its top field over the next frame's bottom field; motion: mean |luma - previous| (inf at 0);
    blend_weight, blend_residual: least-squares a of frame ~ a*prev + (1-a)*next and the relative RMS it misses
    (nan at the ends or when prev == next); tff_jump / bff_jump: mean |bottom_i - top_(i+1)| and |top_i - bottom_(i+1)|.
    """

    own_comb: np.ndarray
    tff_next_comb: np.ndarray
    bff_next_comb: np.ndarray
    motion: np.ndarray
    blend_weight: np.ndarray
    blend_residual: np.ndarray
    tff_jump: np.ndarray
    bff_jump: np.ndarray

    def __len__(self) -> int:
        return len(self.own_comb)

    def part(self, start: int, end: int) -> FrameMeasures:
        """The measures of frames [start, end) as if they were a clip of their own."""
        fields = {name: np.array(value[start:end]) for name, value in vars(self).items()}
        if end > start:
            for name in ("tff_next_comb", "bff_next_comb", "tff_jump", "bff_jump"):
                fields[name][-1] = 0.0
            fields["motion"][0] = np.inf
            fields["blend_weight"][[0, -1]] = np.nan
            fields["blend_residual"][[0, -1]] = np.nan
        return FrameMeasures(**fields)


def luma(image: np.ndarray) -> np.ndarray:
    """BT.601 luma of an RGB uint8 frame, float32 (h, w)."""
    return image.astype(np.float32) @ _LUMA_WEIGHTS


def weave(top_from: np.ndarray, bottom_from: np.ndarray) -> np.ndarray:
    """A frame of `top_from`'s even lines and `bottom_from`'s odd lines (any dtype, same shape)."""
    woven = top_from.copy()
    woven[1::2] = bottom_from[1::2]
    return woven


def comb_score(picture: np.ndarray) -> float:
    """How combed a luma picture is: the share of the worst 16x16 block's pixels in vertical runs of comb.

    A pixel combs when both its vertical neighbours (the other field) differ from it the same way by more than
    `_COMB_LEVEL` and by more than twice what its own field's neighbours two lines away do (which keeps thin
    horizontal lines out); only runs of three combed pixels down a column count, which keeps noise out.
    """
    centre, above, below = picture[2:-2], picture[1:-3], picture[3:-1]
    other_field = 2 * centre - above - below
    own_field = 2 * centre - picture[:-4] - picture[4:]
    combs = ((centre - above) * (centre - below) > _COMB_LEVEL ** 2) & (np.abs(other_field) > 2 * np.abs(own_field))
    in_runs = combs[1:-1] & combs[:-2] & combs[2:]
    height, width = in_runs.shape
    rows, columns = -(-height // _COMB_BLOCK), -(-width // _COMB_BLOCK)
    padded = np.zeros((rows * _COMB_BLOCK, columns * _COMB_BLOCK), np.float32)
    padded[:height, :width] = in_runs
    blocks = padded.reshape(rows, _COMB_BLOCK, columns, _COMB_BLOCK).sum(axis=(1, 3))  # (rows, columns)
    return float(blocks.max()) / _COMB_BLOCK ** 2


def blend_fit(previous: np.ndarray, current: np.ndarray, following: np.ndarray) -> tuple[float, float]:
    """Least-squares a of current ~ a*previous + (1-a)*following, and the RMS left over relative to RMS(prev - next).

    Returns (nan, nan) when previous and following are (nearly) the same picture: a blend of them is no evidence.
    """
    span = (previous - following).ravel()
    offset = (current - following).ravel()
    span_energy = float(span @ span)
    if span_energy <= (_MOVING_LEVEL ** 2) * span.size:
        return float("nan"), float("nan")
    weight = float(offset @ span) / span_energy
    miss = offset - weight * span
    return weight, float(np.sqrt((miss @ miss) / span_energy))


def measure_frames(images: Iterable[np.ndarray]) -> FrameMeasures:
    """One pass over the frames (two lumas held besides the newest) -> `FrameMeasures`.

    Wide frames are measured on every k-th column (k = ceil(width / 360)): all their lines, since fields interleave.
    """
    rows: list[dict[str, float]] = []
    window: list[np.ndarray] = []  # the last two lumas
    for image in images:
        picture = luma(image[:, :: -(-image.shape[1] // _ANALYSIS_COLUMNS)])
        row = {"own_comb": comb_score(picture), "motion": np.inf, "tff_next_comb": 0.0, "bff_next_comb": 0.0,
               "tff_jump": 0.0, "bff_jump": 0.0, "blend_weight": np.nan, "blend_residual": np.nan}
        if window:
            rows[-1].update(_pair_measures(window[-1], picture))
            row["motion"] = float(np.abs(picture - window[-1]).mean())
        if len(window) == 2:
            rows[-1]["blend_weight"], rows[-1]["blend_residual"] = blend_fit(window[0], window[1], picture)
        rows.append(row)
        window = [*window, picture][-2:]
    return FrameMeasures(**{name: np.array([row[name] for row in rows], np.float64)
                            for name in FrameMeasures.__dataclass_fields__})


def _pair_measures(current: np.ndarray, following: np.ndarray) -> dict[str, float]:
    """The numbers of a frame that need the next one too."""
    return {"tff_next_comb": comb_score(weave(following, current)),
            "bff_next_comb": comb_score(weave(current, following)),
            "tff_jump": float(np.abs(current[1::2] - following[0::2][: current[1::2].shape[0]]).mean()),
            "bff_jump": float(np.abs(current[0::2][: following[1::2].shape[0]] - following[1::2]).mean())}


def analyse_source(measures: FrameMeasures, times: Sequence[Fraction] = ()) -> SourceReport:
    """Decide what the measured frames are, from their combing, cadence and blends (see the module docstring), and
    from the decoder's frame `times` (seconds) whether clean frames carry repeat-field flags (soft telecine)."""
    moving = measures.motion > _MOVING_LEVEL
    num_moving = int(moving.sum())
    combed = measures.own_comb > _COMBED_SCORE
    combed_fraction = _share(combed, moving)
    common = {"num_frames": len(measures), "num_moving": num_moving, "combed_fraction": combed_fraction}
    if combed_fraction < _COMBED_FRACTION:
        blended = find_blended(measures)
        if len(blended) >= max(_MIN_BLENDS, 0.02 * len(measures)):
            return SourceReport(SourceKind.blended, 1 - combed_fraction, residual_fraction=combed_fraction,
                                top_field_first=None, blended_frames=blended, **common)
        film_rate = find_soft_pulldown(times)
        kind = SourceKind.progressive if film_rate is None else SourceKind.soft_telecine
        return SourceReport(kind, 1 - combed_fraction, residual_fraction=combed_fraction, top_field_first=None,
                            film_rate=film_rate, **common)
    cadence, still_combed = lock_cadence(measures)
    residual_fraction = _share(still_combed, moving)
    breaks_per_combed = (len(cadence) - 1) / max(1, int((combed & moving).sum()))
    if residual_fraction < _RESIDUAL_FRACTION and breaks_per_combed <= _BREAKS_PER_COMBED:
        top_first = sum(run.end - run.start for run in cadence if run.top_field_first) * 2 >= len(measures)
        return SourceReport(SourceKind.telecine, 1 - residual_fraction / combed_fraction,
                            residual_fraction=residual_fraction, top_field_first=top_first, cadence=cadence, **common)
    evidence = max(residual_fraction / combed_fraction, breaks_per_combed / (2 * _BREAKS_PER_COMBED))
    return SourceReport(SourceKind.interlaced, min(1.0, evidence),
                        residual_fraction=residual_fraction,
                        top_field_first=bool(measures.tff_jump.sum() <= measures.bff_jump.sum()), **common)


def analyse_scenes(measures: FrameMeasures, scenes: Sequence[Scene]) -> tuple[SourceReport, ...]:
    """`analyse_source` of each scene on its own; frame numbers in the reports count from the clip's start."""
    reports = []
    for scene in scenes:
        report = analyse_source(measures.part(scene.start, scene.end))
        reports.append(replace(
            report,
            cadence=tuple(replace(run, start=run.start + scene.start, end=run.end + scene.start,
                                  phase=(run.phase + scene.start) % CYCLE) for run in report.cadence),
            blended_frames=tuple(index + scene.start for index in report.blended_frames)))
    return tuple(reports)


def lock_cadence(measures: FrameMeasures) -> tuple[tuple[CadenceRun, ...], np.ndarray]:
    """The 3:2 cadence (phase and field order, frame by frame) that leaves the fewest combed frames.

    A Viterbi path over the ten (field order, phase) states: a frame costs 1 when the fields its role pairs comb;
    changing state costs `_SWITCH_COST`, less the cost of the frame before when its role pairs it with the next
    frame (across a break that pairing is not made: its picture lost a field to the edit). A held drawing combs
    under no state, so it is no evidence either way and the lock carries through it. Returns the runs of constant
    state, and which frames comb on the path: those left combed and those whose pairing a break cut (both count
    against telecine, so a path that breaks at every frame of interlaced video does not pass for one).
    """
    costs, refunds = _state_costs(measures)  # (frames, 10) each
    num_frames, num_states = costs.shape
    total = costs[0].copy()
    came_from = np.zeros((num_frames, num_states), np.int64)
    for index in range(1, num_frames):
        leaving = total - refunds[index - 1]
        best, second = np.argsort(leaving, kind="stable")[:2]
        switch_from = np.full(num_states, best)
        switch_from[best] = second  # a state does not break into itself
        switch = leaving[switch_from] + _SWITCH_COST
        came_from[index] = np.where(total <= switch, np.arange(num_states), switch_from)
        total = np.minimum(total, switch) + costs[index]
    path = np.empty(num_frames, np.int64)
    path[-1] = int(np.argmin(total))
    for index in range(num_frames - 1, 0, -1):
        path[index - 1] = came_from[index, path[index]]
    return _runs(path), costs[np.arange(num_frames), path] > 0


def _state_costs(measures: FrameMeasures) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 10) 0/1 costs, and the part of each that pairs with the next frame; state = order * 5 + phase,
    order 0 = top field first."""
    own = measures.own_comb > _COMBED_SCORE
    roles = (np.arange(len(measures))[:, None] - np.arange(CYCLE)[None, :]) % CYCLE  # (frames, phases)
    woven = np.isin(roles, WOVEN_ROLES)
    costs, refunds = [], []
    for next_comb in (measures.tff_next_comb, measures.bff_next_comb):
        paired = ((next_comb > _COMBED_SCORE) & (next_comb > _PAIRED_SHARE * measures.own_comb))[:, None]
        costs.append(np.where(woven, paired, own[:, None]))
        refunds.append(woven & paired)
    return (np.concatenate(costs, axis=1).astype(np.float64), np.concatenate(refunds, axis=1).astype(np.float64))


def _runs(path: np.ndarray) -> tuple[CadenceRun, ...]:
    starts = [0, *(np.flatnonzero(np.diff(path)) + 1).tolist()]
    ends = [*starts[1:], len(path)]
    return tuple(CadenceRun(start, end, int(path[start]) % CYCLE, top_field_first=int(path[start]) < CYCLE)
                 for start, end in zip(starts, ends))


def find_blended(measures: FrameMeasures) -> tuple[int, ...]:
    """Frames that are a mix a*prev + (1-a)*next of two distinct neighbours that are not mixes themselves.

    A run of such frames is a dissolve or a fade, not a conversion's blend, so only isolated ones count.
    """
    low, high = _BLEND_WEIGHTS
    with np.errstate(invalid="ignore"):
        fits = (measures.blend_residual < _BLEND_RESIDUAL) & (measures.blend_weight > low) & \
               (measures.blend_weight < high)
    neighbour_fits = np.zeros_like(fits)
    neighbour_fits[1:] |= fits[:-1]
    neighbour_fits[:-1] |= fits[1:]
    return tuple(np.flatnonzero(fits & ~neighbour_fits).tolist())


def find_soft_pulldown(times: Sequence[Fraction]) -> Fraction | None:
    """The film rate of pictures shown for 3 and 2 fields in turn (soft telecine's repeat-field flags), else None.

    A decoder gives such pictures at the times their first fields are shown: 2 or 3 fields apart, about half of
    each. The field period comes from the whole span; a video rate within 0.1% of 30000/1001 is taken as that.
    """
    seconds = np.array([float(time) for time in times])
    gaps = np.diff(seconds)
    if len(gaps) < 4 or gaps.min() <= 0:
        return None
    fields = gaps / (gaps.min() / 2)  # the shortest gap is two fields
    counts = np.rint(fields)
    is_flagged = np.isin(counts, (2, 3)) & (np.abs(fields - counts) < _FIELD_SLACK)
    long_share = float(np.mean(counts[is_flagged] == 3)) if is_flagged.any() else 0.0
    if is_flagged.mean() < _FLAGGED_GAPS or not _LONG_GAPS[0] <= long_share <= _LONG_GAPS[1]:
        return None
    field_period = Fraction(times[-1] - times[0]) / int(counts.sum())
    video_rate = 1 / (2 * field_period)
    if abs(video_rate / _NTSC_VIDEO - 1) < Fraction(1, 1000):
        video_rate = _NTSC_VIDEO
    return (video_rate * 4 / CYCLE).limit_denominator(1001)


def _share(flags: np.ndarray, among: np.ndarray) -> float:
    count = int(among.sum())
    return float((flags & among).sum()) / count if count else 0.0
