"""Score interpolation backends on the real clips of ../shared/data (uniq and sub_kN protocols of BASELINE.md).

Quick tuning aid for the `flow` backend: `python benchmarks/flow_tuning.py [--protocol uniq] [--clips a,b]
[--option key=value ...] [--backends flow,blend]`. Prints PSNR / SSIM per clip and frame-weighted overall, with
motion-frame PSNR, and the interpolation throughput in megapixels per second. The full comparison with ffmpeg
minterpolate (with line-art chamfer distance) is `benchmarks/eval_real_clips.py`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.backends.registry import build_backend
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.evaluation.metrics import psnr, ssim
from tooncrafter_batch.evaluation.protocols import Protocol, ProtocolKind, build_cases, load_clip

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def _parse_option(text: str) -> tuple[str, object]:
    key, value = text.split("=", 1)
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, value


def score_clip(backend, clip, protocol) -> tuple[list[tuple[float, float, bool]], float, int]:
    """(psnr, ssim, is_motion) per case, the seconds spent interpolating and the pixels produced."""
    cases = build_cases(clip, protocol)
    scores, seconds, pixels = [], 0.0, 0
    for case in cases:
        pair = Pair(clip.frames[case.left], clip.frames[case.right])
        started = time.perf_counter()
        prediction = backend.interpolate([pair], [[case.position]])[0][0]
        seconds += time.perf_counter() - started
        pixels += prediction.shape[0] * prediction.shape[1]
        truth = clip.frames[case.truth]
        scores.append((psnr(prediction, truth), ssim(prediction, truth), case.is_motion))
    return scores, seconds, pixels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--protocol", default="uniq", help="uniq, sub_k2 or sub_k4")
    parser.add_argument("--clips", default="", help="comma-separated clip names (default: all that apply)")
    parser.add_argument("--backends", default="flow")
    parser.add_argument("--option", action="append", default=[], help="flow option key=value")
    args = parser.parse_args()
    protocol = (Protocol(ProtocolKind.uniq) if args.protocol == "uniq"
                else Protocol(ProtocolKind.sub, int(args.protocol.removeprefix("sub_k"))))
    entries = json.loads((DATA / "clips.json").read_text())
    wanted = set(filter(None, args.clips.split(",")))
    for name in args.backends.split(","):
        options = tuple(_parse_option(text) for text in args.option) if name == "flow" else ()
        backend = build_backend(BackendSpec(name, options))
        everything, total_seconds, total_pixels = [], 0.0, 0
        for entry in entries:
            if protocol.kind.value not in entry["protocols"] or (wanted and entry["name"] not in wanted):
                continue
            scores, seconds, pixels = score_clip(backend, load_clip(DATA / entry["path"]), protocol)
            everything += scores
            total_seconds += seconds
            total_pixels += pixels
            print(f"{name:9s} {entry['name']:28s} {_summary(scores)}  {pixels / seconds / 1e6:5.2f} MP/s", flush=True)
        print(f"{name:9s} {'OVERALL ' + protocol.name:28s} {_summary(everything)}  "
              f"{total_pixels / total_seconds / 1e6:5.2f} MP/s", flush=True)


def _summary(scores) -> str:
    values = np.array([(p, s) for p, s, _ in scores])
    motion = [p for p, _, is_motion in scores if is_motion]
    return (f"n={len(scores):3d} psnr {values[:, 0].mean():6.2f} ssim {values[:, 1].mean():.4f} "
            f"motion({len(motion)}) {np.mean(motion) if motion else float('nan'):6.2f}")


if __name__ == "__main__":
    main()
