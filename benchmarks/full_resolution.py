"""Generative motion at full resolution (issue 15) on the real clips of ../shared/data, with an oracle generator.

    python benchmarks/full_resolution.py [--clips a,b] [--grid 320x512] [--output report.md]

For every `uniq` case (a distinct drawing between its two distinct neighbours), the oracle stands in for
ToonCrafter: it returns the TRUE middle drawing fitted to the model grid (`pad`, as the backend fits keyframes).
Two ways back to the source's size are scored against the truth: `upscaled` (the window cut out of the grid and
resized, what the backend did before) and `full resolution` (`backends/full_resolution.py`: drawn from the
full-size keyframes along the motion to the generated frame). Writes markdown: the command, the machine, the date,
and PSNR / SSIM per clip and frame-weighted overall, the smallest per-frame gain, and the milliseconds per frame of
the full-resolution step.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from eval_real_clips import DATA, machine

from tooncrafter_batch.backends.full_resolution import render_full_resolution
from tooncrafter_batch.evaluation.metrics import psnr, ssim
from tooncrafter_batch.evaluation.protocols import Protocol, ProtocolKind, build_cases, load_clip
from tooncrafter_batch.imaging.grid_fit import FitMode, GridFit

METHODS = ("upscaled", "full resolution")


@dataclass
class ClipScores:
    """Per-method sums of PSNR and SSIM over a clip's cases, and the seconds spent in the full-resolution step."""

    name: str
    size: tuple[int, int]
    window: tuple[int, int]
    frames: int = 0
    psnr: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METHODS, 0.0))
    ssim: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METHODS, 0.0))
    seconds: float = 0.0
    worst_gain: float = float("inf")  # dB, the smallest per-frame gain of full resolution over upscaled


def score_clip(path: Path, frame_rate: Fraction | None, grid: tuple[int, int]) -> ClipScores:
    """Both methods on every uniq case of one clip."""
    clip = load_clip(path, frame_rate)
    fit = GridFit.plan(FitMode.pad, clip.frames[0].shape[:2], grid)
    scores = ClipScores(clip.name, clip.frames[0].shape[:2], fit.scaled_size)
    for case in build_cases(clip, Protocol(ProtocolKind.uniq)):
        start, truth, end = (clip.frames[index] for index in (case.left, case.truth, case.right))
        on_grid = fit.to_grid(truth)  # the oracle: what a perfect generator returns
        began = time.perf_counter()
        drawn = render_full_resolution(start, end, fit.scaled_frame(on_grid, start))
        scores.seconds += time.perf_counter() - began
        frames = (fit.from_grid(on_grid, start), drawn)
        frame_psnr = [psnr(frame, truth) for frame in frames]
        for method, frame, value in zip(METHODS, frames, frame_psnr):
            scores.psnr[method] += value
            scores.ssim[method] += ssim(frame, truth)
        scores.worst_gain = min(scores.worst_gain, frame_psnr[1] - frame_psnr[0])
        scores.frames += 1
    return scores


def table(rows: list[ClipScores]) -> str:
    lines = ["| clip | size -> grid window | frames | upscaled PSNR / SSIM | full resolution PSNR / SSIM | gain (dB) "
             "| worst frame (dB) | ms / frame |", "|---|---|---|---|---|---|---|---|"]
    total = ClipScores("**all (frame-weighted)**", (0, 0), (0, 0))
    for row in rows:
        lines.append(_row(row, f"{row.size[1]}x{row.size[0]} -> {row.window[1]}x{row.window[0]}"))
        total.frames += row.frames
        total.seconds += row.seconds
        total.worst_gain = min(total.worst_gain, row.worst_gain)
        for method in METHODS:
            total.psnr[method] += row.psnr[method]
            total.ssim[method] += row.ssim[method]
    lines.append(_row(total, ""))
    return "\n".join(lines)


def _row(scores: ClipScores, sizes: str) -> str:
    count = max(1, scores.frames)
    cells = [f"{scores.psnr[method] / count:.2f} / {scores.ssim[method] / count:.4f}" for method in METHODS]
    gain = (scores.psnr[METHODS[1]] - scores.psnr[METHODS[0]]) / count
    return (f"| {scores.name} | {sizes} | {scores.frames} | {cells[0]} | {cells[1]} | {gain:+.2f} | "
            f"{scores.worst_gain:+.2f} | {1000 * scores.seconds / count:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", default="", help="comma-separated clip names (default: every clip with uniq)")
    parser.add_argument("--grid", default="320x512", help="the generator's grid, HEIGHTxWIDTH (ToonCrafter: 320x512)")
    parser.add_argument("--data", type=Path, default=DATA, help="the folder holding clips.json")
    parser.add_argument("--output", type=Path, help="write the markdown here too")
    args = parser.parse_args()
    grid = tuple(int(value) for value in args.grid.split("x"))
    wanted = set(filter(None, args.clips.split(",")))
    rows = []
    for entry in json.loads((args.data / "clips.json").read_text()):
        if "uniq" not in entry["protocols"] or (wanted and entry["name"] not in wanted):
            continue
        path = args.data / entry["path"]
        rows.append(score_clip(path, Fraction(str(entry["fps"])) if path.is_dir() else None, grid))
        print(f"done: {entry['name']}", file=sys.stderr, flush=True)
    report = [f"Command: `{shlex.join(['python', *sys.argv])}`  ", f"Machine: {machine()}  ",
              f"Date: {datetime.date.today().isoformat()}", "", table(rows)]
    text = "\n".join(report) + "\n"
    if args.output:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
