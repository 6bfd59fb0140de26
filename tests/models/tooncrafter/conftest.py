"""Golden tensors and the tiny model's weights, copied from ../shared/reference into tests/data/reference."""

from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from tooncrafter_batch.models.tooncrafter.config import ModelConfig, model_config_from_mapping

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def load_config(name: str) -> ModelConfig:
    path = CONFIGS / name
    return model_config_from_mapping(yaml.safe_load(path.read_text()), str(path))


def submodule_state(state_dict: dict, prefix: str) -> dict:
    """The entries under `prefix`, with the prefix removed."""
    return {key[len(prefix):]: value for key, value in state_dict.items() if key.startswith(prefix)}


def _golden(name: str) -> dict:
    return load_file(REFERENCE / f"{name}.safetensors")


@pytest.fixture(scope="session")
def golden_schedule() -> dict:
    return _golden("golden_schedule")


@pytest.fixture(scope="session")
def tiny_state_dict() -> dict:
    return load_file(REFERENCE / "tiny_state_dict.safetensors")


@pytest.fixture(scope="session")
def tiny_config() -> ModelConfig:
    return load_config("tooncrafter_tiny.yaml")


@pytest.fixture(scope="session")
def config_512() -> ModelConfig:
    return load_config("tooncrafter_512.yaml")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


@pytest.fixture(scope="session")
def tiny_unet(tiny_config, tiny_state_dict):
    from tooncrafter_batch.models.tooncrafter.unet import UNet3D

    unet = UNet3D(tiny_config.unet)
    unet.load_state_dict(submodule_state(tiny_state_dict, "model.diffusion_model."), strict=True)
    return unet.eval()


@pytest.fixture(scope="session")
def tiny_resampler(tiny_config, tiny_state_dict):
    from tooncrafter_batch.models.tooncrafter.resampler import Resampler

    resampler = Resampler(tiny_config.resampler)
    resampler.load_state_dict(submodule_state(tiny_state_dict, "image_proj_model."), strict=True)
    return resampler.eval()


@pytest.fixture(scope="session")
def tiny_model(tiny_config, tiny_state_dict):
    """The whole tiny ToonCrafterModel with the tiny weights; its CLIP towers keep random weights (the golden
    files bypass them with stand-in tokens)."""
    from tooncrafter_batch.models.tooncrafter.model import ToonCrafterModel

    torch.manual_seed(0)
    model = ToonCrafterModel(tiny_config)
    result = model.load_state_dict(tiny_state_dict, strict=False)
    assert result.unexpected_keys == []
    assert all(key.startswith(("cond_stage_model.", "embedder.")) for key in result.missing_keys)
    return model.eval()


@pytest.fixture(scope="session")
def golden_interp_full() -> dict:
    return _golden("golden_interp_full")


@pytest.fixture(scope="session")
def golden_unet() -> dict:
    return _golden("golden_unet")


@pytest.fixture(scope="session")
def golden_resampler() -> dict:
    return _golden("golden_resampler")


@pytest.fixture(scope="session")
def tiny_autoencoder(tiny_config, tiny_state_dict):
    """The tiny config's VAE (ch 32, ch_mult 1,1,1,2, one res block) with the tiny weights, eval mode."""
    from tooncrafter_batch.models.tooncrafter.autoencoder import AutoencoderKLDualRef

    autoencoder = AutoencoderKLDualRef(tiny_config.autoencoder)
    autoencoder.load_state_dict(submodule_state(tiny_state_dict, "first_stage_model."), strict=True)
    return autoencoder.eval()


@pytest.fixture(scope="session")
def golden_vae_encode() -> dict:
    return _golden("golden_vae_encode")


@pytest.fixture(scope="session")
def golden_vae_decode() -> dict:
    return _golden("golden_vae_decode")
