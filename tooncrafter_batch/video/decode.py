"""Open an input and stream its frames (RGB uint8) with their presentation times, in bounded memory.

Frames are returned in the coded orientation; the rotation of the display matrix is reported in
`VideoInfo.rotation` and written back by the encoder, so players show the output as they showed the input.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import av
import numpy as np

from ..datatypes import Frame, VideoInfo
from ..errors import DecodeError, InputError, SettingsError
from .image_folder import ImageFolderSource, open_image_folder

# Demuxers that read a single picture: such an input is an image, not a video.
_IMAGE_DEMUXERS = ("image2", "image2pipe")
_RATE_TOLERANCE = Fraction(1, 10**6)  # relative; Matroska's nanosecond frame durations are closer than this


class VideoSource:
    """An opened video file: `info` is known before any frame is read; `frames()` decodes (again) from the start.

    After `frames()` has run to its end, `num_good_frames` counts the frames it gave and `was_truncated` says
    whether it stopped early at a break in the data (only possible with `allow_partial`).
    """

    def __init__(self, path: Path, info: VideoInfo, allow_partial: bool, expected: tuple[int | None, Fraction | None]):
        self.path = path
        self.info = info
        self.allow_partial = allow_partial
        self.num_good_frames = 0
        self.was_truncated = False
        self.break_time: Fraction | None = None
        self._expected_frames, self._expected_end = expected

    def frames(self, pixels: Callable[[av.VideoFrame], np.ndarray] | None = None) -> Iterator[Frame]:
        """Decode every frame in presentation order; raise DecodeError where the data breaks (see `allow_partial`).

        Frames are RGB (`owned_rgb`) unless `pixels` says otherwise (`video.fields.field_yuv` for inverse telecine).
        """
        pixels = pixels or owned_rgb
        self.num_good_frames, self.was_truncated, self.break_time = 0, False, None
        with av.open(str(self.path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            start_pts = stream.start_time or 0
            end = Fraction(0)
            try:
                for packet in container.demux(stream):
                    for decoded in packet.decode():
                        time = self._frame_time(decoded, start_pts, end)
                        yield Frame(self.num_good_frames, time, pixels(decoded))
                        self.num_good_frames += 1
                        end = time + 1 / self.info.frame_rate
            except av.FFmpegError as error:
                self._stop(end, f"libav says: {error.strerror or error}")
                return
        self._check_complete(end)

    def _frame_time(self, decoded: av.VideoFrame, start_pts: int, end: Fraction) -> Fraction:
        if decoded.pts is None:  # no timestamp: the frame follows the previous one
            return end
        return (decoded.pts - start_pts) * self.info.time_base

    def _check_complete(self, end: Fraction) -> None:
        """A stream that ends (without an error) well before its declared length was cut off.

        The declared duration decides when there is one; the frame count only otherwise (MP4 edit lists can hide
        counted frames). Two frames of slack absorb rounding and a dropped last frame.
        """
        if self._expected_end is not None:
            if end < self._expected_end - 2 / self.info.frame_rate:
                self._stop(end, f"the data ends before the declared length ({float(self._expected_end):.3f} s)")
        elif self._expected_frames is not None and self.num_good_frames < self._expected_frames - 2:
            self._stop(end, f"the data ends before the declared {self._expected_frames} frames")

    def _stop(self, end: Fraction, reason: str) -> None:
        if not self.allow_partial:
            raise DecodeError(
                f"{self.path} stops decoding at {float(end):.3f} s (after {self.num_good_frames} good frames): "
                f"{reason}; the file is truncated or corrupt: repair or re-encode it, or pass --allow-partial "
                f"to use the frames before the break")
        self.was_truncated, self.break_time = True, end


def owned_rgb(decoded: av.VideoFrame) -> np.ndarray:
    """The frame as an RGB uint8 array that owns its memory.

    PyAV's `to_ndarray` returns a view into a libav frame buffer (the decoder's own when no conversion is needed).
    Frames cross thread and actor boundaries and are held for timing and scene decisions, so each one gets a copy
    that no decoder, pool or reformatter can reuse.
    """
    return np.array(decoded.to_ndarray(format="rgb24"), copy=True)


def open_video(path: Path, input_fps: Fraction | None = None, allow_partial: bool = False
               ) -> VideoSource | ImageFolderSource:
    """Open a video file, or a folder of numbered PNGs shown at `input_fps`; check it has decodable frames."""
    path = Path(path)
    if path.is_dir():
        return open_image_folder(path, input_fps, allow_partial)
    if input_fps is not None:
        raise SettingsError(f"--input-fps is only for a folder of PNGs; {path} is a file, whose own rate is used")
    _check_file(path)
    info, expected = _probe(path)
    return VideoSource(path, info, allow_partial, expected)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"input {path} does not exist; check the path")
    if not path.is_file():
        raise InputError(f"input {path} is not a file or a folder of PNGs")
    if path.stat().st_size == 0:
        raise InputError(f"input {path} is empty (0 bytes); nothing to decode")


def _probe(path: Path) -> tuple[VideoInfo, tuple[int | None, Fraction | None]]:
    """Read the stream description and decode the first frame (for pixel format, colours and rotation)."""
    try:
        container = av.open(str(path))
    except av.FFmpegError as error:
        raise InputError(f"{path} is not a readable video ({error.strerror or error}); "
                         f"give a video file (mp4, mkv, mov...) or a folder of PNGs") from None
    with container:
        if container.format.name in _IMAGE_DEMUXERS or container.format.name.endswith("_pipe"):
            raise InputError(f"{path} is a still image; give a video, or a folder of numbered PNGs with --input-fps")
        if not container.streams.video:
            raise InputError(f"{path} has no video stream (only {_stream_kinds(container)}); give a video file")
        stream = container.streams.video[0]
        first = _first_frame(path, container, stream)
        if not (stream.average_rate or stream.guessed_rate):
            raise InputError(f"{path} declares no frame rate; re-mux it with a rate set")
        frame_rate = _exact_rate(Fraction(stream.average_rate or stream.guessed_rate))
        duration = _duration(container, stream)
        estimate = round(duration * frame_rate) if duration is not None else None
        info = VideoInfo(
            width=first.width, height=first.height, frame_rate=frame_rate, time_base=Fraction(stream.time_base),
            num_frames=stream.frames or estimate, duration=duration, pix_fmt=first.format.name,
            codec=stream.codec_context.name, rotation=_normalised(first.rotation), color=_colour(first),
            has_audio=bool(container.streams.audio), sample_aspect_ratio=_aspect(stream))
        return info, (stream.frames or None, _video_duration(stream))


def _first_frame(path: Path, container: av.container.InputContainer, stream: av.VideoStream) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as error:
        raise InputError(f"{path} has no decodable video frame ({error.strerror or error}); the data is corrupt"
                         ) from None
    raise InputError(f"{path} has a video stream without frames (zero-length or corrupt); nothing to upscale")


def _exact_rate(rate: Fraction) -> Fraction:
    """Undo the rounding of containers that store a frame duration, not a rate (Matroska: nanoseconds).

    96000/1001 comes back from Matroska as 7001/73; a rate within a millionth of N or N*1000/1001 is that rate.
    """
    for exact in (Fraction(round(rate)), Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)):
        if exact and abs(rate - exact) <= rate * _RATE_TOLERANCE:
            return exact
    return rate


def _video_duration(stream: av.VideoStream) -> Fraction | None:
    """The video stream's own length: from its header, or the DURATION tag Matroska writers add per stream.

    The tag holds the stream's end time, counted from the file's start: the stream's start time is taken off.
    """
    if stream.duration is not None and stream.time_base is not None:
        return stream.duration * Fraction(stream.time_base)
    tag = stream.metadata.get("DURATION")
    if tag:
        hours, minutes, seconds = tag.split(":")
        start = (stream.start_time or 0) * Fraction(stream.time_base)
        return int(hours) * 3600 + int(minutes) * 60 + Fraction(seconds) - start
    return None


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> Fraction | None:
    own = _video_duration(stream)
    if own is not None:
        return own
    return Fraction(container.duration, av.time_base) if container.duration else None


def _normalised(degrees: int) -> int:
    """An angle in (-180, 180]: libav reports a half turn as -180, the encoder is given 180."""
    return (degrees + 179) % 360 - 179


def _colour(frame: av.VideoFrame) -> dict:
    return {"color_range": frame.color_range, "colorspace": frame.colorspace,
            "color_primaries": frame.color_primaries, "color_trc": frame.color_trc}


def _aspect(stream: av.VideoStream) -> Fraction | None:
    ratio = stream.sample_aspect_ratio
    return Fraction(ratio) if ratio else None


def _stream_kinds(container: av.container.InputContainer) -> str:
    kinds = sorted({stream.type for stream in container.streams})
    return ", ".join(kinds) if kinds else "no streams"
