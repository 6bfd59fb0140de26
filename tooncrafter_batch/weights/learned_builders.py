"""The learned interpolators' networks, built with their converted weights (see learned.py) loaded strictly."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import CheckpointError
from ..models.gmfss.gmfss import GMFSS
from ..models.rife import IFNet
from .checkpoint import compare_layout, load_checkpoint, state_dict_layout
from .learned import default_weights_dir, load_learned_state_dict


def build_rife(weights_dir: Path | None = None, device: torch.device | str = "cpu", weights: Path | None = None
               ) -> IFNet:
    """RIFE 4.x IFNet in eval mode on `device`: the `weights` file (a fine-tuned one, checked key by key), else the
    released `rife` weights of `weights_dir`."""
    if weights is not None:
        network = IFNet()
        load_checkpoint(network, weights)
        return network.to(device).eval()
    return load_learned_weights(IFNet(), "rife", weights_dir).to(device).eval()


def build_gmfss(variant: str = "union", flow_scale: float = 1.0, weights_dir: Path | None = None,
                device: torch.device | str = "cpu") -> GMFSS:
    """GMFSS Fortuna ("union" or "base"), each part with its own weights file, in eval mode on `device`."""
    model = GMFSS(variant, flow_scale)
    for attribute, name in model.checkpoint_names().items():
        load_learned_weights(getattr(model, attribute), name, weights_dir)
    return model.to(device).eval()


def load_learned_weights(model: nn.Module, name: str, weights_dir: Path | None = None) -> nn.Module:
    """Loads the verified `<name>.safetensors` into `model` strictly; mismatched keys are a CheckpointError."""
    state_dict = load_learned_state_dict(name, weights_dir)
    found = {key: tuple(value.shape) for key, value in state_dict.items()}
    where = Path(weights_dir if weights_dir is not None else default_weights_dir()) / f"{name}.safetensors"
    report = compare_layout(where, found, state_dict_layout(model))
    if not report.is_match:
        raise CheckpointError(report.summary())
    model.load_state_dict(state_dict, strict=True)
    return model
