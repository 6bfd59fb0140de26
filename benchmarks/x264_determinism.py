"""Does libx264 (as PyAV ships it) give the same bitstream for the same frames every time? With and without mb-tree.

    python benchmarks/x264_determinism.py [--runs 6] [--clip ../shared/data/jjk_fight_a.mp4]

Encodes the first 24 frames of a clip (the synthetic cartoon when no clip is given), resized to several sizes, `runs`
times each in one process, with other allocations between runs (as a long job has), and counts the distinct
bitstreams: 1 means deterministic. Prints a markdown table with the command, machine and date.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import platform
import shlex
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tooncrafter_batch.synthetic import CartoonSpec, render_frame
from tooncrafter_batch.video.colour import rgb_to_planar_yuv
from tooncrafter_batch.video.decode import open_video

SIZES = [(96, 64), (160, 96), (192, 128), (320, 96), (320, 180), (480, 270), (640, 360), (720, 480), (1280, 720)]


def source_frames(clip: Path | None) -> list[np.ndarray]:
    if clip is None:
        spec = CartoonSpec(width=640, height=360, num_frames=24, frame_rate=Fraction(24))
        return [render_frame(spec, Fraction(index, 24)) for index in range(24)]
    frames = []
    for frame in open_video(clip).frames():
        frames.append(frame.image)
        if len(frames) == 24:
            break
    return frames


def encode(frames: list[np.ndarray], mbtree: bool, seed: int) -> str:
    """The md5 of the packets of one libx264 encode (crf 18, preset medium, as our encoder's defaults)."""
    height, width = frames[0].shape[:2]
    clutter = np.random.default_rng(seed).integers(0, 255, 100_000 * (seed % 5 + 1), np.uint8)  # noqa: F841
    digest = hashlib.md5()
    with av.open(io.BytesIO(), "w", format="matroska") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.options = {"crf": "18", "preset": "medium", "x264-params": f"mbtree={int(mbtree)}"}
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb_to_planar_yuv(image, "yuv420p", 2, False), format="yuv420p")
            frame.pts = index
            for packet in stream.encode(frame):
                digest.update(bytes(packet))
        for packet in stream.encode(None):
            digest.update(bytes(packet))
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--clip", type=Path)
    args = parser.parse_args()
    frames = source_frames(args.clip)
    print(f"Command: `{shlex.join(['python', *sys.argv])}`  \nMachine: {platform.machine()}, {platform.processor() or '?'}"
          f", PyAV {av.__version__} (libavcodec {'.'.join(map(str, av.library_versions['libavcodec']))})  \n"
          f"Date: {datetime.date.today().isoformat()}\n")
    print("| size | distinct bitstreams, mb-tree on | mb-tree off |\n| --- | --- | --- |")
    for width, height in SIZES:
        resized = [cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA) for image in frames]
        counts = [len({encode(resized, mbtree, seed) for seed in range(args.runs)}) for mbtree in (True, False)]
        print(f"| {width}x{height} | {counts[0]} of {args.runs} | {counts[1]} of {args.runs} |", flush=True)


if __name__ == "__main__":
    main()
