"""ffmpeg's minterpolate on the same cases as our backends, exactly as BASELINE.md ran it (`--vs-ffmpeg`).

The keyframes of the cases are strung into chains (consecutive keyframes of a chain are the two ends of a case),
each chain goes into one ffmpeg process as raw rgb24 at 1/factor of the clip's rate, minterpolate rebuilds the
clip's rate, and raw rgb24 comes back. What we learned reproducing BASELINE.md:
- minterpolate works in yuv444p, so ffmpeg converts rgb24 in and out around it; that round trip is part of its score.
- minterpolate emits nothing after the last input frame's predecessor, so each chain ends with a repeated frame.
- `dup` at exactly t = 0.5 shows the earlier frame.
- The round trip alone costs an exact copy about 7 dB (60 -> ~53 dB on onepiece_demo): on held frames our lossless
  backends score above ffmpeg for that reason only. `through_yuv444p` applies the same round trip (bit-exact with
  ffmpeg 5.1) so that our blend and duplicate can be checked against BASELINE.md's rows.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

import av
import numpy as np

from ..errors import BackendError
from ..video.decode import owned_rgb
from .protocols import Case, Clip

FFMPEG_FILTERS = {
    "mci": "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1:scd=fdiff",
    "ffmpeg_blend": "minterpolate=fps={fps}:mi_mode=blend:scd=none",
    "ffmpeg_dup": "minterpolate=fps={fps}:mi_mode=dup",
}
FFMPEG_METHODS = tuple(FFMPEG_FILTERS)
MAX_FACTOR = 64


def require_ffmpeg() -> str:
    """The path of the installed `ffmpeg` binary; a BackendError saying how to get one if there is none."""
    path = shutil.which("ffmpeg")
    if path is None:
        raise BackendError("--vs-ffmpeg needs the ffmpeg program, which is not on PATH; install it "
                           "(e.g. apt-get install ffmpeg) or leave out --vs-ffmpeg")
    return path


def through_yuv444p(frame: np.ndarray) -> np.ndarray:
    """An RGB uint8 frame after ffmpeg's rgb24 -> yuv444p -> rgb24 conversions around minterpolate."""
    return owned_rgb(av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv444p"))


def keyframe_chains(cases: Sequence[Case]) -> list[list[int]]:
    """Frame-index chains in which the two keyframes of every case follow each other directly."""
    chains: list[list[int]] = []
    open_ends: dict[int, list[int]] = {}
    seen = set()
    for case in sorted(cases, key=lambda c: (c.left, c.right)):
        if (case.left, case.right) in seen:
            continue
        seen.add((case.left, case.right))
        chain = open_ends.pop(case.left, None)
        if chain is None:
            chain = [case.left]
            chains.append(chain)
        chain.append(case.right)
        open_ends[case.right] = chain
    return chains


def sampling_factor(cases: Sequence[Case]) -> int:
    """The smallest N for which every case position is a multiple of 1/N."""
    for factor in range(2, MAX_FACTOR + 1):
        if all(abs(case.position * factor - round(case.position * factor)) < 1e-6 for case in cases):
            return factor
    raise BackendError(f"ffmpeg can only rebuild positions on a grid of at most 1/{MAX_FACTOR}")


def predict_with_ffmpeg(method: str, clip: Clip, cases: Sequence[Case]) -> Iterator[np.ndarray]:
    """ffmpeg `method`'s prediction for each case, in case order."""
    if not cases:
        return
    factor = sampling_factor(cases)
    predictions: dict[tuple[int, int, int], np.ndarray] = {}
    wanted = {(case.left, case.right, round(case.position * factor)) for case in cases}
    for chain in keyframe_chains(cases):
        output = run_minterpolate(method, [clip.frames[i] for i in chain], clip, factor)
        for step, (left, right) in enumerate(zip(chain, chain[1:])):
            for offset in range(1, factor):
                if (left, right, offset) in wanted:
                    predictions[(left, right, offset)] = output[step * factor + offset]
    for case in cases:
        yield predictions[(case.left, case.right, round(case.position * factor))]


def run_minterpolate(method: str, keyframes: Sequence[np.ndarray], clip: Clip, factor: int) -> list[np.ndarray]:
    """Run one ffmpeg process: `keyframes` at rate R/factor in, minterpolate `method` to rate R, rgb24 out.

    Returns the output frames; output `k * factor + j` lies `j / factor` of the way from keyframe k to k + 1.
    """
    height, width = keyframes[0].shape[:2]
    output_rate = clip.frame_rate
    input_rate = output_rate / factor
    with tempfile.TemporaryDirectory(prefix="toonbatch-ffmpeg-") as folder:
        source = Path(folder) / "keyframes.rgb"
        with open(source, "wb") as stream:
            for frame in [*keyframes, keyframes[-1]]:  # the repeat lets minterpolate emit the last in-betweens
                stream.write(np.ascontiguousarray(frame).tobytes())
        command = [
            require_ffmpeg(), "-nostdin", "-v", "error",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
            "-framerate", f"{input_rate.numerator}/{input_rate.denominator}", "-i", str(source),
            "-vf", FFMPEG_FILTERS[method].format(fps=f"{output_rate.numerator}/{output_rate.denominator}"),
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
        ]
        finished = subprocess.run(command, capture_output=True, check=False)
    if finished.returncode != 0:
        raise BackendError(f"ffmpeg {method} failed: {finished.stderr.decode(errors='replace').strip()[-400:]}")
    frames = np.frombuffer(finished.stdout, np.uint8).reshape(-1, height, width, 3)  # (n, h, w, 3)
    needed = (len(keyframes) - 1) * factor
    if len(frames) < needed:
        raise BackendError(f"ffmpeg {method} returned {len(frames)} frames for {len(keyframes)} keyframes; "
                           f"expected at least {needed}")
    return list(frames)
