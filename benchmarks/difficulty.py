"""Does a pair's measured difficulty predict where the in-betweens are bad? (issue 15, item 1)

    python benchmarks/difficulty.py [--backend flow --backend rife ...] [--protocol uniq --protocol sub_k2]
        [--clips a,b] [--output report.md]

For every case of the chosen protocols on the clips of ../shared/data/clips.json (sub_kN: motion frames only), the
difficulty measures of `planning.difficulty` are computed from the case's keyframes and the `flow` backend's flow,
and each backend's prediction is scored. Prints Spearman rank correlations, pooled over all cases, of each measure
with each backend's per-case error (-PSNR: a positive correlation means "harder pairs score lower"), and with the
gain of each later backend over the first (does difficulty find the pairs where the expensive rung pays?).
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

from tooncrafter_batch.backends.flow import FlowInterpolator
from tooncrafter_batch.backends.registry import build_backend
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.evaluation.protocols import Protocol, ProtocolKind, build_cases, load_clip
from tooncrafter_batch.evaluation.runner import parse_backend, predict_with_backend, score_method
from tooncrafter_batch.planning.difficulty import PairDifficulty, measure_difficulty

from eval_real_clips import DATA, machine

MEASURES = ("change", "motion", "occluded", "residual", "line_miss", "score")


def spearman(first: np.ndarray, second: np.ndarray) -> float:
    """Rank correlation (ties ranked by order: the measures are continuous)."""
    ranks = [np.argsort(np.argsort(values)).astype(np.float64) for values in (first, second)]
    return float(np.corrcoef(*ranks)[0, 1])


def within_clips(measure: np.ndarray, error: np.ndarray, clips: np.ndarray) -> float:
    """The case-weighted mean of each clip's own rank correlation (clip-level differences left out)."""
    weights, values = [], []
    for clip in np.unique(clips):
        keep = clips == clip
        if keep.sum() >= 5:
            weights.append(keep.sum())
            values.append(spearman(measure[keep], error[keep]))
    return float(np.average(values, weights=weights))


def parse_protocol(text: str) -> Protocol:
    if text == "uniq":
        return Protocol(ProtocolKind.uniq)
    return Protocol(ProtocolKind.sub, int(text.removeprefix("sub_k")))


def case_difficulties(clip, cases, flow: FlowInterpolator) -> list[PairDifficulty]:
    measured: dict[tuple[int, int], PairDifficulty] = {}
    for case in cases:
        key = (case.left, case.right)
        if key not in measured:
            pair = Pair(clip.frames[key[0]], clip.frames[key[1]])
            pair_flow = flow.estimate_flow(pair)
            measured[key] = measure_difficulty(flow.shrink(pair.start), flow.shrink(pair.end), pair_flow.forward,
                                               pair_flow.forward_with_error[..., 2])
    return [measured[(case.left, case.right)] for case in cases]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", action="append", default=None)
    parser.add_argument("--protocol", action="append", default=None)
    parser.add_argument("--clips", default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    backends = args.backend or ["flow", "rife"]
    protocols = [parse_protocol(text) for text in (args.protocol or ["uniq", "sub_k2"])]
    entries = json.loads((DATA / "clips.json").read_text())
    chosen = set(args.clips.split(",")) if args.clips else None
    flow = FlowInterpolator()
    built = {name: build_backend(parse_backend(name)) for name in backends}
    rows: dict[str, list] = {"protocol": [], "clip": []}
    difficulty: list[PairDifficulty] = []
    errors: dict[str, list[float]] = {name: [] for name in backends}
    seconds = 0.0
    for entry in entries:
        if chosen and entry["name"] not in chosen:
            continue
        path = DATA / entry["path"]
        clip = load_clip(path, Fraction(str(entry["fps"])) if path.is_dir() else None)
        for protocol in protocols:
            if protocol.kind.value not in entry["protocols"]:
                continue
            cases = [case for case in build_cases(clip, protocol) if case.is_motion]
            started = time.perf_counter()
            difficulty += case_difficulties(clip, cases, flow)
            seconds += time.perf_counter() - started
            for name, backend in built.items():
                method = score_method(name, lambda c, k, b=backend: predict_with_backend(b, c, k), clip, cases)
                errors[name] += [-score.psnr for score in method.scores]
            rows["protocol"] += [protocol.name] * len(cases)
            rows["clip"] += [clip.name] * len(cases)
            print(f"{clip.name} {protocol.name}: {len(cases)} cases", file=sys.stderr, flush=True)
    print(report(args, backends, rows, difficulty, errors, seconds))
    return 0


def report(args, backends, rows, difficulty, errors, seconds) -> str:
    lines = [f"Command: `python benchmarks/difficulty.py {shlex.join(sys.argv[1:])}`  ", f"Machine: {machine()}  ",
             f"Date: {datetime.date.today().isoformat()}  ",
             f"Cases: {len(difficulty)} (motion frames); measuring took {seconds / max(1, len(difficulty)) * 1e3:.0f}"
             " ms per case (flow included)", ""]
    protocols = sorted(set(rows["protocol"]))
    header = "| correlation of | " + " | ".join(MEASURES) + " |"
    lines += [header, "|---" * (len(MEASURES) + 1) + "|"]
    table = {measure: np.array([item.as_dict()[measure] for item in difficulty]) for measure in MEASURES}
    selections = [("all", np.ones(len(difficulty), bool))] + [
        (protocol, np.array([p == protocol for p in rows["protocol"]])) for protocol in protocols]
    clips = np.array(rows["clip"])
    for name in backends:
        error = np.array(errors[name])
        for label, keep in selections:
            cells = [f"{spearman(table[m][keep], error[keep]):+.2f}" for m in MEASURES]
            lines.append(f"| {name} error ({label}, n={keep.sum()}) | " + " | ".join(cells) + " |")
        cells = [f"{within_clips(table[m], error, clips):+.2f}" for m in MEASURES]
        lines.append(f"| {name} error (within each clip, n-weighted mean) | " + " | ".join(cells) + " |")
    first = np.array(errors[backends[0]])
    for name in backends[1:]:
        gain = first - np.array(errors[name])  # PSNR of `name` minus PSNR of the first backend
        cells = [f"{spearman(table[m], gain):+.2f}" for m in MEASURES]
        lines.append(f"| {name} gain over {backends[0]} (all) | " + " | ".join(cells) + " |")
        cells = [f"{within_clips(table[m], gain, clips):+.2f}" for m in MEASURES]
        lines.append(f"| {name} gain over {backends[0]} (within each clip) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
