"""Fixtures of the backend tests: the tiny ToonCrafter config at a chosen grid size."""

from pathlib import Path
from typing import Callable

import pytest
import yaml

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(scope="session")
def tiny_config_on_grid(tmp_path_factory) -> Callable[[int, int], str]:
    """(height, width) -> path of configs/tooncrafter_tiny.yaml with its grid set to that size (the weights do not
    depend on it: a small grid keeps CPU tests fast)."""
    def write(height: int, width: int) -> str:
        document = yaml.safe_load((CONFIGS / "tooncrafter_tiny.yaml").read_text())
        document.update(height=height, width=width)
        path = tmp_path_factory.mktemp("config") / f"tooncrafter_tiny_{height}x{width}.yaml"
        path.write_text(yaml.safe_dump(document))
        return str(path)
    return write
