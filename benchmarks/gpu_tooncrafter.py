"""Seconds per keyframe pair and peak memory of ToonCrafter interpolation (16 frames), random weights.

    python benchmarks/gpu_tooncrafter.py                          # the official 512 model (320x512) on CUDA
    python benchmarks/gpu_tooncrafter.py --dtype fp16 bf16 --steps 50 10 --batch 1 2
    python benchmarks/gpu_tooncrafter.py --config configs/tooncrafter_tiny.yaml --device cpu --dtype fp32 --steps 1 3

Random weights have the same compute as the real checkpoint, so the timings are those of a real run. A pair is the
whole interpolation: CLIP towers, DDIM with classifier-free guidance (two UNet branches per step, batched), the
dual-reference decode and the frames 7/8 re-decode. Each setting runs once to warm up (kernel selection), then
`--repeats` times; the best is reported. Per-step time and fixed cost come from the two step counts. On a CPU the
clock is the process's CPU time (all threads), which other processes on a shared machine do not inflate.

Needs only torch, einops, safetensors, pyyaml, open_clip and this package on the path (the GPU machine has no
project venv: carry open_clip_torch and ftfy wheels, see the device README). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the package without installing it

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def load_pipeline(config_path: Path | None, device: str, dtype: torch.dtype):
    """The configured model with seeded random weights, on `device` in `dtype`, wrapped in its pipeline."""
    try:
        from tooncrafter_batch.models.tooncrafter.pipeline import ToonCrafterPipeline
        from tooncrafter_batch.weights.builder import build_model, load_model_config
    except ImportError as error:
        sys.exit(f"cannot import the model package ({error}); install open_clip_torch and ftfy beside torch")
    config = load_model_config(config_path)
    torch.manual_seed(0)
    model = build_model(config, device).place(device, dtype)
    return ToonCrafterPipeline(model)


def time_pair(pipeline, device: str, batch: int, steps: int, repeats: int) -> tuple[float, float]:
    """(best seconds per pair, peak GPU GiB or 0 on CPU) of `repeats` runs of `batch` pairs at `steps` steps.

    Wall-clock seconds on CUDA, CPU seconds of this process on a CPU.
    """
    from tooncrafter_batch.models.tooncrafter.pipeline import SamplingSettings

    config = pipeline.config
    generator = torch.Generator().manual_seed(1)
    start = torch.rand(batch, 3, config.height, config.width, generator=generator) * 2 - 1
    end = torch.rand(batch, 3, config.height, config.width, generator=generator) * 2 - 1
    settings = SamplingSettings(num_steps=steps)
    clock = time.perf_counter if device == "cuda" else time.process_time
    best = float("inf")
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for _ in range(repeats):
        _synchronize(device)
        began = clock()
        pipeline(start.to(device), end.to(device), "", settings)
        _synchronize(device)
        best = min(best, clock() - began)
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else 0.0
    return best / batch, peak


def _synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None, help="model config (default: the official 512 model)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    parser.add_argument("--dtype", nargs="+", default=["fp16", "bf16"], choices=list(DTYPES))
    parser.add_argument("--steps", nargs=2, type=int, default=[50, 10], metavar=("MANY", "FEW"))
    parser.add_argument("--batch", nargs="+", type=int, default=[1], help="pairs per call")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda but torch sees no GPU; use --device cpu with a small --config")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    processor = torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or platform.machine()
    threads = ", wall-clock s" if args.device == "cuda" else f", {torch.get_num_threads()} threads, CPU s"
    print(f"{args.config or 'official 512 model'} on {processor}{threads}, torch {torch.__version__}")
    print("| dtype | pairs/call | steps | s/pair | s/step | fixed s/pair | peak GPU GiB |")
    print("|---|---|---|---|---|---|---|")
    many, few = args.steps
    for dtype in args.dtype:
        pipeline = load_pipeline(args.config, args.device, DTYPES[dtype])
        for batch in args.batch:
            time_pair(pipeline, args.device, batch, 1, 1)  # warm-up
            seconds_few, _ = time_pair(pipeline, args.device, batch, few, args.repeats)
            seconds_many, peak = time_pair(pipeline, args.device, batch, many, args.repeats)
            per_step = (seconds_many - seconds_few) / (many - few)
            fixed = seconds_few - few * per_step
            for steps, seconds in ((many, seconds_many), (few, seconds_few)):
                print(f"| {dtype} | {batch} | {steps} | {seconds:.2f} | {per_step:.3f} | {fixed:.2f} | {peak:.1f} |",
                      flush=True)
        del pipeline
        if args.device == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
