"""4:2:0 frames held as YUV whose lines can be woven: each line carries its own field's chroma.

libswscale turns a frame flagged interlaced into RGB one field at a time: each field's lines get colour from that
field's chroma rows only (in interlaced 4:2:0 the chroma rows alternate between the fields, ISO 13818-2 6.1.1.8), so
the picture has half its vertical colour resolution. When two fields of one picture are woven back together
(inverse telecine), their chroma rows together are the picture's whole chroma, and converting the woven picture as
progressive keeps all of it (about 1.5 dB PSNR on DVD-like copies of real clips, see docs/BENCHMARKS.md).

`field_yuv` packs a decoded yuv420p frame into an (h, w, 3) uint8 array: luma, and chroma row k = 2j + f (field f)
on the two frame lines of field f it covers (4j + f and 4j + f + 2), each chroma column twice. Weaving its lines
moves each field's chroma with it; `rgb_of_field_yuv` takes the chroma rows back (exactly, whatever was woven) and
converts the picture as progressive. Frames coded progressive (their chroma rows span both fields) are better
woven as RGB, as the decoder converts them.
"""

from __future__ import annotations

from typing import Callable, Mapping

import av
import numpy as np

from .decode import owned_rgb


def field_yuv(decoded: av.VideoFrame) -> np.ndarray:
    """A decoded yuv420p frame (even width and height a multiple of 4) packed as the module docstring says."""
    luma, *chroma = (np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]
                     for plane in decoded.planes)
    height, width = luma.shape
    packed = np.empty((height, width, 3), np.uint8)
    packed[..., 0] = luma
    lines = np.arange(height)
    rows = 2 * (lines // 4) + lines % 2  # the chroma row of each frame line's field
    for channel, plane in enumerate(chroma, start=1):
        packed[..., channel] = np.repeat(plane[rows], 2, axis=1)
    return packed


def rgb_of_field_yuv(packed: np.ndarray, colour: Mapping[str, int]) -> np.ndarray:
    """RGB uint8 of a (woven) picture packed by `field_yuv`, converted as progressive with the source's `colour`
    (`VideoInfo.color`: its colorspace and color_range)."""
    height, width = packed.shape[:2]
    frame = av.VideoFrame(width, height, "yuv420p")
    frame.colorspace, frame.color_range = colour["colorspace"], colour["color_range"]
    chroma_rows = np.arange(height // 2)
    lines = 4 * (chroma_rows // 2) + chroma_rows % 2  # a frame line of chroma row k's field
    for plane, data in zip(frame.planes, (packed[..., 0], packed[lines, ::2, 1], packed[lines, ::2, 2])):
        padded = np.zeros((plane.height, plane.line_size), np.uint8)
        padded[:, :data.shape[1]] = data
        plane.update(padded.tobytes())
    return np.array(frame.to_ndarray(format="rgb24"), copy=True)


def can_pack(pix_fmt: str, width: int, height: int) -> bool:
    """Whether frames of this format and size can go through `field_yuv`."""
    return pix_fmt == "yuv420p" and width % 2 == 0 and height % 4 == 0


def noting_coding(flags: list[bool]) -> Callable[[av.VideoFrame], np.ndarray]:
    """`owned_rgb` that also appends to `flags` whether each frame was coded interlaced (the decoder's flag)."""
    def pixels(decoded: av.VideoFrame) -> np.ndarray:
        flags.append(bool(decoded.interlaced_frame))
        return owned_rgb(decoded)
    return pixels
