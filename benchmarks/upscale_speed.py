"""Speed and memory of `toonbatch upscale-fps --factor 4` on a synthetic 640x360 clip, against ffmpeg minterpolate.

    .venv/bin/python benchmarks/upscale_speed.py [--frames 96] [--backend flow] [--workers N] [--input FILE]
        [--extra '--scale 0.5']

Each contender runs as its own process (so peak memory is its own): `toonbatch upscale-fps` and, when an ffmpeg
binary is installed, `ffmpeg -vf minterpolate=...mci...` on the same input in the same run. Prints a markdown table
row per contender: output frames per second, wall seconds, peak resident memory, and the speed ratio to ffmpeg.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
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
from tooncrafter_batch.video.decode import open_video

MINTERPOLATE = "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1:scd=fdiff"


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, children included) and peak resident memory (MiB, sampled every
    20 ms). CPU seconds are the fairer measure on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--backend", default="flow")
    parser.add_argument("--workers", type=int, default=None, help="default: toonbatch's own choice")
    parser.add_argument("--input", type=Path, help="benchmark this file instead of a synthetic clip")
    parser.add_argument("--extra", default="", help="more toonbatch options, one string (e.g. '--scale 0.5')")
    args = parser.parse_args()
    rate = Fraction(24000, 1001)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = args.input or write_cartoon(folder / "bench.mp4", CartoonSpec(640, 360, args.frames, rate, seed=7))
        video = open_video(source)
        rate = video.info.frame_rate
        frames_in = sum(1 for _ in video.frames())
        frames_out = 4 * frames_in
        toonbatch = Path(sys.executable).parent / "toonbatch"
        rows = []
        workers = [] if args.workers is None else ["--workers", str(args.workers)]
        seconds, cpu, peak = timed([str(toonbatch), "upscale-fps", str(source), "--factor", "4", "--backend", args.backend,
                                    *workers, *shlex.split(args.extra), "--dedupe", "off", "--quiet", "-o",
                                    str(folder / "a.mp4")])
        rows.append((f"toonbatch {args.backend} {args.extra} x4 (workers {args.workers or 'default'})".replace("  ", " "),
                     seconds, cpu, peak))
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg:
            seconds_ff, cpu_ff, peak_ff = timed([ffmpeg, "-y", "-i", str(source), "-vf", MINTERPOLATE.format(fps=f"4*{rate}"),
                                         "-c:v", "libx264", "-crf", "18", str(folder / "b.mp4")])
            rows.append(("ffmpeg minterpolate mci x4", seconds_ff, cpu_ff, peak_ff))
    reference = rows[-1] if ffmpeg else None
    print(f"{date.today()} | {platform.machine()}, {os.cpu_count()} cores | {source.name}: {frames_in} frames "
          f"{video.info.width}x{video.info.height} -> {frames_out}")
    print("| contender | wall s | CPU s | output fps | peak RSS MiB | speed vs mci (wall) | (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for name, seconds, cpu, peak in rows:
        wall_ratio = f"{reference[1] / seconds:.2f}x" if reference else "n/a"
        cpu_ratio = f"{reference[2] / cpu:.2f}x" if reference else "n/a"
        print(f"| {name} | {seconds:.1f} | {cpu:.1f} | {frames_out / seconds:.1f} | {peak:.0f} | {wall_ratio} | {cpu_ratio} |")


if __name__ == "__main__":
    main()
