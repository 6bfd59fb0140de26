"""Output frames per second and peak GPU memory of the learned backends (rife, gmfss) at x4 on 1080p.

    python benchmarks/gpu_learned.py                        # CUDA, 1920x1080, the weights in model/learned
    python3 benchmarks/gpu_learned.py --random-weights --output $OUT/gpu_learned.md   # on the lent GPU machine
    python benchmarks/gpu_learned.py --device cpu --size 320x192 --pairs 1           # smoke test (all fp32)

Per configuration: build the backend (it stretches 1080 to 1088 itself), warm up on one pair, then time `--pairs`
synthetic pairs x 3 in-betweens, uint8 in to uint8 out, synchronised; `--batch-pairs` pairs per `interpolate` call
(it runs them one after another, so this only groups work). The CPU runs fp32 only.

Weights: the lent GPU machine gets the repo without ignored files, and `run`'s `carry` cannot take model/learned
(106 MiB; a call carries 64 MiB in all, the repo's 40 MiB included). There pass `--random-weights`: seeded weights
in the converted layout in a temporary folder, the same compute (only the flows, so the splatting's memory traffic,
differ); or `--weights-dir` a folder staged there. Use that machine's python3 and torch: it reaches no registry to
`pip install -r requirements/lock.txt`, and its image lacks PyAV (nothing here needs it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the package without installing it

from tooncrafter_batch.backends.gmfss import GmfssInterpolator
from tooncrafter_batch.backends.rife import RifeInterpolator
from tooncrafter_batch.datatypes import Pair

POSITIONS = (0.25, 0.5, 0.75)  # x4
# (backend, dtype, extra options), in the order of the table
CONFIGURATIONS = (
    (RifeInterpolator, "fp32", {}), (RifeInterpolator, "fp16", {}), (RifeInterpolator, "fp16", {"ensemble": True}),
    (GmfssInterpolator, "fp16", {"variant": "union"}), (GmfssInterpolator, "fp32", {"variant": "union"}),
    (GmfssInterpolator, "fp16", {"variant": "base"}),
)


def synthetic_pairs(width: int, height: int, count: int) -> list[Pair]:
    """`count` pairs of synthetic frames 1/12 s apart, all moving (no held drawing to cross-fade)."""
    from tooncrafter_batch.synthetic import CartoonSpec, render_frame

    spec = CartoonSpec(width=width, height=height, num_frames=2 * count + 8, with_audio=False)
    frames = [render_frame(spec, Fraction(4 + 2 * index, 24)) for index in range(count + 1)]
    return [Pair(start, end) for start, end in itertools.pairwise(frames)]


def write_random_weights(folder: Path) -> Path:
    """Seeded random weights of every learned file, as .safetensors plus a manifest of their sha256."""
    from safetensors.torch import save_file

    from tooncrafter_batch.models.gmfss import GMFSS
    from tooncrafter_batch.weights.learned import MANIFEST_NAME, file_sha256

    torch.manual_seed(0)
    parts = {}
    for variant in ("union", "base"):
        model = GMFSS(variant)
        parts |= {name: getattr(model, attribute) for attribute, name in model.checkpoint_names().items()}
    hashes = {}
    for name, module in parts.items():
        path = folder / f"{name}.safetensors"
        save_file({key: value.contiguous() for key, value in module.state_dict().items()}, str(path))
        hashes[path.name] = file_sha256(path)
    (folder / MANIFEST_NAME).write_text(json.dumps({"files": hashes}))
    return folder


def measure(backend, pairs: list[Pair], batch_pairs: int, device: str) -> tuple[float, float]:
    """(output frames per second, peak GPU GiB or 0 on the CPU) over `pairs`, after one warm-up pair."""
    backend.interpolate(pairs[:1], [POSITIONS])
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    began = time.perf_counter()
    for first in range(0, len(pairs), batch_pairs):
        chunk = pairs[first:first + batch_pairs]
        backend.interpolate(chunk, [POSITIONS] * len(chunk))
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - began
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else 0.0
    return len(pairs) * len(POSITIONS) / seconds, peak


def run_table(args: argparse.Namespace, weights_dir: Path) -> list[str]:
    """The table's rows, one per configuration and pairs-per-call (printed as they come)."""
    pairs = synthetic_pairs(*args.size, args.pairs)
    rows, done = [], set()
    for backend_type, dtype, extra in CONFIGURATIONS:
        dtype = dtype if args.device == "cuda" else "fp32"  # the backends refuse half precision on the CPU
        if (key := (backend_type, dtype, tuple(extra.items()))) in done:
            continue
        done.add(key)
        backend = backend_type(device=args.device, dtype=dtype, weights_dir=str(weights_dir),
                               batch_pairs=max(args.batch_pairs), **extra)
        for batch_pairs in args.batch_pairs:
            fps, peak = measure(backend, pairs, batch_pairs, args.device)
            rows.append(f"| {backend_type.name} | {extra.get('variant', '')} | {dtype} | "
                        f"{'yes' if extra.get('ensemble') else 'no'} | {batch_pairs} | {fps:.2f} | {peak:.2f} |")
            print(rows[-1], flush=True)
    return rows


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cpu", "cuda"])
    parser.add_argument("--size", default=(1920, 1080), type=lambda text: tuple(map(int, text.split("x"))),
                        help="keyframe WIDTHxHEIGHT (default 1920x1080)")
    parser.add_argument("--pairs", type=int, default=8, help="timed pairs per configuration")
    parser.add_argument("--batch-pairs", type=int, nargs="+", default=[1, 4], help="pairs per interpolate call")
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument("--weights-dir", type=Path, default=REPO / "model" / "learned")
    weights.add_argument("--random-weights", action="store_true", help="seeded random weights: timing only")
    parser.add_argument("--output", type=Path, help="also write the table here (markdown)")
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda but torch sees no GPU; use --device cpu --size 320x192 --pairs 1")
    if not args.random_weights and not (args.weights_dir / "manifest.json").is_file():
        sys.exit(f"no learned weights in {args.weights_dir}; pass --weights-dir DIR or --random-weights")
    processor = torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or platform.machine()
    weights = "random weights" if args.random_weights else f"weights {args.weights_dir}"
    setting = (f"{processor}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, torch {torch.__version__}, {weights}, "
               f"{args.size[0]}x{args.size[1]}, {args.pairs} pairs x {len(POSITIONS)} in-betweens")
    header = [f"`python benchmarks/gpu_learned.py {' '.join(sys.argv[1:])}`", "", setting, "",
              "| backend | variant | dtype | ensemble | pairs/call | output frames/s | peak GPU GiB |",
              "|---|---|---|---|---|---|---|"]
    print("\n".join(header), flush=True)
    with tempfile.TemporaryDirectory(prefix="toonbatch-random-weights-") as scratch:
        weights_dir = write_random_weights(Path(scratch)) if args.random_weights else args.weights_dir
        rows = run_table(args, weights_dir)
    if args.output is not None:
        args.output.write_text("\n".join(header + rows) + "\n")


if __name__ == "__main__":
    main()
