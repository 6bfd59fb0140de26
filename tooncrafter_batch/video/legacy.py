"""Legacy video: make telecined, interlaced and blend-converted frames from progressive ones, and restore them.

The makers run libavfilter through PyAV's filter graphs (no ffmpeg program): `telecine` (hard 3:2 pulldown),
`interlace` (fields of a field-rate source woven into frames) and `blend_convert` (libavfilter's `framerate`, which
blends the two nearest pictures). Their progressive inputs are the ground truth.

`restore_frames` undoes what `planning.source.analyse_source` found: telecine by the cadence lock (each picture
woven back from the fields the pulldown pattern put it in, the duplicated field of each cycle dropped by the
pattern, not by likeness, so drawings held on twos and threes all come back), interlaced by bwdif at field rate,
blends by leaving the blended frames out (a conversion's steady blend cadence: every frame on it, the others put
back on the source's grid), soft telecine (repeat-field flags) by putting its pictures on the film
grid, and a mixed clip segment by segment. Progressive frames pass through untouched (the very same arrays).
Every frame carries an exact time: frame i of the input is at i / frame_rate.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import islice
from typing import Iterable, Iterator, Protocol, Sequence

import av
import numpy as np

from ..datatypes import Frame

NTSC_FILM = Fraction(24000, 1001)
PULLDOWN_RATE = Fraction(5, 4)  # 3:2 pulldown turns 4 pictures into 5 frames
_SLOT_OF_ROLE = {0: 0, 1: 1, 4: 3}  # the picture of its cycle a clean frame shows (roles 2 and 3 show slot 2)
_FILTER_FORMAT = "gbrp"  # planar RGB: the filters below take it, and it converts to rgb24 exactly


class CadenceSpan(Protocol):
    """Frames [start, end) of one unbroken 3:2 pulldown (`planning.source.CadenceRun` has this shape; video/ and
    planning/ share a floor, so neither imports the other)."""

    start: int
    end: int
    top_field_first: bool

    def role(self, index: int) -> int: ...


class SourceFindings(Protocol):
    """What `restore_frames` needs of `planning.source.SourceReport`; `kind` is one of its `SourceKind` strings."""

    kind: str
    top_field_first: bool | None
    cadence: Sequence[CadenceSpan]
    blended_frames: Sequence[int]
    film_rate: Fraction | None
    segments: Sequence[SegmentFindings]
    blend_cadence: BlendPattern | None


class BlendPattern(Protocol):
    """One blend in every few frames (`planning.blend_cadence.BlendCadence`)."""

    def is_blend(self, index: int) -> bool: ...

    def source_rate(self, frame_rate: Fraction) -> Fraction: ...


class SegmentFindings(Protocol):
    """Frames [start, end) of a mixed clip (`planning.source.SourceSegment`): `report` counts from `start`."""

    start: int
    end: int
    report: SourceFindings


def filter_frames(images: Iterable[np.ndarray], frame_rate: Fraction, chain: Sequence[tuple[str, str | None]]
                  ) -> Iterator[tuple[Fraction, np.ndarray]]:
    """Run RGB uint8 frames (frame i at i / frame_rate) through a libavfilter chain: (time, RGB uint8) pairs.

    `chain` holds (filter name, options) in order, as in `-vf name=options,...`; frames go in and out as planar RGB.
    """
    graph, source = None, None
    for index, image in enumerate(images):
        if graph is None:
            graph, source = _build_graph(image.shape, frame_rate, chain)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts, frame.time_base = index, 1 / frame_rate
        graph.push(frame)
        yield from _drain(graph)
    if graph is not None:
        graph.push(None)
        yield from _drain(graph)


def _build_graph(shape: tuple[int, ...], frame_rate: Fraction, chain: Sequence[tuple[str, str | None]]
                 ) -> tuple[av.filter.Graph, av.filter.context.FilterContext]:
    graph = av.filter.Graph()
    height, width = shape[:2]
    # add_buffer() sets no frame rate, and `framerate` and `telecine` need the input's
    source = graph.add("buffer", video_size=f"{width}x{height}", pix_fmt=str(int(av.VideoFormat("rgb24"))),
                       time_base=str(1 / frame_rate), pixel_aspect="1/1", frame_rate=str(frame_rate))
    steps = [("format", _FILTER_FORMAT), *chain, ("format", "rgb24")]
    graph.link_nodes(source, *(graph.add(name, options) for name, options in steps), graph.add("buffersink"))
    graph.configure()
    return graph, source


def _drain(graph: av.filter.Graph) -> Iterator[tuple[Fraction, np.ndarray]]:
    while True:
        try:
            frame = graph.pull()
        except (av.BlockingIOError, av.EOFError):
            return
        yield frame.pts * Fraction(frame.time_base), np.array(frame.to_ndarray(format="rgb24"), copy=True)


def telecine(images: Iterable[np.ndarray], top_field_first: bool = True) -> Iterator[np.ndarray]:
    """Hard 3:2 pulldown (libavfilter `telecine`, pattern 23): 4 pictures at 24000/1001 -> 5 frames at 30000/1001."""
    options = f"first_field={'top' if top_field_first else 'bottom'}:pattern=23"
    for _, image in filter_frames(images, NTSC_FILM, [("telecine", options)]):
        yield image


def interlace(field_images: Iterable[np.ndarray], field_rate: Fraction, top_field_first: bool = True
              ) -> Iterator[np.ndarray]:
    """Interlaced frames at field_rate / 2: frame k weaves a field of picture 2k and the other field of 2k + 1.

    The first field in time is the top one when `top_field_first` (libavfilter `separatefields`, `select`, `weave`).
    """
    order, first = ("tff", "top") if top_field_first else ("bff", "bottom")
    # separatefields gives a picture's fields in the order its flag says: keep 2k's first field and 2k+1's second
    chain = [("setfield", order), ("separatefields", None), ("select", "not(mod(n\\,4))+eq(mod(n\\,4)\\,3)"),
             ("weave", f"first_field={first}")]
    for _, image in filter_frames(field_images, field_rate, chain):
        yield image


def blend_convert(images: Iterable[np.ndarray], frame_rate: Fraction, target_rate: Fraction,
                  blend_window: tuple[int, int] = (141, 166)) -> Iterator[tuple[Fraction, np.ndarray]]:
    """A rate conversion that blends (libavfilter `framerate`): (time, frame) at `target_rate`.

    An output time whose position between two input pictures, in 1/256ths, falls inside `blend_window` gets a mix
    of both; elsewhere the nearer picture is copied. The default window blends one frame in five, between clean
    neighbours, going from 24000/1001 to 30000/1001; libavfilter's own (15, 240) blends almost every frame.
    """
    start, end = blend_window
    # framerate takes no planar RGB: name its YUV format, or libavfilter picks one (4:4:4 keeps colour within 1 level)
    chain = [("format", "yuv444p"), ("framerate", f"fps={target_rate}:interp_start={start}:interp_end={end}")]
    yield from filter_frames(images, frame_rate, chain)


def restored_rate(findings: SourceFindings, frame_rate: Fraction) -> Fraction:
    """The nominal rate of `restore_frames`' output: the drawing rate for telecine, the field rate for interlaced."""
    if findings.kind == "soft-telecine":
        return findings.film_rate
    if findings.kind == "mixed":  # the rate of most of its frames
        longest = max(findings.segments, key=lambda segment: segment.end - segment.start)
        return restored_rate(longest.report, frame_rate)
    if findings.kind == "telecine":
        return frame_rate / PULLDOWN_RATE
    if findings.kind == "interlaced":
        return frame_rate * 2
    if findings.kind == "blended" and findings.blend_cadence is not None:
        return findings.blend_cadence.source_rate(frame_rate)
    return frame_rate


