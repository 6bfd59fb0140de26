"""Speed and memory of `toonbatch upscale-fps --factor 4` on a synthetic 640x360 clip, against ffmpeg minterpolate.

    .venv/bin/python benchmarks/upscale_speed.py [--frames 96] [--backend flow] [--workers N] [--input FILE]
        [--extra '--scale 0.5'] [--repeat N] [--before REV]

Each contender runs as its own process (so peak memory is its own): `toonbatch upscale-fps` and, when an ffmpeg
binary is installed, `ffmpeg -vf minterpolate=...mci...` on the same input in the same run. Prints a markdown table
row per contender: output frames per second, wall seconds, peak resident memory, and the speed ratio to ffmpeg.
`--before REV` also runs the package as it was at git revision REV (extracted to a temporary folder, first on the
path), and `--repeat N` runs all contenders N times in turn; each ratio is to ffmpeg's run of the same round, and the
last lines give the median and range of the ratios (the fair comparison on a machine shared with other work).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import shutil
import statistics
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
MINTERPOLATE_NAME = "ffmpeg minterpolate mci x4"


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, children included) and peak resident memory (MiB, sampled every
    20 ms) of `command` (run with `env`, or this environment). CPU seconds are the fairer measure on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
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
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all contenders, in turn")
    parser.add_argument("--before", metavar="REV", help="also run tooncrafter_batch as of this git revision")
    args = parser.parse_args()
    rate = Fraction(24000, 1001)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = args.input or write_cartoon(folder / "bench.mp4", CartoonSpec(640, 360, args.frames, rate, seed=7))
        video = open_video(source)
        rate = video.info.frame_rate
        frames_in = sum(1 for _ in video.frames())
        contenders = _contenders(args, source, rate, folder)
        rounds = [[(name, *timed(command, env)) for name, command, env in contenders] for _ in range(args.repeat)]
    print(f"{date.today()} | {platform.machine()}, {os.cpu_count()} cores | {source.name}: {frames_in} frames "
          f"{video.info.width}x{video.info.height} -> {4 * frames_in}")
    _print_rounds(rounds, 4 * frames_in, has_reference=contenders[-1][0] == MINTERPOLATE_NAME)


def _contenders(args: argparse.Namespace, source: Path, rate: Fraction, folder: Path
                ) -> list[tuple[str, list[str], dict[str, str] | None]]:
    """(name, command, environment or None) of each contender; ffmpeg last, when installed."""
    toonbatch = Path(sys.executable).parent / "toonbatch"
    workers = [] if args.workers is None else ["--workers", str(args.workers)]
    command = [str(toonbatch), "upscale-fps", str(source), "--factor", "4", "--backend", args.backend, *workers,
               *shlex.split(args.extra), "--dedupe", "off", "--quiet", "--overwrite", "-o", str(folder / "a.mp4")]
    name = f"toonbatch {args.backend} {args.extra} x4 (workers {args.workers or 'default'})".replace("  ", " ")
    contenders = [(name, command, None)]
    if args.before:
        package = _extract_package(args.before, folder / "before")
        contenders.insert(0, (f"{name} at {args.before}", command, {**os.environ, "PYTHONPATH": str(package)}))
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        contenders.append((MINTERPOLATE_NAME, [ffmpeg, "-y", "-i", str(source), "-vf",
                                               MINTERPOLATE.format(fps=f"4*{rate}"), "-c:v", "libx264", "-crf",
                                               "18", str(folder / "b.mp4")], None))
    return contenders


def _extract_package(revision: str, folder: Path) -> Path:
    """tooncrafter_batch as of git `revision`, in `folder` (the folder to put first on the path)."""
    folder.mkdir()
    repo = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(repo), "archive", revision, "tooncrafter_batch"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _print_rounds(rounds: list[list[tuple[str, float, float, float]]], frames_out: int, has_reference: bool) -> None:
    print("| round | contender | wall s | CPU s | output fps | peak RSS MiB | speed vs mci (wall) | (CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    ratios: dict[str, list[tuple[float, float]]] = {}
    for number, rows in enumerate(rounds, 1):
        reference = rows[-1] if has_reference else None
        for name, seconds, cpu, peak in rows:
            wall_ratio = f"{reference[1] / seconds:.2f}x" if reference else "n/a"
            cpu_ratio = f"{reference[2] / cpu:.2f}x" if reference else "n/a"
            print(f"| {number} | {name} | {seconds:.1f} | {cpu:.1f} | {frames_out / seconds:.1f} | {peak:.0f} | "
                  f"{wall_ratio} | {cpu_ratio} |")
            if reference and name != MINTERPOLATE_NAME:
                ratios.setdefault(name, []).append((reference[1] / seconds, reference[2] / cpu))
    for name, pairs in ratios.items():
        walls, cpus = sorted(wall for wall, _ in pairs), sorted(cpu for _, cpu in pairs)
        print(f"{name}: speed vs mci over {len(pairs)} rounds, wall median {statistics.median(walls):.2f}x "
              f"(range {walls[0]:.2f}-{walls[-1]:.2f}), CPU median {statistics.median(cpus):.2f}x "
              f"(range {cpus[0]:.2f}-{cpus[-1]:.2f})")


if __name__ == "__main__":
    main()
