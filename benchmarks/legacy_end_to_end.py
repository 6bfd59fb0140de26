"""Legacy sources end to end (issue 19): `upscale-fps --factor 2` on telecined copies against the progressive original.

For each clip, its frames scaled to 720x480 (as in legacy_sources.py: film at 24000/1001) are the truth F. Every
other frame of F is the input, film at 24000/1001, so F's odd frames are the true in-betweens of a 2x run. The input
is written as MPEG-2 at ~6 Mb/s three ways: progressive, hard-telecined (3:2, coded interlaced top field first) and
soft-telecined (repeat-field flags, `video.soft_telecine`). `upscale-fps --factor 2` (default backend, PNG output)
runs on the progressive copy, on both telecined copies with `--source auto`, and on the hard-telecined copy with
`--source progressive` (the frames as decoded, at 30000/1001: what users get without the stage); and on a
blend-converted copy (libavfilter `framerate` to 30000/1001, one frame in five a mix) with `--source auto` (blends
dropped) and `--source progressive` (blends left).

Scores, PSNR against F: output frame j at time t is compared with F's frame at t (exact for restored runs at
48000/1001); for runs whose frames lie on a 60000/1001 grid, with F's frame nearest t.
"in-betweens" are the outputs at F's odd frames (restored runs only); "all" every output frame; "moving" the output
frames whose truth frame is not inside a still hold (it differs from a neighbour).

Run: nice -n 10 .venv/bin/python benchmarks/legacy_end_to_end.py [--clips onepiece_demo.mp4 ...] [--json PATH]
Needs ../shared/data; no ffmpeg program.
"""

from __future__ import annotations

import json
import shutil
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
from legacy_sources import DATA, NTSC_VIDEO, psnr, run_benchmark, scaled_original, write_mpeg2

from tooncrafter_batch.conditioning import SourceMode
from tooncrafter_batch.pipeline import Upscaler, UpscaleSettings
from tooncrafter_batch.planning.source import luma
from tooncrafter_batch.planning.timing import TimingSettings
from tooncrafter_batch.video.decode import open_video
from tooncrafter_batch.video.legacy import NTSC_FILM, blend_convert, telecine

TRUTH_RATE = 2 * NTSC_FILM  # F's rate once every other frame is the input at NTSC_FILM


def run(path: Path, output: Path, source: SourceMode) -> tuple[list[np.ndarray], Fraction, float, str]:
    """upscale-fps --factor 2 into numbered PNGs: (frames, output rate, seconds, the source line)."""
    settings = UpscaleSettings(timing=TimingSettings(factor=2), source=source, overwrite=True, report=False)
    shutil.rmtree(output, ignore_errors=True)  # no frames of an earlier, stopped run
    output.mkdir(parents=True)
    started = time.monotonic()
    result = Upscaler(settings).run(path, output)
    seconds = time.monotonic() - started
    frames = [frame.image for frame in open_video(output, input_fps=result.output_rate).frames()]
    return frames, result.output_rate, seconds, result.source


def moving_frames(truth: list[np.ndarray]) -> set[int]:
    """Truth frames that differ from a neighbour (mean |luma| > 0.5): not inside a still hold."""
    changes = [float(np.abs(luma(first) - luma(second)).mean()) > 0.5 for first, second in zip(truth, truth[1:])]
    return {index for index in range(len(truth))
            if (index > 0 and changes[index - 1]) or (index < len(changes) and changes[index])}


def score(frames: list[np.ndarray], rate: Fraction, truth: list[np.ndarray], moving: set[int]) -> dict:
    """PSNR of every output frame against the truth at (or nearest) its time; in-betweens where times match;
    "moving": the frames whose truth is not inside a still hold."""
    every, inbetweens, in_motion = [], [], []
    for index, image in enumerate(frames):
        position = index * TRUTH_RATE / rate  # in truth frames
        nearest = min(round(position), len(truth) - 1)
        value = psnr(image, truth[nearest])
        every.append(value)
        if nearest in moving:
            in_motion.append(value)
        if position == nearest and nearest % 2:
            inbetweens.append(value)
    return {"frames": len(frames), "all_db": _mean(every), "moving_db": _mean(in_motion),
            "num_moving": len(in_motion), "inbetween_db": _mean(inbetweens), "num_inbetweens": len(inbetweens)}


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def run_clip(name: str, work: Path) -> dict:
    truth = scaled_original(DATA / name)
    pictures = truth[0::2]
    stem = Path(name).stem
    copies = {"progressive": write_mpeg2(work / f"{stem}_half_progressive.mpg", pictures, NTSC_FILM, "progressive"),
              "hard": write_mpeg2(work / f"{stem}_half_telecined.mpg", telecine(pictures), NTSC_VIDEO, "interlaced"),
              "soft": write_mpeg2(work / f"{stem}_half_soft.mpg", pictures, NTSC_FILM, "soft-telecine"),
              "blended": write_mpeg2(work / f"{stem}_half_blended.mpg", (image for _, image in blend_convert(
                  pictures, NTSC_FILM, NTSC_VIDEO)), NTSC_VIDEO, "progressive")}
    runs = {"progressive original": (copies["progressive"], SourceMode.auto),
            "hard telecine, --source auto": (copies["hard"], SourceMode.auto),
            "soft telecine, --source auto": (copies["soft"], SourceMode.auto),
            "hard telecine, --source progressive": (copies["hard"], SourceMode.progressive),
            "blended, --source auto": (copies["blended"], SourceMode.auto),
            "blended, --source progressive": (copies["blended"], SourceMode.progressive)}
    results, moving = {}, moving_frames(truth)
    for label, (path, source) in runs.items():
        frames, rate, seconds, line = run(path, work / f"{stem}_{label.split(',')[0].replace(' ', '_')}_"
                                                   f"{source.value}_out/", source)
        results[label] = {**score(frames, rate, truth, moving), "rate": str(rate), "seconds": seconds, "source": line}
        print(f"  {name} {label}: {json.dumps(results[label])}", flush=True)
    return {"clip": name, "truth_frames": len(truth), "runs": results}


def main() -> None:
    run_benchmark(run_clip, __doc__, Path("/tmp/legacy_e2e"))


if __name__ == "__main__":
    main()
