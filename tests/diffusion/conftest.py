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
