"""DVD-like MPEG-2 test data made through PyAV: progressive, interlaced (hard telecine, interlaced video) and soft
telecine (progressive film pictures flagged to play at 29.97 by repeat-field flags).

Interlaced coding is what a DVD of video does: the frames converted to 4:2:0 field by field (libavfilter
`scale=interl=1`), flagged top field first, coded with field-aware motion and DCT (`flags=+ilme+ildct`).

Soft telecine: a DVD of film usually holds the 23.976 pictures as they are and lets the player make the 3:2
pulldown: each picture's `repeat_first_field` flag says to show its first field a third time. Only the flags and the
timestamps differ from a progressive stream, so the decoder gives the pictures themselves, at uneven times (3
fields, then 2). No encoder or bitstream filter bundled with PyAV sets these flags: libavcodec's `mpeg2video` always
writes `repeat_first_field` 0 (it has no option for it and asserts 0 in its VBV delay code), and `mpeg2_metadata`
edits only the aspect ratio, frame rate and colour fields of the sequence header. So `write_dvd` encodes with PyAV's
`mpeg2video`, sets the flags in each coded picture itself (they sit at fixed bit positions of the picture coding
extension, which no edit can turn into a start code) and muxes through PyAV with the pulldown's field times, as
DVD authoring tools (DGPulldown) do after an encoder.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np

CODINGS = ("progressive", "interlaced", "soft-telecine")
_VIDEO_RATE = Fraction(30000, 1001)  # what a soft-telecined sequence header declares
_FIELD_TIME_BASE = 1 / (2 * _VIDEO_RATE)
_EXTENSION = b"\x00\x00\x01\xb5"
_SEQUENCE_EXTENSION, _PICTURE_CODING_EXTENSION = 0x1, 0x8
# (top_field_first, repeat_first_field) of the four pictures of a cycle: fields T B T | B T | B T B | T B
_FLAGS = ((True, True), (False, False), (False, True), (True, False))
_FIELD_STARTS = (0, 3, 5, 8)  # the field each picture of a cycle starts at; a cycle is 10 fields


def write_dvd(path: Path, images: Iterable[np.ndarray], frame_rate: Fraction, coding: str,
              pixel_aspect: Fraction = Fraction(1)) -> Path:
    """RGB uint8 frames at `frame_rate` as MPEG-2 at ~6 Mb/s in an MPEG-PS file, coded as `coding` says.

    soft-telecine: the frames are film pictures (24000/1001), the 3:2 pattern starts on a picture shown for three
    fields, and no B-frames are used, so packets come in display order and each one's time is its first field's.
    """
    is_soft = coding == "soft-telecine"
    rate = _VIDEO_RATE if is_soft else frame_rate  # what the stream declares
    with av.open(str(path), "w", format="mpeg") as container:
        stream, graph = None, None
        for index, image in enumerate(images):
            if stream is None:
                graph = _conversion(image.shape, frame_rate, pixel_aspect, coding == "interlaced")
                stream = _add_stream(container, image.shape, rate, coding)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts, frame.time_base = index, 1 / frame_rate
            graph.push(frame)
            converted = graph.pull()
            converted.pts, converted.time_base = index, 1 / rate  # pts: the picture's number
            _mux(container, stream, stream.encode(converted), is_soft)
        if stream is not None:
            _mux(container, stream, stream.encode(None), is_soft)
    return path


def _conversion(shape: tuple[int, ...], frame_rate: Fraction, pixel_aspect: Fraction, interlaced: bool
                ) -> av.filter.Graph:
    """RGB -> 4:2:0 (field by field when interlaced), flagged top field first or progressive."""
    graph = av.filter.Graph()
    height, width = shape[:2]
    source = graph.add("buffer", video_size=f"{width}x{height}", pix_fmt=str(int(av.VideoFormat("rgb24"))),
                       time_base=str(1 / frame_rate), pixel_aspect=str(pixel_aspect), frame_rate=str(frame_rate))
    steps = [("scale", f"interl={int(interlaced)}"), ("format", "yuv420p"), ("setfield", "tff" if interlaced else
                                                                                        "prog")]
    graph.link_nodes(source, *(graph.add(name, options) for name, options in steps), graph.add("buffersink"))
    graph.configure()
    return graph


def _add_stream(container: av.container.OutputContainer, shape: tuple[int, ...], rate: Fraction, coding: str
                ) -> av.VideoStream:
    stream = container.add_stream("mpeg2video", rate=rate)
    stream.height, stream.width = shape[:2]
    stream.pix_fmt, stream.bit_rate = "yuv420p", 6_000_000  # a DVD's usual rate
    options = {"maxrate": "9000k", "bufsize": "1835k", "g": "15", "bf": "0" if coding == "soft-telecine" else "2"}
    if coding == "interlaced":
        options["flags"] = "+ilme+ildct"
    stream.codec_context.options = options
    return stream


def _mux(container: av.container.OutputContainer, stream: av.VideoStream, packets: list[av.Packet], is_soft: bool
         ) -> None:
    for coded in packets:
        container.mux(_flagged(coded, stream) if is_soft else coded)


def _flagged(coded: av.Packet, stream: av.VideoStream) -> av.Packet:
    """A soft-telecined picture's packet: pulldown flags set, timed by its first field."""
    cycle, slot = divmod(coded.pts, len(_FLAGS))  # the encoder keeps the frames' pts: the picture's number
    flagged = av.Packet(set_pulldown_flags(bytes(coded), *_FLAGS[slot]))
    flagged.stream, flagged.time_base = stream, _FIELD_TIME_BASE
    flagged.pts = flagged.dts = 10 * cycle + _FIELD_STARTS[slot]
    flagged.is_keyframe = coded.is_keyframe
    return flagged


def set_pulldown_flags(coded: bytes, top_field_first: bool, repeat_first_field: bool) -> bytes:
    """A coded picture with its pulldown flags set: progressive_sequence 0 in a sequence extension (the flags
    mean fields only then), top_field_first and repeat_first_field as given, progressive_frame 1 (ISO 13818-2,
    6.2.2.3 and 6.2.3.1)."""
    data = bytearray(coded)
    at = data.find(_EXTENSION)
    while at >= 0 and at + 8 < len(data):
        kind = data[at + 4] >> 4
        if kind == _SEQUENCE_EXTENSION:
            data[at + 5] &= 0xFF ^ 0x08  # progressive_sequence
        elif kind == _PICTURE_CODING_EXTENSION:
            flags = (0x80 if top_field_first else 0) | (0x02 if repeat_first_field else 0)
            data[at + 7] = (data[at + 7] & (0xFF ^ 0x82)) | flags
            data[at + 8] |= 0x80  # progressive_frame
        at = data.find(_EXTENSION, at + 4)
    return bytes(data)
