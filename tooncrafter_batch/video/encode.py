"""Write frames at an exact rational rate, atomically, keeping the input's look, rotation, audio and subtitles.

Frame j gets pts j in time base 1/frame_rate, so the rate is exact (96000/1001 stays 96000/1001 in MP4/MOV;
Matroska stores times in milliseconds). The file is written as `.<name>.partial-<pid><ext>` beside the final
path and renamed only when complete: a failed or killed run never leaves a broken file under the final name.

Pixel format: the input's when the codec takes it and the size fits its chroma subsampling, else yuv420p, else
(odd width or height, which 4:2:0 cannot hold) yuv444p, so the resolution is always kept exactly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np

from ..datatypes import VideoInfo
from ..errors import OutputError, SettingsError
from .audio import StreamCopier, write_audio
from .colour import rgb_to_planar_yuv
from .image_folder import ImageFolderWriter, check_frame

# Muxer for each output extension; the first group can hold H.264.
MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".avi": "avi", ".flv": "flv",
          ".ts": "mpegts", ".m2ts": "mpegts", ".webm": "webm"}
_H264_CONTAINERS = {".mp4", ".m4v", ".mov", ".mkv", ".avi", ".flv", ".ts", ".m2ts"}
_X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                 "placebo")
_CRF_CODECS = {"libx264": 51, "libx264rgb": 51, "libx265": 51}  # codec -> largest crf
_X264_CODECS = {"libx264", "libx264rgb"}
_FALLBACK_PIX_FMTS = ("yuv420p", "yuv444p")
# libswscale knows these matrices (AVCOL_SPC_*: BT.709, FCC, BT.470BG, SMPTE 170M, SMPTE 240M, BT.2020 NCL).
_SWSCALE_MATRICES = {1, 4, 5, 6, 7, 9}


@dataclass(frozen=True)
class EncoderSettings:
    codec: str = "libx264"
    crf: int = 18  # constant rate factor: lower is better quality and a bigger file
    preset: str = "medium"  # x264/x265 speed preset

    def __post_init__(self):
        try:
            codec = av.codec.Codec(self.codec, "w")
        except av.codec.codec.UnknownCodecError:
            raise SettingsError(f"--codec {self.codec}: no such encoder in this libav; try libx264") from None
        if codec.type != "video":
            raise SettingsError(f"--codec {self.codec} is a {codec.type} codec; give a video codec such as libx264")
        largest = _CRF_CODECS.get(self.codec, 63)
        if not 0 <= self.crf <= largest:
            raise SettingsError(f"--crf must be in 0..{largest} for {self.codec}, got {self.crf}")
        if self.preset not in _X264_PRESETS:
            raise SettingsError(f"--preset {self.preset!r} is not one of {', '.join(_X264_PRESETS)}")

    def codec_options(self) -> dict[str, str]:
        """The libav options: crf and preset for the x264/x265 family, crf alone for other encoders.

        x264's macroblock-tree rate control is turned off: with it, the libx264 in PyAV's wheels (16.1 to 18.1
        seen) gives different bitstreams for the same frames from one run to the next at some sizes (96x64,
        320x180, 720x480 among them; up to 50 levels apart once decoded), and a resumed job must give the same
        frames as an uninterrupted one. Without it, every size tried gave one bitstream (docs/BENCHMARKS.md).
        """
        if self.codec in _X264_CODECS:
            return {"crf": str(self.crf), "preset": self.preset, "x264-params": "mbtree=0"}
        if self.codec in _CRF_CODECS:
            return {"crf": str(self.crf), "preset": self.preset}
        return {"crf": str(self.crf)}


class VideoWriter:
    """Encodes RGB uint8 frames into a video file (a context manager: an exception inside aborts the file)."""

    def __init__(self, path: Path, info: VideoInfo, frame_rate: Fraction,
                 settings: EncoderSettings = EncoderSettings(), audio_from: Path | None = None):
        self.path = Path(path)
        self.warnings: list[str] = []
        self.num_frames = 0
        muxer = _muxer_for(self.path)
        if audio_from is not None and self.path.resolve() == Path(audio_from).resolve():
            raise OutputError(f"output {self.path} is the input itself; choose another output path")
        _check_folder(self.path.parent)
        self._partial = self.path.with_name(f".{self.path.stem}.partial-{os.getpid()}{self.path.suffix}")
        self._frame_rate = Fraction(frame_rate)
        self._size = (info.height, info.width)
        options = {"movflags": "+faststart"} if muxer in ("mp4", "mov") else {}
        options["fflags"] = "+bitexact"  # no random Matroska UIDs or version strings: the same job, the same bytes
        try:
            self._container = av.open(str(self._partial), "w", format=muxer, container_options=options)
        except av.FFmpegError as error:
            raise OutputError(f"cannot create {self._partial} ({error.strerror or error})") from None
        self._copier: StreamCopier | None = None
        try:
            self._stream = self._add_video_stream(info, settings)
            if audio_from is not None:
                self._copier = StreamCopier(Path(audio_from), self._container)
                self.warnings.extend(self._copier.warnings)
        except BaseException:
            self.abort()
            raise

    def _add_video_stream(self, info: VideoInfo, settings: EncoderSettings) -> av.VideoStream:
        try:
            stream = self._container.add_stream(settings.codec, rate=self._frame_rate)
        except ValueError:  # PyAV's way of saying the container cannot hold this codec
            raise SettingsError(f"a {self.path.suffix} file cannot hold {settings.codec} video; choose another "
                                f"--codec or an output ending in .mkv") from None
        stream.width, stream.height = info.width, info.height
        stream.pix_fmt = self._pick_pix_fmt(info, av.codec.Codec(settings.codec, "w"))
        stream.time_base = 1 / self._frame_rate
        stream.codec_context.options = settings.codec_options()
        for name, value in info.color.items():
            setattr(stream.codec_context, name, value)
        if info.sample_aspect_ratio:
            stream.codec_context.sample_aspect_ratio = info.sample_aspect_ratio
        if info.rotation:
            stream.set_display_rotation(info.rotation)
        return stream

    def _pick_pix_fmt(self, info: VideoInfo, codec: av.codec.Codec) -> str:
        supported = [fmt.name for fmt in codec.video_formats or ()]
        fitting = [name for name in (info.pix_fmt, *_FALLBACK_PIX_FMTS, *supported)
                   if name in supported and _fits(name, info.width, info.height)]
        if not fitting:
            raise SettingsError(f"{codec.name} cannot encode a {info.width}x{info.height} picture (its pixel "
                                f"formats need even sizes); choose another --codec such as libx264")
        if fitting[0] != info.pix_fmt and not info.is_image_folder:  # PNGs are RGB: no news in converting them
            self.warnings.append(f"pixel format {info.pix_fmt} cannot be encoded by {codec.name} at "
                                 f"{info.width}x{info.height}; using {fitting[0]}")
        return fitting[0]

    def write(self, image: np.ndarray) -> None:
        """Append one frame (RGB uint8, the input's size); it is shown at time index / frame_rate."""
        check_frame(image, self._size)
        frame = self._to_video_frame(image)
        frame.pts, frame.duration = self.num_frames, 1
        self._container.mux(self._stream.encode(frame))
        self.num_frames += 1
        if self._copier is not None:
            self._copier.copy_until(self.num_frames / self._frame_rate)

    def _to_video_frame(self, image: np.ndarray) -> av.VideoFrame:
        context = self._stream.codec_context
        full_range = context.color_range == 2  # AVCOL_RANGE_JPEG
        planes = rgb_to_planar_yuv(image, context.pix_fmt, context.colorspace, full_range)
        if planes is not None:  # the common case, in a fraction of libswscale's time
            return av.VideoFrame.from_ndarray(planes, format=context.pix_fmt, channel_last=True)
        matrix = context.colorspace if context.colorspace in _SWSCALE_MATRICES else None
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        return frame.reformat(format=context.pix_fmt, dst_colorspace=matrix,
                              dst_color_range=2 if full_range else 1)

    def close(self) -> None:
        """Flush the encoder, mux what is left of the audio, and rename the file to its final name."""
        try:
            self._container.mux(self._stream.encode(None))
            if self._copier is not None:
                self._copier.finish()
            self._container.close()
        except BaseException:
            self.abort()
            raise
        if self.num_frames == 0:
            self.abort()
            raise OutputError(f"no frames were written to {self.path}; nothing to save")
        os.replace(self._partial, self.path)

    def abort(self) -> None:
        """Stop and delete the temporary file; the final path is left untouched."""
        if self._copier is not None:
            self._copier.close()
        try:
            self._container.close()
        except (av.FFmpegError, ValueError):
            pass  # an output that never got its header cannot be closed cleanly; it is deleted anyway
        self._partial.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def open_writer(path: str | Path, info: VideoInfo, frame_rate: Fraction,
                settings: EncoderSettings = EncoderSettings(), audio_from: Path | None = None
                ) -> VideoWriter | ImageFolderWriter:
    """A video writer, or numbered PNGs when `path` is an existing folder or a string ending in '/'."""
    if os.fspath(path).endswith(("/", os.sep)) or Path(path).is_dir():
        return ImageFolderWriter(Path(path), info, audio_dropped=audio_from is not None and info.has_audio)
    return VideoWriter(Path(path), info, frame_rate, settings, audio_from)


def output_container_for(input_path: Path) -> str:
    """The output extension for an input: its own when that container can hold H.264, else '.mkv'."""
    suffix = Path(input_path).suffix.lower()
    return suffix if suffix in _H264_CONTAINERS else ".mkv"


def write_clip(path: Path, frames: Iterable[np.ndarray], frame_rate: Fraction,
               audio: tuple[np.ndarray, int] | None = None, settings: EncoderSettings = EncoderSettings()) -> None:
    """Encode frames (RGB uint8) and optional sound (float32 (channels, n), sample rate) into a video file."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("write_clip needs at least one frame")
    height, width = first.shape[:2]
    info = VideoInfo(width=width, height=height, frame_rate=Fraction(frame_rate), time_base=1 / Fraction(frame_rate),
                     num_frames=None, duration=None)
    sound = Path(path).with_name(f".{Path(path).stem}.sound-{os.getpid()}.m4a") if audio is not None else None
    try:
        if sound is not None:
            write_audio(sound, *audio)
        with VideoWriter(Path(path), info, frame_rate, settings, audio_from=sound) as writer:
            writer.write(first)
            for image in frames:
                writer.write(image)
    finally:
        if sound is not None:
            sound.unlink(missing_ok=True)


def _muxer_for(path: Path) -> str:
    muxer = MUXERS.get(path.suffix.lower())
    if muxer is None:
        raise OutputError(f"output {path}: unknown container {path.suffix!r}; use one of {', '.join(MUXERS)} "
                          f"or a folder ending in '/' for PNGs")
    return muxer


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise OutputError(f"output folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"output folder {folder} is not writable; choose another output with -o")


def _fits(pix_fmt: str, width: int, height: int) -> bool:
    """Whether a picture of this size can be stored in `pix_fmt` (subsampled chroma needs even sizes)."""
    layout = av.VideoFormat(pix_fmt)
    halves_width = layout.chroma_width(2) < 2
    halves_height = layout.chroma_height(2) < 2
    return not (halves_width and width % 2) and not (halves_height and height % 2)
