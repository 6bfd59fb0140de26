"""Models from configs and weights: the YAML model configs (read here, at the edge, into the typed configs of
`models.tooncrafter`), the model a config describes, and the sketch encoder with its checkpoint.

This module imports torch and the model code; only the paths that build a model import it (`store.py`
names and fetches the files without them).
"""

from __future__ import annotations

from pathlib import Path

import torch
import yaml
from torch import nn

from ..errors import SettingsError
from ..models.tooncrafter.config import ModelConfig, model_config_from_mapping
from ..models.tooncrafter.model import ToonCrafterModel
from ..models.tooncrafter.sketch_encoder import SketchEncoder, SketchEncoderConfig
from .checkpoint import load_checkpoint, state_dict_layout
from .store import find_sketch_checkpoint

# config class -> the model it builds (a config file's `kind` picks the class, see models.tooncrafter.config)
MODEL_CLASSES: dict[type, type[nn.Module]] = {ModelConfig: ToonCrafterModel, SketchEncoderConfig: SketchEncoder}


def load_model_config(path: Path | None) -> ModelConfig | SketchEncoderConfig:
    """A model config file (its `kind` says which model), or the official 512 model's config without one."""
    if path is None:
        return ModelConfig()
    if not path.is_file():
        raise SettingsError(f"no model config at {path}; pass --config with a file from configs/")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise SettingsError(f"{path} is not valid YAML: {' '.join(str(error).split())}") from None
    return model_config_from_mapping(document, str(path))


def build_model(config: ModelConfig | SketchEncoderConfig, device: torch.device | str = "cpu") -> nn.Module:
    """The model a config describes, with fresh (random) weights, built directly on `device` ("meta": no memory)."""
    with torch.device(device):
        return MODEL_CLASSES[type(config)](config)


def model_layout(config: ModelConfig | SketchEncoderConfig) -> dict[str, tuple[int, ...]]:
    """Every state-dict key of the configured model with its shape (built on the meta device)."""
    return state_dict_layout(build_model(config, "meta"))


def load_sketch_encoder(checkpoint: Path | None = None, config: SketchEncoderConfig = SketchEncoderConfig(),
                        device: torch.device | str = "cpu", random_weights: bool = False) -> SketchEncoder:
    """The sketch encoder with the weights of `checkpoint` (default model/sketch_encoder.ckpt), in eval mode.

    The file is the official `.ckpt` (read with weights_only, bare or under "state_dict") or a converted `.safetensors`
    (fp16 included); `random_weights` skips it (smoke runs of the tiny config).
    """
    # the file is found before building: the full encoder is 364 M parameters
    path = None if random_weights else find_sketch_checkpoint(checkpoint)
    encoder = build_model(config, device)
    if path is not None:
        load_checkpoint(encoder, path)
    return encoder.eval()
