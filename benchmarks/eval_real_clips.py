"""Quality on the real clips of ../shared/data: every clip of clips.json under every protocol of BASELINE.md.

    python benchmarks/eval_real_clips.py [--backend flow --backend blend ...] [--clips a,b] [--no-ffmpeg]
        [--check-harness] [--output report.md]

Writes markdown: the command, the machine, the date, and one table (per clip and frame-weighted overall) of PSNR /
SSIM / line-art chamfer distance for each backend and, when the ffmpeg program is installed, minterpolate's mci,
blend and dup run on the same frames. `--check-harness` adds the check that our harness reproduces BASELINE.md: its
ffmpeg blend/dup rows, and our own blend/duplicate backends seen through ffmpeg's yuv444p round trip, must land
within 0.2 dB of BASELINE.md's blend and dup PSNR (overall and motion frames) on every clip.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import sys
from fractions import Fraction
from pathlib import Path

from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.backends.registry import build_backend
from tooncrafter_batch.evaluation.ffmpeg_baseline import through_yuv444p
from tooncrafter_batch.evaluation.protocols import Protocol, ProtocolKind, build_cases, load_clip
from tooncrafter_batch.evaluation.report import markdown_table
from tooncrafter_batch.evaluation.runner import (EvaluationSettings, ProtocolResult, combine, evaluate_clip,
                                                 predict_with_backend, score_method)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TOLERANCE_DB = 0.2
BASELINE_COLUMNS = {"mci": 3, "ffmpeg_blend": 4, "ffmpeg_dup": 5}  # overall "PSNR / SSIM"; motion PSNR is 3 later


def clip_protocols(entry: dict) -> tuple[Protocol, ...]:
    subs = [Protocol(ProtocolKind.sub, factor) for factor in (2, 4)] if "sub" in entry["protocols"] else []
    return tuple(subs + ([Protocol(ProtocolKind.uniq)] if "uniq" in entry["protocols"] else []))


def read_baseline(path: Path) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    """BASELINE.md's rows: (clip, protocol) -> method -> (overall PSNR, motion PSNR)."""
    rows = {}
    for line in path.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 10 or not re.fullmatch(r"sub_k\d+|uniq", cells[1]):
            continue
        rows[(cells[0], cells[1])] = {
            method: (float(cells[column].split("/")[0]), float(cells[column + 3]))
            for method, column in BASELINE_COLUMNS.items()
        }
    return rows


def goal_lines(results: list[ProtocolResult], candidate: str, reference: str = "mci") -> list[str]:
    """Issue 5's quality goal, frame-weighted: candidate minus reference on uniq (all frames) and sub (motion)."""
    lines = []
    for protocol in dict.fromkeys(result.protocol.name for result in results):
        combined = combine([result for result in results if result.protocol.name == protocol])
        if candidate not in combined or reference not in combined:
            continue
        which = 0 if protocol == "uniq" else 1  # uniq: every frame; sub_kN: the motion frames
        ours, theirs = combined[candidate][which], combined[reference][which]
        met = ours.psnr - theirs.psnr >= 1.0 and ours.ssim >= theirs.ssim and ours.chamfer < theirs.chamfer
        lines.append(f"- {protocol} ({'all' if which == 0 else 'motion'} frames, n={ours.n}): {candidate} - "
                     f"{reference} = {ours.psnr - theirs.psnr:+.2f} dB PSNR, {ours.ssim - theirs.ssim:+.3f} SSIM, "
                     f"{ours.chamfer - theirs.chamfer:+.2f} px chamfer: {'met' if met else 'NOT met'}")
    return lines


