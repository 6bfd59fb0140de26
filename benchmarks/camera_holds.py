"""Characters drawn on twos/threes under a camera moving on ones: `--dedupe off|auto|camera` against exact truth.

    .venv/bin/python benchmarks/camera_holds.py [--frames 48] [--factor 2]

Renders synthetic cartoons (320x180, 24 fps) whose characters are held on twos, threes or a 1-2-3 mix while the
camera pans at several speeds or shakes (every frame), upscales each with the flow backend and each dedupe mode, and scores
the output frames against the same scene rendered on ones at the output times (the motion an animator would want:
characters and camera both moving on every frame). Frames after the last drawing's start are left out (nothing to
move toward there). Prints a markdown table of mean PSNR and how many keyframes each mode used.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from tooncrafter_batch.evaluation.metrics import psnr
from tooncrafter_batch.pipeline import UpscaleSettings, Upscaler
from tooncrafter_batch.synthetic import CartoonSpec, drawing_starts, render_frame, render_frames
from tooncrafter_batch.planning.timing import DedupeMode, TimingSettings

# (hold pattern, pan px/s, shake px)
CASES = [((2,), 0.0, 0.0), ((2,), 24.0, 0.0), ((2,), 48.0, 0.0), ((2,), 120.0, 0.0), ((3,), 48.0, 0.0),
         ((1, 2, 3), 48.0, 0.0), ((2,), -60.0, 0.0), ((2,), 0.0, 4.0), ((2,), 48.0, 3.0)]
MODES = (DedupeMode.off, DedupeMode.auto, DedupeMode.camera)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--factor", type=int, default=2)
    args = parser.parse_args()
    print("| holds | pan px/s | shake px | " + " | ".join(f"{mode.value} PSNR" for mode in MODES) + " | camera - auto |")
    print("|---|---|---|" + "---|" * (len(MODES) + 1))
    gains = []
    for hold_pattern, pan, shake in CASES:
        spec = CartoonSpec(width=320, height=180, num_frames=args.frames, hold_pattern=hold_pattern, camera_pan=pan,
                           camera_shake=shake, with_audio=False)
        scores = score_modes(spec, args.factor)
        gains.append(scores[DedupeMode.camera] - scores[DedupeMode.auto])
        print(f"| {'-'.join(map(str, hold_pattern))} | {pan:g} | {shake:g} | "
              + " | ".join(f"{scores[mode]:.2f}" for mode in MODES) + f" | {gains[-1]:+.2f} |", flush=True)
    print(f"\nmean camera - auto: {np.mean(gains):+.2f} dB")


def score_modes(spec: CartoonSpec, factor: int) -> dict[DedupeMode, float]:
    smooth = replace(spec, hold_pattern=())
    last_drawing = drawing_starts(spec)[-1]
    rate = Fraction(spec.frame_rate)
    scores = {}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in"
        source.mkdir()
        for index, frame in enumerate(render_frames(spec)):
            cv2.imwrite(str(source / f"{index:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        for mode in MODES:
            output = Path(folder) / mode.value
            output.mkdir()
            settings = UpscaleSettings(TimingSettings(factor=factor, dedupe=mode), input_fps=rate)
            Upscaler(settings).run(source, output)
            frames = sorted(output.glob("*.png"))[: last_drawing * factor]
            scores[mode] = float(np.mean([
                psnr(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB),
                     render_frame(smooth, Fraction(index, factor) / rate))
                for index, path in enumerate(frames)]))
    return scores


if __name__ == "__main__":
    main()
