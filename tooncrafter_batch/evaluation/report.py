"""Evaluation results as plain data (for `--json`) and as markdown tables (for docs/BENCHMARKS.md).

JSON shape of one clip under one protocol:
`{clip, protocol: "sub"|"uniq", factor, methods: {name: {overall: {n, psnr, ssim, chamfer}, motion: {...},
scenes: [{scene, start, end, n, psnr, ssim, chamfer}], seconds, frames_per_second}}}`; several protocols (or
factors) give `{clip, runs: [one object per protocol]}`. Means over no frames are `null`.
"""

from __future__ import annotations

import math
from typing import Sequence

from .runner import MethodResult, ProtocolResult, Summary, combine


def summary_to_dict(summary: Summary) -> dict:
    return {"n": summary.n, "psnr": _number(summary.psnr), "ssim": _number(summary.ssim),
            "chamfer": _number(summary.chamfer)}


def method_to_dict(method: MethodResult, result: ProtocolResult) -> dict:
    per_scene = method.per_scene()
    scenes = [{"scene": index, "start": shot.start, "end": shot.end, **summary_to_dict(per_scene[index])}
              for index, shot in enumerate(result.scenes) if index in per_scene]
    return {
        "overall": summary_to_dict(method.overall()),
        "motion": summary_to_dict(method.motion()),
        "scenes": scenes,
        "seconds": round(method.seconds, 3),
        "frames_per_second": round(len(method.scores) / method.seconds, 2) if method.seconds > 0 else None,
    }


def result_to_dict(result: ProtocolResult) -> dict:
    return {
        "clip": result.clip,
        "protocol": result.protocol.kind.value,
        "factor": result.protocol.factor,
        "methods": {method.name: method_to_dict(method, result) for method in result.methods},
    }


def results_to_dict(results: Sequence[ProtocolResult]) -> dict:
    """One protocol: its object; several: `{clip, runs: [...]}`."""
    if len(results) == 1:
        return result_to_dict(results[0])
    return {"clip": results[0].clip, "runs": [result_to_dict(result) for result in results]}


def markdown_table(results: Sequence[ProtocolResult]) -> str:
    """Per clip and protocol, then frame-weighted per protocol: PSNR / SSIM / chamfer, overall and motion frames."""
    names = list(dict.fromkeys(method.name for result in results for method in result.methods))
    header = ["clip", "protocol", "n (motion)", *[f"{name} PSNR / SSIM / CD" for name in names],
              *[f"{name} motion PSNR" for name in names]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        methods = {method.name: method for method in result.methods}
        first = next(iter(methods.values()))
        counts = f"{first.overall().n} ({first.motion().n})"
        cells = [_triple(methods[n].overall()) if n in methods else "-" for n in names]
        motion = [_psnr(methods[n].motion()) if n in methods else "-" for n in names]
        lines.append("| " + " | ".join([result.clip, result.protocol.name, counts, *cells, *motion]) + " |")
    for protocol in dict.fromkeys(result.protocol.name for result in results):
        combined = combine([result for result in results if result.protocol.name == protocol])
        any_method = next(iter(combined.values()))
        counts = f"{any_method[0].n} ({any_method[1].n})"
        cells = [_triple(combined[n][0]) if n in combined else "-" for n in names]
        motion = [_psnr(combined[n][1]) if n in combined else "-" for n in names]
        lines.append("| " + " | ".join(["**all, frame-weighted**", protocol, counts, *cells, *motion]) + " |")
    return "\n".join(lines) + "\n"


def _triple(summary: Summary) -> str:
    return f"{summary.psnr:.2f} / {summary.ssim:.3f} / {summary.chamfer:.2f}" if summary.n else "-"


def _psnr(summary: Summary) -> str:
    return f"{summary.psnr:.2f}" if summary.n else "-"


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)