def harness_rows(clip, result: ProtocolResult, baseline: dict) -> list[tuple[str, float, float, float]]:
    """(what, measured, BASELINE.md, difference) for the blend and dup rows of one clip and protocol."""
    expected = baseline[(clip.name, result.protocol.name)]
    cases = build_cases(clip, result.protocol)
    measured = {method.name: method for method in result.methods}
    for ours in ("blend", "duplicate"):
        backend = build_backend(BackendSpec(ours))
        as_ffmpeg_sees = score_method(
            f"{ours} via yuv444p",
            lambda c, k, backend=backend: map(through_yuv444p, predict_with_backend(backend, c, k)), clip, cases)
        measured[as_ffmpeg_sees.name] = as_ffmpeg_sees
    rows = []
    for name, theirs in (("ffmpeg_blend", "ffmpeg_blend"), ("blend via yuv444p", "ffmpeg_blend"),
                         ("ffmpeg_dup", "ffmpeg_dup"), ("duplicate via yuv444p", "ffmpeg_dup")):
        if name not in measured:
            continue
        overall, motion = measured[name].overall().psnr, measured[name].motion().psnr
        for label, value, reference in (("", overall, expected[theirs][0]), (" motion", motion, expected[theirs][1])):
            rows.append((f"{name}{label}", value, reference, value - reference))
    return rows


def harness_table(checks: list[tuple[str, str, list]]) -> str:
    lines = ["| clip | protocol | measured | ours dB | BASELINE.md dB | difference |", "|---|---|---|---|---|---|"]
    worst = 0.0
    for clip, protocol, rows in checks:
        for what, value, reference, difference in rows:
            worst = max(worst, abs(difference))
            lines.append(f"| {clip} | {protocol} | {what} | {value:.2f} | {reference:.2f} | {difference:+.2f} |")
    verdict = "PASS" if worst <= TOLERANCE_DB else "FAIL"
    return "\n".join(lines) + f"\n\nLargest difference: {worst:.2f} dB ({verdict}, tolerance {TOLERANCE_DB} dB).\n"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = names[0] if names else cpu
    return f"{os.cpu_count()} CPU cores (`nproc`), {cpu}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", action="append",
                        help="backend to score (repeat), with options as name:key=value,...; default flow, blend, duplicate")
    parser.add_argument("--protocol", action="append", help="only these protocols (sub_k2, sub_k4, uniq; repeat)")
    parser.add_argument("--clips", default="", help="comma-separated clip names (default: all of clips.json)")
    parser.add_argument("--no-ffmpeg", action="store_true", help="leave out ffmpeg's minterpolate")
    parser.add_argument("--check-harness", action="store_true", help="compare blend/dup with BASELINE.md")
    parser.add_argument("--data", type=Path, default=DATA, help="the folder holding clips.json")
    parser.add_argument("--output", type=Path, help="write the markdown here (default: stdout)")
    args = parser.parse_args()
    use_ffmpeg = not args.no_ffmpeg and shutil.which("ffmpeg") is not None
    backends = tuple(args.backend or ("flow", "blend", "duplicate"))
    wanted = set(filter(None, args.clips.split(",")))
    baseline = read_baseline(args.data / "BASELINE.md") if args.check_harness else {}
    results, checks = [], []
    for entry in json.loads((args.data / "clips.json").read_text()):
        if wanted and entry["name"] not in wanted:
            continue
        path = args.data / entry["path"]
        clip = load_clip(path, Fraction(str(entry["fps"])) if path.is_dir() else None)
        protocols = tuple(p for p in clip_protocols(entry) if not args.protocol or p.name in args.protocol)
        if not protocols:
            continue
        settings = EvaluationSettings(protocols=protocols, backends=backends, vs_ffmpeg=use_ffmpeg)
        for result in evaluate_clip(clip, settings):
            results.append(result)
            if args.check_harness:
                checks.append((clip.name, result.protocol.name, harness_rows(clip, result, baseline)))
            print(f"done: {clip.name} {result.protocol.name}", file=sys.stderr, flush=True)
    report = [f"Command: `{shlex.join(['python', *sys.argv])}`  ",
              f"Machine: {machine()}  ", f"Date: {datetime.date.today().isoformat()}  ",
              f"ffmpeg: {'yes' if use_ffmpeg else 'not installed or left out'}", "", markdown_table(results)]
    goals = goal_lines(results, backends[0])
    if goals:
        report += [f"Goal (>= +1.0 dB PSNR over mci, SSIM not lower, chamfer lower), {backends[0]} vs mci:", "",
                   *goals, ""]
    if args.check_harness:
        report += ["Harness check against BASELINE.md:", "", harness_table(checks)]
    text = "\n".join(report)
    if args.output:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
