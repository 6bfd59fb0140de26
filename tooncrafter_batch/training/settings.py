"""The settings of a fine-tuning run, validated where they are made (the CLI and the YAML loader build them)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import SettingsError
from .triplets import TripletSettings

BACKENDS = ("rife", "tooncrafter")  # what can be fine-tuned today
DEVICES = ("cpu", "cuda")
RECIPES = ("rectification", "released")  # which ToonCrafter weights train; recipes.py says which keys each names


@dataclass(frozen=True)
class TrainingSettings:
    num_steps: int = 300  # optimiser steps in all (a resumed run goes on to this many)
    batch_size: int = 4  # triplet crops per step and worker
    crop: int = 256  # px, square training crops (a multiple of 32)
    learning_rate: float = 2e-5  # AdamW; small, so the released weights are adapted, not replaced
    weight_decay: float = 1e-4
    validation_fraction: float = 0.2  # of the triplets, held out by shot; 0: no validation, the last step is kept
    validate_every: int = 50  # steps; the best validation PSNR so far is the result
    max_validation: int = 32  # triplets scored at full size per validation, taken evenly from the held-out ones
    save_every: int = 25  # steps between saves of the training state (resume point)
    seed: int = 0

    def __post_init__(self):
        for name in ("num_steps", "batch_size", "validate_every", "max_validation", "save_every"):
            if isinstance(getattr(self, name), bool) or getattr(self, name) < 1:
                raise SettingsError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.crop < 32 or self.crop % 32:
            raise SettingsError(f"crop must be a multiple of 32 pixels, got {self.crop}")
        if not 0 < self.learning_rate < 1:
            raise SettingsError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if self.weight_decay < 0:
            raise SettingsError(f"weight_decay must be at least 0, got {self.weight_decay}")
        if not 0 <= self.validation_fraction < 1:
            raise SettingsError(f"validation_fraction must be in [0, 1), got {self.validation_fraction}")


@dataclass(frozen=True)
class RectificationSettings:
    """ToonCrafter fine-tuning (the paper's "toon rectification learning"); see training/recipes.py."""

    config: Path | None = None  # model config YAML (configs/*.yaml); None: the official 512 model
    recipe: str = "rectification"  # rectification: spatial layers + context projector (paper) | released: all UNet
    lora_rank: int = 0  # 0: train the recipe's weights; > 0: adapters of this rank (alpha = rank) on its attention
    gradient_checkpointing: bool = False  # recompute UNet activations in the backward pass (memory for time)
    bf16: bool = False  # autocast the forward to bfloat16 (CUDA only); the weights and optimiser stay float32
    condition_dropout: float = 0.05  # per sample: text only, image only, both dropped, each this often (for CFG)
    max_stride: int = 2  # clips take every 1st .. max_stride-th frame; the clip's rate is the fs condition
    prompt: str = ""  # the text condition of every clip
    gradient_clip: float = 0.5  # max gradient norm (the released training config)
    validation_steps: int = 10  # DDIM steps of the in-betweens generated for validation (the reference samples 50)

    def __post_init__(self):
        if self.recipe not in RECIPES:
            raise SettingsError(f"tooncrafter recipe must be one of {', '.join(RECIPES)}, got {self.recipe!r}")
        if isinstance(self.lora_rank, bool) or self.lora_rank < 0:
            raise SettingsError(f"lora_rank must be 0 (no adapters) or a positive rank, got {self.lora_rank!r}")
        if not 0 <= self.condition_dropout <= 1 / 3:
            raise SettingsError(f"condition_dropout must be in [0, 1/3] (three dropped cases share the draw), "
                                f"got {self.condition_dropout}")
        if isinstance(self.max_stride, bool) or self.max_stride < 1:
            raise SettingsError(f"max_stride must be a positive integer, got {self.max_stride!r}")
        if isinstance(self.validation_steps, bool) or self.validation_steps < 1:
            raise SettingsError(f"validation_steps must be a positive integer, got {self.validation_steps!r}")
        if self.gradient_clip <= 0:
            raise SettingsError(f"gradient_clip must be positive, got {self.gradient_clip}")


@dataclass(frozen=True)
class FinetuneJob:
    """One fine-tuning run: footage in, a weights file out, starting from the released (or given) weights."""

    inputs: tuple[Path, ...]
    output: Path  # NAME.safetensors; the training state goes beside it
    backend: str = "rife"
    weights: Path | None = None  # the weights to start from; None: the released ones in weights_dir
    weights_dir: Path | None = None  # None: model/learned (or $TOONBATCH_WEIGHTS)
    device: str = "cpu"
    threads: int | None = None  # CPU threads; None: as the backends (cores, at most 4). 1 is faster on a busy machine
    input_fps: Fraction | None = None  # PNG folders only
    triplets: TripletSettings = TripletSettings()
    training: TrainingSettings = TrainingSettings()
    tooncrafter: RectificationSettings = RectificationSettings()  # backend tooncrafter only

    def __post_init__(self):
        if not self.inputs:
            raise SettingsError("finetune needs at least one input video or PNG folder")
        if self.backend not in BACKENDS:
            raise SettingsError(f"finetune supports --backend {', '.join(BACKENDS)}; got {self.backend!r}")
        if self.device not in DEVICES:
            raise SettingsError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.threads is not None and self.threads < 1:
            raise SettingsError(f"threads must be at least 1, got {self.threads}")
        if Path(self.output).suffix != ".safetensors":
            raise SettingsError(f"--out must name a .safetensors file, got {self.output}")
        if self.tooncrafter.bf16 and self.device != "cuda":
            raise SettingsError("bf16 training needs --device cuda; on the CPU it trains in float32")

    def fingerprint(self) -> str:
        """What a resume must share with the saved run: footage and settings (not the number of steps, nor
        gradient checkpointing, which changes only the memory a step takes)."""
        training = dataclasses.replace(self.training, num_steps=1)
        rectification = dataclasses.replace(self.tooncrafter, gradient_checkpointing=False)
        return json.dumps({"inputs": [str(Path(path).resolve()) for path in self.inputs],
                           "weights": None if self.weights is None else str(Path(self.weights).resolve()),
                           "triplets": repr(self.triplets), "training": repr(training),
                           **({"tooncrafter": repr(rectification)} if self.backend == "tooncrafter" else {})},
                          sort_keys=True)
