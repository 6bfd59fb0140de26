"""What a fine-tuning run keeps on disk: the best weights (the result) and a training state to resume from.

The result is a .safetensors file with the released weights' keys (it loads wherever `rife.safetensors` does, via
the `weights` option). The state file beside it (`NAME.state.pt`) holds the step, the current weights, the optimiser
and the scores so far; it is a plain tensor pickle, read back with `weights_only=True`. Both are written to a
temporary file renamed at the end, so a crash leaves the previous version whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..errors import CheckpointError
from ..weights.checkpoint import save_safetensors

STATE_SUFFIX = ".state.pt"


@dataclass(frozen=True)
class Score:
    """Validation scores of one set of weights: mean PSNR (dB) and SSIM over the validation triplets."""

    step: int
    psnr: float
    ssim: float


@dataclass
class TrainingState:
    """Where a run stands; `run` names the footage and settings it belongs to (a resume must match it)."""

    run: str
    step: int = 0
    scores: list[Score] = field(default_factory=list)
    model: dict[str, torch.Tensor] | None = None
    optimizer: dict | None = None

    @property
    def best(self) -> Score | None:
        return max(self.scores, key=lambda score: score.psnr, default=None)


def state_path(output: Path) -> Path:
    """The state file beside the output: model/show.safetensors -> model/show.state.pt."""
    return output.with_name(output.stem + STATE_SUFFIX)


def save_weights(network: nn.Module, output: Path) -> Path:
    """The network's weights in float32 under the released key names (temporary file, then rename)."""
    return save_safetensors(network, output, dtype=torch.float32)


def save_state(state: TrainingState, path: Path) -> None:
    document = {"run": state.run, "step": state.step, "model": state.model, "optimizer": state.optimizer,
                "scores": [[score.step, score.psnr, score.ssim] for score in state.scores]}
    partial = path.with_name(path.name + ".partial")
    torch.save(document, partial)
    partial.replace(path)


def load_state(path: Path, run: str) -> TrainingState | None:
    """The saved state of this run, None when there is none; a CheckpointError when it belongs to another run."""
    if not path.is_file():
        return None
    try:
        document = torch.load(path, map_location="cpu", weights_only=True)
        state = TrainingState(run=document["run"], step=int(document["step"]), model=document["model"],
                              optimizer=document["optimizer"],
                              scores=[Score(int(step), float(psnr), float(ssim)) for step, psnr, ssim in document["scores"]])
    except (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError) as error:
        raise CheckpointError(f"cannot resume from {path} ({error}); delete it to start over") from None
    if state.run != run:
        raise CheckpointError(f"{path} belongs to another fine-tuning run (other footage or settings); delete it to "
                              "start over, or choose another --out")
    return state
