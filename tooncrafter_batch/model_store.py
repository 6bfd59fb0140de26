"""Where model weights and model configs come from: the checkpoint's location, its opt-in download from the
Hugging Face hub, and the YAML model configs (read here, at the edge, into the typed configs of `diffusion`).

The model package never downloads or reads YAML; this module does both for the CLI and the backends.
"""

from __future__ import annotations

from pathlib import Path

import torch
import yaml
from torch import nn

from .diffusion.checkpoint import load_checkpoint, state_dict_layout
from .diffusion.config import ModelConfig, model_config_from_mapping
from .diffusion.model import ToonCrafterModel
from .diffusion.sketch_encoder import SketchEncoder, SketchEncoderConfig
from .errors import CheckpointError, SettingsError

DEFAULT_CHECKPOINT = Path("model/tooncrafter_512_interp_v1/model.ckpt")  # where the reference expects it
DEFAULT_SKETCH_CHECKPOINT = Path("model/sketch_encoder.ckpt")  # sketch_encoder.ckpt of the same hub repo
HUB_REPO = "Doubiiu/ToonCrafter"
HUB_FILENAME = "model.ckpt"

# config class -> the model it builds (a config file's `kind` picks the class, see diffusion.config)
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


def find_checkpoint(path: Path | None = None, download: bool = False) -> Path:
    """The checkpoint file to load: `path` or the default location; downloaded there first when asked.

    Without the file (and without `download`), a CheckpointError says what to download and where to put it.
    """
    target = path if path is not None else DEFAULT_CHECKPOINT
    if target.is_file():
        return target
    if download:
        return download_checkpoint(target)
    raise CheckpointError(f"no checkpoint at {target}; download {HUB_REPO} {HUB_FILENAME} and put it there, "
                          f"or pass --checkpoint PATH (or --download to fetch it, about 10 GB)")


def download_checkpoint(target: Path = DEFAULT_CHECKPOINT) -> Path:
    """Fetches the official checkpoint from the Hugging Face hub to `target` (about 10 GB; needs the network)."""
    from huggingface_hub import hf_hub_download  # imported here: only this opt-in path needs it

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        downloaded = Path(hf_hub_download(repo_id=HUB_REPO, filename=HUB_FILENAME, local_dir=target.parent))
    except Exception as error:  # the hub client raises many kinds (offline, HTTP, disk); all mean the same here
        raise CheckpointError(f"cannot download {HUB_REPO} {HUB_FILENAME} ({type(error).__name__}: "
                              f"{' '.join(str(error).split())[:200]}); download it by hand and put it at "
                              f"{target}, or pass --checkpoint PATH") from None
    if downloaded != target:
        downloaded.replace(target)
    return target


def load_sketch_encoder(checkpoint: Path | None = None, config: SketchEncoderConfig = SketchEncoderConfig(),
                        device: torch.device | str = "cpu", random_weights: bool = False) -> SketchEncoder:
    """The sketch encoder with the weights of `checkpoint` (default model/sketch_encoder.ckpt), in eval mode.

    The file is the official `.ckpt` (read with weights_only, bare or under "state_dict") or a converted `.safetensors`
    (fp16 included); `random_weights` skips it (smoke runs of the tiny config).
    """
    path = checkpoint if checkpoint is not None else DEFAULT_SKETCH_CHECKPOINT
    if not random_weights and not path.is_file():  # checked before building: the full encoder is 364 M parameters
        raise CheckpointError(f"no sketch encoder at {path}; download {HUB_REPO} sketch_encoder.ckpt and put it "
                              f"there, or pass --sketch-checkpoint PATH")
    encoder = build_model(config, device)
    if not random_weights:
        load_checkpoint(encoder, path)
    return encoder.eval()
