"""Synthetic archives for the job tests: a few short clips (one with a cut), plus the bad files an archive holds."""

import sys
from pathlib import Path

import pytest

# --import-mode=importlib puts no test folder on sys.path; the helpers beside this file are imported by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from job_cases import CLIPS  # noqa: E402
from tooncrafter_batch.synthetic import write_cartoon  # noqa: E402


@pytest.fixture(scope="session")
def clean_archive(tmp_path_factory) -> Path:
    """A folder with three good clips, two of them in sub-folders."""
    root = tmp_path_factory.mktemp("archive")
    for name, spec in CLIPS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write_cartoon(root / name, spec)
    return root


@pytest.fixture(scope="session")
def messy_archive(clean_archive, tmp_path_factory) -> Path:
    """The clean archive plus a corrupt clip, a zero-length clip and a text file."""
    root = tmp_path_factory.mktemp("messy")
    for name in CLIPS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes((clean_archive / name).read_bytes())
    (root / "broken.mp4").write_bytes((clean_archive / "ep3.mp4").read_bytes()[:2500])
    (root / "empty.mov").write_bytes(b"")
    (root / "show" / "notes.txt").write_text("episode list\n")
    return root
