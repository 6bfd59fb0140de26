"""Speed and memory of `toonbatch upscale-fps --factor 4` on a synthetic 640x360 clip, against ffmpeg minterpolate.

    .venv/bin/python benchmarks/upscale_speed.py [--frames 96] [--backend flow] [--workers 1]

Each contender runs as its own process (so peak memory is its own): `toonbatch upscale-fps` and, when an ffmpeg
binary is installed, `ffmpeg -vf minterpolate=...mci...` on the same input in the same run. Prints a markdown table
row per contender: output frames per second, wall seconds, peak resident memory, and the speed ratio to ffmpeg.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from fractions import Fraction
from pathlib import Path

import psutil

from tooncrafter_batch.synthetic import CartoonSpec, write_cartoon

MINTERPOLATE = "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1:scd=fdiff"


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB, the process and its children, sampled every 20 ms)."""
    started = time.monotonic()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process] + process.children(recursive=True)
            peak = max(peak, sum(member.memory_info().rss for member in tree))
        except psutil.Error:
            pass
        time.sleep(0.02)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    return time.monotonic() - started, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--backend", default="flow")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--input", type=Path, help="benchmark this file instead of a synthetic clip")
    args = parser.parse_args()
    rate = Fraction(24000, 1001)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = args.input or write_cartoon(folder / "bench.mp4", CartoonSpec(640, 360, args.frames, rate, seed=7))
        frames_out = 4 * args.frames
        toonbatch = Path(sys.executable).parent / "toonbatch"
        rows = []
        seconds, peak = timed([str(toonbatch), "upscale-fps", str(source), "--factor", "4", "--backend", args.backend,
                               "--workers", str(args.workers), "--dedupe", "off", "--quiet", "-o", str(folder / "a.mp4")])
        rows.append((f"toonbatch {args.backend} x4 (workers {args.workers})", seconds, peak))
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg:
            seconds_ff, peak_ff = timed([ffmpeg, "-y", "-i", str(source), "-vf", MINTERPOLATE.format(fps=f"4*{rate}"),
                                         "-c:v", "libx264", "-crf", "18", str(folder / "b.mp4")])
            rows.append(("ffmpeg minterpolate mci x4", seconds_ff, peak_ff))
    reference = rows[-1][1] if ffmpeg else None
    print(f"{date.today()} | {platform.processor() or platform.machine()} | {args.frames} frames 640x360 -> {frames_out}")
    print("| contender | wall s | output fps | peak RSS MiB | speed vs ffmpeg mci |")
    print("|---|---|---|---|---|")
    for name, seconds, peak in rows:
        ratio = f"{reference / seconds:.2f}x" if reference else "n/a"
        print(f"| {name} | {seconds:.1f} | {frames_out / seconds:.1f} | {peak:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
