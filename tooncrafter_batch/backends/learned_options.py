"""The learned backends' options (`rife`, `gmfss`), validated where they are made, and where their weights are.

Free of torch: the CLI and the job loader build and check these without loading the networks.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import CheckpointError, SettingsError
from .base import BackendSpec

DEVICES = ("cpu", "cuda")
DTYPES = ("fp32", "fp16", "bf16")
SCALES = (0.25, 0.5, 1.0)  # flow resolution: 1.0 up to 1080p, 0.5 for 4K (as the reference's scale option)
VARIANTS = ("union", "base")
MAX_THREADS = 4
FITS = ("pad", "stretch")  # gmfss: union also feeds RIFE's frame to the fusion network


@dataclass(frozen=True)
class LearnedOptions:
    """Options of the learned backends (picklable, so a Ray actor can build the backend)."""

    weights_dir: str | None = None  # converted weights; None: model/learned (or $TOONBATCH_WEIGHTS)
    weights: str | None = None  # rife only: one weights file (from `toonbatch finetune`) instead of weights_dir's
    device: str = "cpu"  # cpu | cuda
    dtype: str = "fp32"  # fp32 | fp16 | bf16 (half precision only on cuda)
    scale: float = 1.0  # resolution the motion is estimated at, relative to the frame
    ensemble: bool = False  # also run with the keyframes swapped (t -> 1 - t) and average: twice the work
    flip: bool = False  # also run on the mirrored keyframes and average (mirrored back): twice the work again
    batch_pairs: int = 1  # pairs per backend call (and per work unit)
    variant: str = "union"  # gmfss only
    threads: int | None = None  # CPU threads of the network; None: as many as cores, at most MAX_THREADS
    fit: str = "pad"  # a size the network cannot take: pad the border (measured better) | stretch (as the reference)

    def __post_init__(self):
        choices = {"device": DEVICES, "dtype": DTYPES, "variant": VARIANTS, "fit": FITS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if self.dtype != "fp32" and self.device == "cpu":
            raise SettingsError(f"dtype {self.dtype} needs device cuda; on the CPU the networks run in fp32")
        if self.scale not in SCALES:
            raise SettingsError(f"scale must be one of {', '.join(map(str, SCALES))}, got {self.scale}")
        if self.batch_pairs < 1:
            raise SettingsError(f"batch_pairs must be at least 1, got {self.batch_pairs}")
        if self.threads is not None and self.threads < 1:
            raise SettingsError(f"threads must be at least 1, got {self.threads}")

    def cpu_threads(self) -> int:
        """The pinned thread count: PyTorch's CPU convolutions round differently with 1 and 2 threads (1 level in
        a few pixels), so a backend always uses this count, whatever the executor (Ray sets OMP_NUM_THREADS=1 in
        actors): the same input gives the same frames on the same machine."""
        return self.threads or max(1, min(os.cpu_count() or 1, MAX_THREADS))

    @property
    def needs_gpu(self) -> bool:
        return self.device == "cuda"

    def backend_spec(self, name: str) -> BackendSpec:
        """The spec that builds backend `name` with these options anywhere (options sorted by name)."""
        return BackendSpec(name, tuple(sorted(dataclasses.asdict(self).items())))


def locate_learned_weights(options: LearnedOptions, name: str) -> LearnedOptions:
    """`options` naming the weights folder by absolute path, once its files for backend `name` are checked present
    (so Ray actors started elsewhere find them, and a missing file fails before any executor starts)."""
    from ..weights.learned import check_weights_present, default_weights_dir  # torch loads only here

    if options.weights is not None:
        return _locate_weights_file(options, name)
    folder = Path(options.weights_dir) if options.weights_dir is not None else default_weights_dir()
    check_weights_present(name, folder)
    return dataclasses.replace(options, weights_dir=str(folder.resolve()))


def _locate_weights_file(options: LearnedOptions, name: str) -> LearnedOptions:
    if name != "rife":
        raise SettingsError(f"weights (one file) is a rife option; {name} loads a folder: pass weights_dir instead")
    path = Path(options.weights)
    if not path.is_file():
        raise CheckpointError(f"no weights file at {path}; pass a .safetensors file from `toonbatch finetune`")
    return dataclasses.replace(options, weights=str(path.resolve()))


def learned_weights_present(name: str, weights_dir: Path | None = None) -> bool:
    """Whether backend `name` would find its weights (in `weights_dir`, or the default folder)."""
    try:
        locate_learned_weights(LearnedOptions(weights_dir=None if weights_dir is None else str(weights_dir)), name)
    except CheckpointError:
        return False
    return True