def restore_frames(images: Iterable[np.ndarray], frame_rate: Fraction, findings: SourceFindings) -> Iterator[Frame]:
    """The pictures behind decoded frames of the kind `findings` names, with exact times (frame i at i / frame_rate)."""
    if findings.kind == "telecine":
        return inverse_telecine(images, frame_rate, findings.cadence)
    if findings.kind == "interlaced":
        return deinterlace(images, frame_rate, findings.top_field_first is not False)
    if findings.kind == "soft-telecine":
        return drop_frames(images, findings.film_rate, set())
    if findings.kind == "mixed":
        return restore_segments(images, frame_rate, findings.segments)
    if findings.blend_cadence is not None:
        return decimate(images, findings.blend_cadence.source_rate(frame_rate), findings.blend_cadence)
    return drop_frames(images, frame_rate, set(findings.blended_frames))


def restore_segments(images: Iterable[np.ndarray], frame_rate: Fraction, segments: Sequence[SegmentFindings]
                     ) -> Iterator[Frame]:
    """Each segment restored as its own report says, its times counted from the clip's start."""
    frames, count = iter(images), 0
    for segment in segments:
        part = islice(frames, segment.end - segment.start)
        for frame in restore_frames(part, frame_rate, segment.report):
            yield Frame(count, frame.time + segment.start / frame_rate, frame.image)
            count += 1
        for _ in part:  # a restorer may stop early (a cadence's last run ends): the next segment starts on time
            pass


