"""Fine-tuning rife on one show (issue 16): does adapting to a show's own footage raise `uniq` on other footage of it?

    python benchmarks/finetune_rife.py [--clip jjk_fight_a] [--steps 150] [--crop 256] [--batch 4] [--lr 2e-5]
        [--others onepiece_demo,lvcd_sample1,tupi_example,eisai_konobi_e007_drawings] [--output report.md]

No two clips of ../shared/data come from the same show, so one clip is split by shot: the triplets of its first
shot are the training footage (their own validation split held out in time, as `finetune` does for one shot), and
`uniq` is scored on the cases of its later shots only, which training never saw. The other clips (other shows)
check that the adaptation does not cost elsewhere. Released and fine-tuned weights go through the same `rife`
backend (fit=pad). Writes markdown: command, machine, date, training minutes and the table (PSNR, SSIM and the
line-art chamfer distance CD in px, which punishes the blur PSNR favours).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from fractions import Fraction
from functools import partial
from pathlib import Path

import torch

from tooncrafter_batch.backends.learned_options import LearnedOptions, locate_learned_weights
from tooncrafter_batch.backends.rife import RifeInterpolator
from tooncrafter_batch.datatypes import Frame
from tooncrafter_batch.evaluation.protocols import Protocol, ProtocolKind, build_cases, load_clip, scenes, thumbnails
from tooncrafter_batch.evaluation.runner import predict_with_backend, score_method, summarize
from tooncrafter_batch.progress import BarProgress
from tooncrafter_batch.training.loop import Worker
from tooncrafter_batch.training.run import train_worker
from tooncrafter_batch.training.settings import FinetuneJob, TrainingSettings
from tooncrafter_batch.training.triplets import TripletSettings, frame_triplets, split_by_shot

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
OTHERS = "onepiece_demo,lvcd_sample1,tupi_example,eisai_konobi_e007_drawings"


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({model}), torch {torch.__version__}"


def load_entry(name: str):
    entry = next(item for item in json.loads((DATA / "clips.json").read_text()) if item["name"] == name)
    path = DATA / entry["path"]
    return load_clip(path, Fraction(entry["fps"]).limit_denominator(1001) if path.is_dir() else None)


def first_shot_frames(clip) -> list[Frame]:
    """The frames before the clip's first cut (the evaluation protocols' cut rule)."""
    end = scenes(thumbnails(clip))[0].end
    return [Frame(index, Fraction(index) / clip.frame_rate, image) for index, image in enumerate(clip.frames[:end])]


def score(clip, cases, backend) -> tuple[float, float, float, int]:
    summary = summarize(score_method("rife", partial(predict_with_backend, backend), clip, cases).scores)
    return summary.psnr, summary.ssim, summary.chamfer, summary.n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default="jjk_fight_a")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--threads", type=int, help="CPU threads (1 is faster on a machine busy with other work)")
    parser.add_argument("--others", default=OTHERS)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    clip = load_entry(args.clip)
    frames = first_shot_frames(clip)
    triplets = frame_triplets(frames, clip.frame_rate, clip.name, TripletSettings())
    training, validation = split_by_shot(triplets, 0.2)
    workdir = Path(tempfile.mkdtemp(prefix="finetune-bench-"))
    released = locate_learned_weights(LearnedOptions(), "rife")
    job = FinetuneJob(inputs=(DATA / args.clip,), output=workdir / "show.safetensors",
                      weights_dir=Path(released.weights_dir), threads=args.threads,
                      training=TrainingSettings(num_steps=args.steps, batch_size=args.batch, crop=args.crop,
                                                learning_rate=args.lr, validate_every=max(1, args.steps // 5)))
    started = time.perf_counter()
    progress = BarProgress()
    state = train_worker(job, training, validation, Worker(), progress)
    progress.close()
    minutes = (time.perf_counter() - started) / 60

    backends = {"released": RifeInterpolator(weights_dir=released.weights_dir, threads=args.threads),
                "fine-tuned": RifeInterpolator(weights_dir=released.weights_dir, weights=str(job.output),
                                               threads=args.threads)}
    held_out = [case for case in build_cases(clip, Protocol(ProtocolKind.uniq)) if case.scene > 0]
    rows = [(f"{clip.name} shots 2+ (same show, held out)", clip, held_out)]
    for name in filter(None, args.others.split(",")):
        other = load_entry(name)
        rows.append((f"{name} (other show)", other, build_cases(other, Protocol(ProtocolKind.uniq))))
    lines = [f"- command: `python {' '.join(shlex.quote(arg) for arg in sys.argv)}`",
             f"- machine: {machine()}; date: {datetime.date.today().isoformat()}",
             f"- training footage: {clip.name} frames 0-{len(frames) - 1} (first shot): {len(training)} training "
             f"triplets, {len(validation)} validation triplets (last part of the shot, held out in time)",
             f"- training: {state.step} steps, batch {args.batch}, crop {args.crop}, AdamW lr {args.lr}, "
             f"{minutes:.1f} min on the CPU",
             "- validation (true times, full frames): " + ", ".join(
                 f"step {s.step}: {s.psnr:.2f} dB / {s.ssim:.4f}" for s in state.scores),
             "", "| uniq cases | n | released PSNR / SSIM / CD | fine-tuned PSNR / SSIM / CD | PSNR change |",
             "|---|---|---|---|---|"]
    for label, evaluated, cases in rows:
        before, after = (score(evaluated, cases, backends[key]) for key in ("released", "fine-tuned"))
        lines.append(f"| {label} | {before[3]} | {before[0]:.2f} / {before[1]:.4f} / {before[2]:.2f} | "
                     f"{after[0]:.2f} / {after[1]:.4f} / {after[2]:.2f} | {after[0] - before[0]:+.2f} dB |")
        print(lines[-1], flush=True)
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        args.output.write_text(report)


if __name__ == "__main__":
    main()
