"""Fixtures of the executor tests."""

import sys
from pathlib import Path

import pytest

# --import-mode=importlib puts no test folder on sys.path; the helpers beside this file are imported by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from executor_cases import make_units  # noqa: E402
from tooncrafter_batch.orchestration.base import WorkUnit  # noqa: E402


@pytest.fixture(scope="package")
def units() -> list[WorkUnit]:
    return make_units(12)
