"""Soft telecine: progressive film pictures in an MPEG-2 stream flagged to play at 29.97 (repeat-field flags).

A DVD of film usually holds the 23.976 pictures as they are and lets the player make the 3:2 pulldown: each
picture's `repeat_first_field` flag says to show its first field a third time. Only the flags and the timestamps
differ from a progressive stream, so the decoder gives the pictures themselves, at uneven times (3 fields, then 2).

No encoder or bitstream filter bundled with PyAV sets these flags: libavcodec's `mpeg2video` always writes
`repeat_first_field` 0 (it has no option for it and asserts 0 in its VBV delay code), and `mpeg2_metadata` edits only
the aspect ratio, frame rate and colour fields of the sequence header. So `write_soft_telecine` encodes with PyAV's
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

_VIDEO_RATE = Fraction(30000, 1001)  # what the sequence header declares
_FIELD_TIME_BASE = 1 / (2 * _VIDEO_RATE)
_EXTENSION = b"\x00\x00\x01\xb5"
_SEQUENCE_EXTENSION, _PICTURE_CODING_EXTENSION = 0x1, 0x8
# (top_field_first, repeat_first_field) of the four pictures of a cycle: fields T B T | B T | B T B | T B
_FLAGS = ((True, True), (False, False), (False, True), (True, False))
_FIELD_STARTS = (0, 3, 5, 8)  # the field each picture of a cycle starts at; a cycle is 10 fields


def write_soft_telecine(path: Path, images: Iterable[np.ndarray]) -> Path:
    """Encode RGB uint8 pictures (film at 24000/1001) as soft-telecined MPEG-2 at DVD rates in an MPEG-PS file.

    Top field first, the 3:2 pattern starting on a picture shown for three fields. No B-frames, so packets come in
    display order and each one's time is its first field's.
    """
    with av.open(str(path), "w", format="mpeg") as container:
        stream = None
        for index, image in enumerate(images):
            if stream is None:
                stream = _add_stream(container, image.shape)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts, frame.time_base = index, 1 / _VIDEO_RATE
            _mux(container, stream, stream.encode(frame.reformat(format="yuv420p")))
        if stream is not None:
            _mux(container, stream, stream.encode(None))
    return path


def _add_stream(container: av.container.OutputContainer, shape: tuple[int, ...]) -> av.VideoStream:
    stream = container.add_stream("mpeg2video", rate=_VIDEO_RATE)
    stream.height, stream.width = shape[:2]
    stream.pix_fmt, stream.bit_rate = "yuv420p", 6_000_000  # a DVD's usual rate
    stream.codec_context.options = {"maxrate": "9000k", "bufsize": "1835k", "g": "15", "bf": "0"}
    return stream


def _mux(container: av.container.OutputContainer, stream: av.VideoStream, packets: list[av.Packet]) -> None:
    for coded in packets:
        index = coded.pts  # the picture's number: the encoder keeps the frames' pts
        cycle, slot = divmod(index, len(_FLAGS))
        flagged = av.Packet(set_pulldown_flags(bytes(coded), *_FLAGS[slot]))
        flagged.stream, flagged.time_base = stream, _FIELD_TIME_BASE
        flagged.pts = flagged.dts = 10 * cycle + _FIELD_STARTS[slot]
        flagged.is_keyframe = coded.is_keyframe
        container.mux(flagged)


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
