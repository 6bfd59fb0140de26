"""What a footage-minute costs, by route and budget (issue 15, item 5).

    python benchmarks/cost_model.py --cases cases.json [--cheap flow] [--dear gmfss] [--budget 0.3 ...]
        [--tooncrafter-seconds 24] [--output report.md]

The footage: one minute of 24000/1001 fps animation on twos, raised 4x: the planner makes one pair per drawing
(60 * 24000/1001 / 2 = 719 pairs) and 7 in-betweens in each (`upscale-fps --factor 4 --dry-run` on a synthetic
on-twos clip says the same: 119 pairs and 7 in-betweens each per 240 frames).

Per-pair costs come from `benchmarks/routing.py --cases` (CPU seconds of each backend per in-between per megapixel,
measured on ../shared/data's uniq cases, and the difficulty score's CPU seconds per pair), and the share of pairs
each route sends up comes from routing those cases exactly as `--backend auto` does. A minute is priced at 640x360
and at 1920x1080 (costs scale with the in-between's megapixels; the difficulty flow works at a fixed 256 px width).

ToonCrafter is priced per pair, not per in-between: one sampling run makes all in-betweens of a pair (up to 14 at
16 frames). Its GPU seconds per pair are the paper's figure (about 24 A100-seconds at 50 DDIM steps), scaled
linearly with the steps: on paper until a GPU measures it (benchmarks/gpu_learned.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
from fractions import Fraction
from pathlib import Path

from routing import publish, route

from eval_real_clips import machine

PAIRS_PER_MINUTE = int(60 * Fraction(24000, 1001) / 2)  # a drawing every two frames
INBETWEENS_PER_PAIR = 4 * 2 - 1  # x4 on twos: 8 output frames per drawing, one of them the drawing
SIZES = {"640x360": 640 * 360 / 1e6, "1920x1080": 1920 * 1080 / 1e6}
STEPS = (50, 25, 10)


def per_megapixel(records: list[dict], name: str) -> float:
    return sum(record[name]["seconds"] for record in records) / sum(record["megapixels"] for record in records)


def cpu_table(records: list[dict], cheap: str, dear: str, budgets: list[float]) -> list[str]:
    """CPU minutes per footage-minute for all-cheap, all-dear and each budget, at each size."""
    costs = {name: per_megapixel(records, name) for name in (cheap, dear)}
    score_seconds = sum(record["score_seconds"] for record in records) / len(records)
    routes = [(f"all {cheap}", 0.0, False), (f"all {dear}", 1.0, False)]
    for budget in budgets:
        rungs = route(records, (cheap, dear), budget)
        routes.append((f"auto, budget {budget:g}", sum(rungs) / len(rungs), True))
    lines = [f"| route | share of pairs on {dear} | " + " | ".join(f"CPU min at {size}" for size in SIZES) + " |",
             "|---" * (2 + len(SIZES)) + "|"]
    for label, share, scored in routes:
        cells = []
        for megapixels in SIZES.values():
            per_inbetween = ((1 - share) * costs[cheap] + share * costs[dear]) * megapixels
            seconds = PAIRS_PER_MINUTE * (INBETWEENS_PER_PAIR * per_inbetween + (score_seconds if scored else 0.0))
            cells.append(f"{seconds / 60:.1f}")
        lines.append(f"| {label} | {share:.0%} | " + " | ".join(cells) + " |")
    return lines


def tooncrafter_table(budgets: list[float], seconds_at_50: float) -> list[str]:
    """GPU minutes per footage-minute with a share of the pairs on tooncrafter, by sampling steps."""
    lines = ["| share of pairs on tooncrafter | " + " | ".join(f"GPU min at {steps} steps" for steps in STEPS) + " |",
             "|---" * (1 + len(STEPS)) + "|"]
    for budget in [*budgets, 1.0]:
        cells = [f"{PAIRS_PER_MINUTE * budget * seconds_at_50 * steps / 50 / 60:.1f}" for steps in STEPS]
        lines.append(f"| {budget:.0%} | " + " | ".join(cells) + " |")
    largest = [10 * 60 / (PAIRS_PER_MINUTE * seconds_at_50 * steps / 50) for steps in STEPS]
    lines += ["", "Largest share within 10 GPU-minutes per footage-minute: " + ", ".join(
        f"{min(share, 1.0):.1%} at {steps} steps" for share, steps in zip(largest, STEPS))]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, required=True, help="written by benchmarks/routing.py --cases")
    parser.add_argument("--cheap", default="flow")
    parser.add_argument("--dear", default="gmfss")
    parser.add_argument("--budget", action="append", type=float, default=None)
    parser.add_argument("--tooncrafter-seconds", type=float, default=24.0,
                        help="GPU seconds per pair at 50 steps (default: the paper's A100 figure)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    records = json.loads(args.cases.read_text())
    budgets = args.budget or [0.1, 0.2, 0.3, 0.5]
    lines = [f"Command: `{shlex.join(['python', 'benchmarks/cost_model.py', *argv])}`  ", f"Machine: {machine()}  ",
             f"Date: {datetime.date.today()}  ",
             f"Footage-minute: {PAIRS_PER_MINUTE} pairs x {INBETWEENS_PER_PAIR} in-betweens (on twos, 24000/1001 "
             f"fps, x4); costs from {len(records)} measured cases", "",
             *cpu_table(records, args.cheap, args.dear, budgets), "",
             *tooncrafter_table(budgets, args.tooncrafter_seconds)]
    return publish("\n".join(lines) + "\n", args.output)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
