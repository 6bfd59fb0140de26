"""Golden tensors and the tiny model's weights, copied from ../shared/reference into tests/data/reference."""

from pathlib import Path

import pytest
from safetensors.torch import load_file

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"


def _golden(name: str) -> dict:
    return load_file(REFERENCE / f"{name}.safetensors")


@pytest.fixture(scope="session")
def golden_schedule() -> dict:
    return _golden("golden_schedule")


@pytest.fixture(scope="session")
def tiny_state_dict() -> dict:
    return load_file(REFERENCE / "tiny_state_dict.safetensors")


@pytest.fixture(scope="session")
def tiny_autoencoder(tiny_state_dict):
    """The VAE of tiny_config.yaml (ch 32, ch_mult 1,1,1,2, one res block) with the tiny weights, eval mode."""
    from tooncrafter_batch.diffusion.autoencoder import AutoencoderConfig, AutoencoderKLDualRef

    autoencoder = AutoencoderKLDualRef(AutoencoderConfig(ch=32, ch_mult=(1, 1, 1, 2), num_res_blocks=1))
    prefix = "first_stage_model."
    autoencoder.load_state_dict({k[len(prefix):]: v for k, v in tiny_state_dict.items() if k.startswith(prefix)})
    return autoencoder.eval()


@pytest.fixture(scope="session")
def golden_vae_encode() -> dict:
    return _golden("golden_vae_encode")


@pytest.fixture(scope="session")
def golden_vae_decode() -> dict:
    return _golden("golden_vae_decode")
