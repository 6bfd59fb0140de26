"""Do two backends' errors cancel? Scores backend A, backend B and their per-pixel mean on the real clips.

    python benchmarks/backend_mix.py [--first flow] [--second rife] [--protocol uniq] [--clips a,b]

For every clip of ../shared/data/clips.json under the chosen protocol(s): PSNR / SSIM / chamfer (frame-weighted,
all frames and motion frames) of A, B and mean(A, B), as `eval_real_clips.py` scores them. Prints markdown with the
command, machine and date. A study for hybrid backends, not a product path.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

from tooncrafter_batch.backends.registry import build_backend
from tooncrafter_batch.evaluation.metrics import score_frame
from tooncrafter_batch.evaluation.protocols import build_cases, load_clip
from tooncrafter_batch.evaluation.runner import MethodResult, ProtocolResult, parse_backend, predict_with_backend
from tooncrafter_batch.evaluation.report import markdown_table

from eval_real_clips import DATA, clip_protocols, machine


def mixed(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return ((first.astype(np.uint16) + second + 1) // 2).astype(np.uint8)


def score_clip(clip, protocol, names: list[str], backends: list) -> ProtocolResult:
    cases = build_cases(clip, protocol)
    predictions = [list(predict_with_backend(backend, clip, cases)) for backend in backends]
    predictions.append([mixed(a, b) for a, b in zip(*predictions)])
    methods = tuple(MethodResult(name, tuple(cases), tuple(score_frame(frame, clip.frames[case.truth])
                                                           for frame, case in zip(frames, cases)), 0.0)
                    for name, frames in zip([*names, f"mean({names[0]}, {names[1]})"], predictions))
    return ProtocolResult(clip=clip.name, protocol=protocol, scenes=(), methods=methods)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", default="flow")
    parser.add_argument("--second", default="rife")
    parser.add_argument("--protocol", action="append", help="sub_k2, sub_k4, uniq (repeat); default uniq")
    parser.add_argument("--clips", default="")
    args = parser.parse_args()
    names = [args.first, args.second]
    backends = [build_backend(parse_backend(name)) for name in names]
    wanted, protocols = set(filter(None, args.clips.split(","))), set(args.protocol or ["uniq"])
    results = []
    for entry in json.loads((DATA / "clips.json").read_text()):
        if wanted and entry["name"] not in wanted:
            continue
        path = DATA / entry["path"]
        clip = load_clip(path, Fraction(str(entry["fps"])) if path.is_dir() else None)
        for protocol in (p for p in clip_protocols(entry) if p.name in protocols):
            results.append(score_clip(clip, protocol, names, backends))
            print(f"done: {clip.name} {protocol.name}", file=sys.stderr, flush=True)
    print(f"Command: `{shlex.join(['python', *sys.argv])}`  \nMachine: {machine()}  \n"
          f"Date: {datetime.date.today().isoformat()}\n\n{markdown_table(results)}")


if __name__ == "__main__":
    main()
