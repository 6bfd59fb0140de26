"""Difficulty-routed runs (issue 15, item 2): does `--backend auto` keep the expensive rung's gain at a fraction of
its cost?

    python benchmarks/routing.py [--cheap flow] [--dear gmfss] [--budget 0.3 --budget 0.1 ...]
        [--clips a,b] [--cases cases.json] [--output report.md]

For every `uniq` case of the chosen clips of ../shared/data/clips.json (a distinct drawing predicted at t = 0.5
from its two distinct neighbours), the cheap and the dear backend each predict the drawing (CPU seconds measured
per case with `time.process_time`, the whole process, all threads), and the router's difficulty score is measured
as the plan stage does (backends/difficulty_flow.py, its CPU seconds too). Then each budget is routed exactly as
`upscale-fps --backend auto --ladder CHEAP,DEAR --budget B` routes a video (planning/routing.py, one router per
clip, pairs in clip order; cases whose keyframes show one drawing stay on the first rung), and scored by picking
each case's prediction from its rung. Rows: PSNR (frame-weighted mean), the share of the dear backend's PSNR gain
over the cheap one that is kept, CPU seconds (predictions + difficulty), speed against all-dear. `oracle` routes the
same number of pairs knowing each pair's true gain (the best any difficulty could do). Also prints each backend's
CPU seconds per in-between per megapixel (planning/routing.py's table).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from tooncrafter_batch.backends.difficulty_flow import DifficultyMeter
from tooncrafter_batch.backends.registry import build_backend
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.evaluation.metrics import psnr
from tooncrafter_batch.evaluation.protocols import Protocol, ProtocolKind, build_cases, load_clip
from tooncrafter_batch.evaluation.runner import parse_backend
from tooncrafter_batch.planning.routing import RouteSettings, route_scores

from eval_real_clips import DATA, machine

MEANINGFUL_GAIN = 0.05  # dB of all-dear over all-cheap below which "gain kept" is not shown (a ratio of noise)
SMALL_CLIPS = ("lvcd_sample1", "eisai_konobi_e007_drawings", "onepiece_demo", "tupi_example")


def timed(function, *arguments):
    started = time.process_time()
    value = function(*arguments)
    return value, time.process_time() - started


def measure_clip(entry: dict, names: list[str], backends: list) -> list[dict]:
    """One record per uniq case: clip, motion flag, megapixels, score, and per backend PSNR and CPU seconds."""
    path = DATA / entry["path"]
    clip = load_clip(path, Fraction(str(entry["fps"])) if path.is_dir() else None)
    meter, records = DifficultyMeter(), []
    for case in build_cases(clip, Protocol(ProtocolKind.uniq)):
        pair = Pair(clip.frames[case.left], clip.frames[case.right])
        truth = clip.frames[case.truth]
        score, score_seconds = timed(meter, pair)
        record = {"clip": clip.name, "is_motion": case.is_motion, "score": score, "score_seconds": score_seconds,
                  "megapixels": truth.shape[0] * truth.shape[1] / 1e6}
        for name, backend in zip(names, backends):
            [[frame]], seconds = timed(backend.interpolate, [pair], [[case.position]])
            record[name] = {"psnr": psnr(frame, truth), "seconds": seconds}
        records.append(record)
        print(f"{clip.name}: {len(records)} cases", file=sys.stderr, flush=True)
    return records


def route(records: list[dict], ladder: tuple[str, ...], budget: float) -> list[int]:
    rungs = []
    settings = RouteSettings(ladder, budget)
    for clip in dict.fromkeys(record["clip"] for record in records):
        mine = [record for record in records if record["clip"] == clip]
        rungs += route_scores([record["score"] if record["is_motion"] else None for record in mine], settings)
    return rungs


def oracle(records: list[dict], cheap: str, dear: str, count: int) -> list[int]:
    gains = np.array([record[dear]["psnr"] - record[cheap]["psnr"] for record in records])
    rungs = [0] * len(records)
    for index in np.argsort(-gains, kind="stable")[:count]:
        rungs[index] = 1
    return rungs


def row(label: str, records: list[dict], names: list[str], rungs: list[int], with_scores: bool) -> dict:
    values = [record[names[rung]]["psnr"] for record, rung in zip(records, rungs)]
    seconds = sum(record[names[rung]]["seconds"] for record, rung in zip(records, rungs))
    seconds += sum(record["score_seconds"] for record in records) if with_scores else 0.0
    return {"label": label, "psnr": float(np.mean(values)), "seconds": seconds,
            "share": sum(rung > 0 for rung in rungs) / len(records)}


def report(records: list[dict], names: list[str], budgets: list[float], command: str) -> str:
    cheap, dear = names
    rows = [row(f"all {cheap}", records, names, [0] * len(records), False),
            row(f"all {dear}", records, names, [1] * len(records), False)]
    for budget in budgets:
        rungs = route(records, (cheap, dear), budget)
        rows.append(row(f"auto, budget {budget:g}", records, names, rungs, True))
        rows.append(row(f"oracle, same pairs up", records, names, oracle(records, cheap, dear, sum(rungs)), False))
    base, top = rows[0]["psnr"], rows[1]["psnr"]
    lines = [f"Command: `{command}`  ", f"Machine: {machine()}  ", f"Date: {datetime.date.today()}  ",
             f"Clips: {', '.join(dict.fromkeys(record['clip'] for record in records))}; {len(records)} uniq cases, "
             f"{sum(record['is_motion'] for record in records)} moving", "",
             f"| route | pairs on {dear} | PSNR | vs all {cheap} (dB) | gain kept | CPU s | speed vs all {dear} |",
             "|---|---|---|---|---|---|---|"]
    for item in rows:  # the share of the dear rung's gain that a route keeps means nothing when it has none
        kept = f"{(item['psnr'] - base) / (top - base):.0%}" if top - base >= MEANINGFUL_GAIN else "-"
        lines.append(f"| {item['label']} | {item['share']:.0%} | {item['psnr']:.2f} | {item['psnr'] - base:+.2f} | "
                     f"{kept} | {item['seconds']:.1f} | {rows[1]['seconds'] / item['seconds']:.2f}x |")
    megapixels = sum(record["megapixels"] for record in records)
    lines += ["", "CPU seconds per in-between per megapixel: " + ", ".join(
        f"{name} {sum(record[name]['seconds'] for record in records) / megapixels:.3f}" for name in names) +
        f"; difficulty score {sum(record['score_seconds'] for record in records) / len(records) * 1000:.1f} ms "
        "per pair"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cheap", default="flow")
    parser.add_argument("--dear", default="gmfss")
    parser.add_argument("--budget", action="append", type=float, default=None)
    parser.add_argument("--clips", default=",".join(SMALL_CLIPS))
    parser.add_argument("--cases", type=Path, default=None, help="read (or, if absent, write) the measured cases")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    names = [args.cheap, args.dear]
    if args.cases is not None and args.cases.exists():
        records = json.loads(args.cases.read_text())
    else:
        backends = [build_backend(parse_backend(name)) for name in names]
        wanted = set(args.clips.split(","))
        records = [record for entry in json.loads((DATA / "clips.json").read_text()) if entry["name"] in wanted
                   for record in measure_clip(entry, names, backends)]
        if args.cases is not None:
            args.cases.write_text(json.dumps(records))
    text = report(records, names, args.budget or [0.1, 0.2, 0.3, 0.5],
                  shlex.join(["python", "benchmarks/routing.py", *argv]))
    return publish(text, args.output)


def publish(text: str, output: Path | None) -> int:
    """Prints the report and writes it to `output` if given; the exit status."""
    print(text)
    if output is not None:
        output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
