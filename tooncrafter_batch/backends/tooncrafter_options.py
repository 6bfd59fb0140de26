"""The `tooncrafter` backend's options and the sketch guidance options, validated where they are made.

Free of torch: the CLI builds and checks these (and finds the checkpoint) without loading the model code, which
only `tooncrafter.py` imports, when the backend is built.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..errors import SettingsError
from ..imaging.grid_fit import FitMode
from ..models.tooncrafter.sampling_settings import DEFAULT_CONTROL_SCALE, SamplingSettings
from ..weights.store import find_checkpoint
from .base import BackendSpec

DEVICES = ("cpu", "cuda")
DTYPES = ("fp32", "bf16", "fp16")  # tooncrafter.TORCH_DTYPES maps each to its torch dtype
UNSKETCHED_MODES = ("blank", "masked")


@dataclass(frozen=True)
class ToonCrafterOptions:
    """The backend's options (picklable, so a Ray actor can build the backend); sampling defaults are the reference's."""

    config: str | None = None  # model config YAML (configs/*.yaml); None: the official 512 model
    checkpoint: str | None = None  # weights file; None: model/tooncrafter_512_interp_v1/model.ckpt
    random_weights: bool = False  # no checkpoint: weights drawn with `seed` (smoke tests, benchmarks)
    device: str = "cpu"  # cpu | cuda
    dtype: str = "fp32"  # fp32 | bf16 | fp16
    steps: int = SamplingSettings.num_steps
    cfg_scale: float = SamplingSettings.cfg_scale
    fs: int = SamplingSettings.fs
    eta: float = SamplingSettings.eta
    seed: int = SamplingSettings.seed
    prompt: str = ""
    fit: str = FitMode.pad.value  # pad | crop (see grid_fit)
    batch_pairs: int = 1  # pairs per model call
    full_resolution: bool = True  # draw in-betweens from the full-size keyframes (full_resolution.py), not upscaled

    def __post_init__(self):
        choices = {"device": DEVICES, "dtype": DTYPES, "fit": tuple(mode.value for mode in FitMode)}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise SettingsError(f"tooncrafter {name} must be one of {', '.join(allowed)}, "
                                    f"got {getattr(self, name)!r}")
        if self.batch_pairs < 1:
            raise SettingsError(f"tooncrafter batch_pairs must be at least 1, got {self.batch_pairs}")
        if self.random_weights and self.checkpoint is not None:
            raise SettingsError("--random-weights and --checkpoint exclude each other; drop one of them")
        self.sampling()  # validates steps, cfg_scale, fs and eta

    def sampling(self) -> SamplingSettings:
        return SamplingSettings(num_steps=self.steps, cfg_scale=self.cfg_scale, eta=self.eta, fs=self.fs,
                                seed=self.seed)

    @property
    def needs_gpu(self) -> bool:
        return self.device == "cuda"

    def backend_spec(self) -> BackendSpec:
        """The spec that builds this backend anywhere (options sorted by name, as job files give them)."""
        return BackendSpec("tooncrafter", tuple(sorted(dataclasses.asdict(self).items())))


@dataclass(frozen=True)
class SketchOptions:
    """How sketches steer ToonCrafter; defaults are the community apps' (scale 0.6, blank unsketched frames)."""

    checkpoint: str | None = None  # sketch encoder weights; None: model/sketch_encoder.ckpt
    config: str | None = None  # sketch encoder config (configs/sketch_encoder*.yaml); None: the released encoder
    scale: float = DEFAULT_CONTROL_SCALE  # control scale the residuals are added with; 0 turns guidance off
    unsketched: str = "blank"  # frames without a sketch: blank (a blank hint, as the apps) | masked (no residuals)

    def __post_init__(self):
        if self.unsketched not in UNSKETCHED_MODES:
            raise SettingsError(f"--sketch-frames must be one of {', '.join(UNSKETCHED_MODES)}, "
                                f"got {self.unsketched!r}")
        if not 0.0 <= self.scale <= 2.0:
            raise SettingsError(f"--sketch-scale must lie in [0, 2] (the apps use 0..1, default 0.6), got {self.scale}")


def locate_weights(options: ToonCrafterOptions, download: bool = False) -> ToonCrafterOptions:
    """`options` naming the files to load by absolute path: the checkpoint (fetched from the hub first when
    `download`) and the config, so Ray actors started in another folder find them.

    Called where the options are made (the CLI), so a missing checkpoint fails with its one-line guidance before
    any executor starts; random weights need no file.
    """
    config = None if options.config is None else str(Path(options.config).resolve())
    if options.random_weights:
        return dataclasses.replace(options, config=config)
    path = find_checkpoint(Path(options.checkpoint) if options.checkpoint is not None else None, download=download)
    return dataclasses.replace(options, config=config, checkpoint=str(path.resolve()))
