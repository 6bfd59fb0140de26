"""Where the `flow` backend's error on real in-betweens comes from (the `uniq` protocol of BASELINE.md).

    .venv/bin/python benchmarks/inbetween_analysis.py [--clips a,b] [--flow-width 320]

For every `uniq` case (drawing C predicted from its neighbours B and D at t = 0.5), mean PSNR of:

- `flow`: the backend as shipped, and `blend` (cross-fade), with `best of flow/blend`: the better of the two per case
  (an oracle: how much a perfect per-case fallback to the cross-fade could add); `best of flow/copy`: the better
  of flow and a copy of B or D per case, and `copy wins`: in how many cases a copy beats flow (the middle drawing is
  really a neighbour held, e.g. a character drawn on twos under a camera move on ones);
- `registration`: D warped onto B along our B -> D flow, scored against B: how well the flow matches the two
  keyframes (not an in-between score; high means the flow between the keyframes is right);
- `truth motion`: B and D warped onto C along DIS flows computed from the true C, averaged: the best a
  warp-and-mix synthesis can do when the motion at t is right (an oracle upper bound);
- `best t`: our flow synthesized at t in {0.3, 0.4, 0.5, 0.6, 0.7}, the best per case (an oracle for timing alone);
- `context t`: t estimated from the neighbouring drawings A (before B) and E (after D) under constant
  acceleration (the quadratic model of QVI, Xu et al. 2019), one t per case: the median over moving pixels of
  the B -> C displacement (f_BD - f_BA) / 3 projected on f_BD, and likewise from D, clipped to [0.3, 0.7].

Oracles use the true frame and are not methods; they say which part of the pipeline limits the score.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from tooncrafter_batch.backends.flow import FlowInterpolator
from tooncrafter_batch.backends.flow_estimate import PairFlow, estimate_pair_flow
from tooncrafter_batch.backends.flow_warp import to_full_resolution, warp_image
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.evaluation.metrics import psnr
from tooncrafter_batch.evaluation.protocols import (Protocol, ProtocolKind, build_cases, distinct_drawings, is_cut,
                                                    load_clip, thumbnails)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TIMES = (0.3, 0.4, 0.5, 0.6, 0.7)
COLUMNS = ("flow", "blend", "best of flow/blend", "best of flow/copy", "copy wins", "registration", "truth motion",
           "best t", "context t")
COUNTED = {"copy wins"}  # summed, not averaged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", default="", help="comma-separated clip names (default: every uniq clip)")
    parser.add_argument("--flow-width", type=int, default=320)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    backend = FlowInterpolator(flow_width=args.flow_width)
    wanted = set(filter(None, args.clips.split(",")))
    everything = []
    print("| clip | n | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for entry in json.loads((args.data / "clips.json").read_text()):
        if "uniq" not in entry["protocols"] or (wanted and entry["name"] not in wanted):
            continue
        rows = analyse_clip(backend, load_clip(args.data / entry["path"]))
        everything += rows
        print(_row(entry["name"], rows), flush=True)
    print(_row("**all, frame-weighted**", everything))


def analyse_clip(backend: FlowInterpolator, clip) -> list[dict[str, float]]:
    thumbs = thumbnails(clip)
    drawings = distinct_drawings(thumbs)
    order = {frame: index for index, frame in enumerate(drawings)}
    rows = []
    for case in build_cases(clip, Protocol(ProtocolKind.uniq)):
        if not case.is_motion:
            continue
        index = order[case.left]
        before = drawings[index - 1] if index >= 1 else None
        after = drawings[index + 3] if index + 3 < len(drawings) else None
        before = before if before is not None and not is_cut(thumbs, before, case.left) else None
        after = after if after is not None and not is_cut(thumbs, case.right, after) else None
        rows.append(analyse_case(backend, clip.frames[case.left], clip.frames[case.truth], clip.frames[case.right],
                                 None if before is None else clip.frames[before],
                                 None if after is None else clip.frames[after]))
    return rows


def analyse_case(backend: FlowInterpolator, start, truth, end, before, after) -> dict[str, float]:
    pair = Pair(start, end)
    flow = backend.estimate_flow(pair)
    height, width = start.shape[:2]
    scores = {time: psnr(backend.synthesize(pair, flow, time), truth) for time in TIMES}
    blend = psnr(cv2.addWeighted(start, 0.5, end, 0.5, 0.0), truth)
    copy = max(psnr(start, truth), psnr(end, truth))
    registered = warp_image(end, to_full_resolution(flow.forward, height, width), 1.0)
    small_truth = backend.shrink(truth)
    to_start = estimate_pair_flow(small_truth, backend.shrink(start), backend.preset).forward
    to_end = estimate_pair_flow(small_truth, backend.shrink(end), backend.preset).forward
    from_truth = cv2.addWeighted(warp_image(start, to_full_resolution(to_start, height, width), 1.0), 0.5,
                                 warp_image(end, to_full_resolution(to_end, height, width), 1.0), 0.5, 0.0)
    context = _context_time(backend, flow, start, end, before, after)
    return {
        "flow": scores[0.5], "blend": blend, "best of flow/blend": max(scores[0.5], blend),
        "best of flow/copy": max(scores[0.5], copy), "copy wins": float(copy > scores[0.5]),
        "registration": psnr(registered, start), "truth motion": psnr(from_truth, truth),
        "best t": max(scores.values()),
        "context t": psnr(backend.synthesize(pair, flow, context), truth) if context != 0.5 else scores[0.5],
    }


def _context_time(backend: FlowInterpolator, flow: PairFlow, start, end, before, after) -> float:
    """One t for the case from constant acceleration over the drawings before and after (0.5 without them)."""
    estimates = []
    if before is not None:
        back = estimate_pair_flow(backend.shrink(start), backend.shrink(before), backend.preset).forward
        estimates.append(_projected_time(flow.forward, back))
    if after is not None:
        ahead = estimate_pair_flow(backend.shrink(end), backend.shrink(after), backend.preset).forward
        estimates.append(1.0 - _projected_time(flow.backward, ahead))
    values = np.concatenate(estimates) if estimates else np.empty(0)
    return float(np.clip(np.median(values), 0.3, 0.7)) if values.size > 50 else 0.5


def _projected_time(across: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Drawings at -1 (back), 0 (here), 1 (the in-between), 2 (across): the in-between's displacement under constant
    acceleration is (across - back) / 3; its share of `across`, per pixel that moves more than 2 px."""
    step = (across - back) / 3.0
    length = (across ** 2).sum(axis=-1)
    moving = length > 4.0
    return ((step * across).sum(axis=-1) / np.maximum(length, 1e-6))[moving]


def _row(name: str, rows: list[dict[str, float]]) -> str:
    cells = [f"{sum(row[column] for row in rows):.0f}" if column in COUNTED
             else f"{np.mean([row[column] for row in rows]):.2f}" for column in COLUMNS]
    return f"| {name} | {len(rows)} | " + " | ".join(cells) + " |"


if __name__ == "__main__":
    main()
