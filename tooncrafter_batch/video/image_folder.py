"""Folders of numbered PNGs as input (shown at a rate the user gives) and as output (`000000.png`, ...)."""

from __future__ import annotations

import os
import re
import struct
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from ..datatypes import Frame, VideoInfo
from ..errors import DecodeError, InputError, OutputError

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DIGITS = re.compile(r"\d+")


class ImageFolderSource:
    """A folder of numbered PNGs opened as a video: frame i is shown at time i / frame_rate.

    Same interface as `decode.VideoSource`: `info`, `frames()`, and after a run `num_good_frames`,
    `was_truncated` and `break_time`.
    """

    def __init__(self, path: Path, files: list[Path], info: VideoInfo, allow_partial: bool):
        self.path = path
        self.files = files
        self.info = info
        self.allow_partial = allow_partial
        self.num_good_frames = 0
        self.was_truncated = False
        self.break_time: Fraction | None = None

    def frames(self) -> Iterator[Frame]:
        """Read the PNGs in number order as RGB uint8 (alpha is dropped, 16-bit is scaled to 8-bit)."""
        self.num_good_frames, self.was_truncated, self.break_time = 0, False, None
        for index, file in enumerate(self.files):
            time = index / self.info.frame_rate
            image = cv2.imread(str(file), cv2.IMREAD_COLOR)
            if image is None:
                self._stop(file, time)
                return
            yield Frame(index, time, cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            self.num_good_frames += 1

    def _stop(self, file: Path, time: Fraction) -> None:
        if not self.allow_partial:
            raise DecodeError(f"{file} cannot be decoded (frame {self.num_good_frames}, at {float(time):.3f} s); "
                              f"replace it, or pass --allow-partial to use the frames before it")
        self.was_truncated, self.break_time = True, time


def open_image_folder(path: Path, input_fps: Fraction | None, allow_partial: bool = False) -> ImageFolderSource:
    """List a folder's PNGs in number order and check they share one size (read from the headers only)."""
    if input_fps is None:
        raise InputError(f"{path} is a folder of PNGs, which carry no frame rate; pass --input-fps (e.g. 24)")
    if input_fps <= 0:
        raise InputError(f"--input-fps must be positive, got {input_fps}")
    try:
        files = sorted((entry for entry in path.iterdir() if entry.suffix.lower() == ".png"), key=_number_order)
    except OSError as error:
        raise InputError(f"cannot read the folder {path} ({error.strerror}); check its permissions") from None
    if not files:
        raise InputError(f"{path} holds no .png files; give a folder of numbered PNGs (00000.png, 00001.png, ...)")
    width, height = _png_size(files[0])
    for file in files[1:]:
        if _png_size(file) != (width, height):
            raise InputError(f"{file} is {_png_size(file)[0]}x{_png_size(file)[1]} but {files[0].name} is "
                             f"{width}x{height}; all PNGs of a folder must have the same size")
    frame_rate = Fraction(input_fps)
    info = VideoInfo(width=width, height=height, frame_rate=frame_rate, time_base=1 / frame_rate,
                     num_frames=len(files), duration=len(files) / frame_rate, pix_fmt="rgb24", codec="png",
                     is_image_folder=True)
    return ImageFolderSource(path, files, info, allow_partial)


def _number_order(file: Path) -> tuple:
    """Sort `2.png` before `10.png`: by the numbers in the name, then by the name."""
    return tuple(int(number) for number in _DIGITS.findall(file.stem)), file.name


def _png_size(file: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, which the PNG format puts right after the signature."""
    try:
        with open(file, "rb") as handle:
            header = handle.read(24)
    except OSError as error:
        raise InputError(f"cannot read {file} ({error.strerror})") from None
    if len(header) < 24 or not header.startswith(_PNG_SIGNATURE) or header[12:16] != b"IHDR":
        raise InputError(f"{file} is not a PNG image; remove it from the folder or replace it")
    return struct.unpack(">II", header[16:24])


def check_frame(image: np.ndarray, size: tuple[int, int]) -> None:
    """Refuse a frame that is not RGB uint8 of (height, width) `size` (a programming error, not a user's)."""
    if image.shape != (*size, 3) or image.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 frame of shape {(*size, 3)}, got {image.shape} {image.dtype}")


class ImageFolderWriter:
    """Writes frames as `000000.png`, `000001.png`, ... into a folder; same interface as `encode.VideoWriter`.

    Each PNG is written under a temporary name and renamed, so no file under a final name is ever half written.
    """

    def __init__(self, path: Path, info: VideoInfo, audio_dropped: bool):
        self.path = Path(path)
        self.warnings: list[str] = []
        if audio_dropped:
            self.warnings.append(f"output {self.path} is a folder of PNGs: the input's audio is not kept")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create the output folder {self.path} ({error.strerror})") from None
        if not os.access(self.path, os.W_OK):
            raise OutputError(f"output folder {self.path} is not writable; choose another with -o")
        self._size = (info.height, info.width)
        self.num_frames = 0

    def write(self, image: np.ndarray) -> None:
        check_frame(image, self._size)
        final = self.path / f"{self.num_frames:06d}.png"
        partial = self.path / f".{final.stem}.partial-{os.getpid()}.png"
        if not cv2.imwrite(str(partial), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            partial.unlink(missing_ok=True)
            raise OutputError(f"cannot write {partial}; check the free space and permissions of {self.path}")
        os.replace(partial, final)
        self.num_frames += 1

    def close(self) -> None:
        """Nothing is buffered: every PNG is complete once `write` returns."""

    def abort(self) -> None:
        """Keep the PNGs written so far: each is a complete frame."""

    def __enter__(self) -> ImageFolderWriter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.close()
