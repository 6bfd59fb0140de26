"""Fixtures of the executor tests."""

import pytest

from executor_cases import make_units
from tooncrafter_batch.orchestration.base import WorkUnit


@pytest.fixture(scope="package")
def units() -> list[WorkUnit]:
    return make_units(12)