def decimate(images: Iterable[np.ndarray], source_rate: Fraction, cadence: BlendPattern) -> Iterator[Frame]:
    """Every frame off the blend cadence (the converted source's pictures), as it is, on the source's grid."""
    kept = (image for index, image in enumerate(images) if not cadence.is_blend(index))
    for index, image in enumerate(kept):
        yield Frame(index, index / source_rate, image)


def drop_frames(images: Iterable[np.ndarray], frame_rate: Fraction, dropped: set[int]) -> Iterator[Frame]:
    """Every frame but those in `dropped`, as it is (the same array), at its own time."""
    kept = 0
    for index, image in enumerate(images):
        if index not in dropped:
            yield Frame(kept, index / frame_rate, image)
            kept += 1


def deinterlace(images: Iterable[np.ndarray], frame_rate: Fraction, top_field_first: bool) -> Iterator[Frame]:
    """One picture per field (libavfilter `bwdif`), at twice `frame_rate`."""
    parity = "tff" if top_field_first else "bff"
    chain = [("setfield", parity), ("bwdif", f"mode=send_field:parity={parity}:deint=all")]
    for index, (time, image) in enumerate(filter_frames(images, frame_rate, chain)):
        yield Frame(index, time, image)


def inverse_telecine(images: Iterable[np.ndarray], frame_rate: Fraction, cadence: Sequence[CadenceSpan]
                     ) -> Iterator[Frame]:
    """Weave each picture back from the fields the cadence says hold it: one picture per role-0, 1 and 4 frame and
    one per role-2/3 pair, at exact times on the drawing grid of its cycle (a quarter of 5 / frame_rate apart).

    At a cadence break (an edit) a picture may keep one field only: that field is line-doubled rather than lost.
    A picture whose time would not follow the previous one's is left out.
    """
    runs = iter(cadence)
    run, previous, last_time, count = next(runs, None), None, None, 0
    for index, image in enumerate(images):
        while run is not None and index >= run.end:
            run = next(runs, None)
        if run is None:
            return
        cycle_start = index - run.role(index)
        for slot, picture in _pictures(run, index, image, previous):
            time = (cycle_start + slot * PULLDOWN_RATE) / frame_rate
            if last_time is None or time > last_time:
                yield Frame(count, time, picture)
                last_time, count = time, count + 1
        previous = image


def _pictures(run: CadenceSpan, index: int, image: np.ndarray, previous: np.ndarray | None
              ) -> list[tuple[int, np.ndarray]]:
    """(slot in its cycle, picture) for each picture frame `index` completes.

    Top field first, a cycle's frames hold the fields A A | B B | B C | C D | D D (bottom first, the same with the
    fields swapped): a role-2 frame's first field repeats B and its second starts C; role 3 ends C and starts D.
    A field whose partner lies outside the run becomes a picture of its own.
    """
    role, first_is_top = run.role(index), run.top_field_first
    is_first, is_last = index == run.start, index + 1 == run.end
    if role in _SLOT_OF_ROLE:
        return [(_SLOT_OF_ROLE[role], image)]
    pictures = []
    if role == 2:
        if is_first:
            pictures.append((1, _line_double(image, keep_top=first_is_top)))
        if is_last:
            pictures.append((2, _line_double(image, keep_top=not first_is_top)))
        return pictures
    if is_first or previous is None:
        pictures.append((2, _line_double(image, keep_top=first_is_top)))
    else:
        woven = image.copy()  # this frame's first field, the previous frame's second
        second = slice(1, None, 2) if first_is_top else slice(0, None, 2)
        woven[second] = previous[second]
        pictures.append((2, woven))
    if is_last:
        pictures.append((3, _line_double(image, keep_top=not first_is_top)))
    return pictures


def _line_double(image: np.ndarray, keep_top: bool) -> np.ndarray:
    """A picture from one field: each line of the other field becomes the mean of the lines above and below."""
    padded = np.pad(image.astype(np.float32), ((1, 1), (0, 0), (0, 0)), mode="reflect")
    missing = slice(1 if keep_top else 0, None, 2)
    doubled = image.copy()
    doubled[missing] = np.rint((padded[:-2][missing] + padded[2:][missing]) / 2).astype(np.uint8)
    return doubled
