"""The one folder `toonbatch ui` writes to: uploads, results and saved jobs, each in a sub-folder of its own."""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError

UPLOADS = ".uploads"  # Gradio's upload and cache folder (GRADIO_TEMP_DIR): removed when the server stops


@dataclass(frozen=True)
class Workspace:
    root: Path  # absolute

    @classmethod
    def create(cls, folder: Path) -> "Workspace":
        root = Path(folder).resolve()
        try:
            for name in (UPLOADS, "videos", "keyframes", "jobs"):
                (root / name).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create the output folder {root}: {error.strerror}; pass --output DIR "
                              "for a writable folder") from None
        return cls(root)

    @property
    def uploads(self) -> Path:
        return self.root / UPLOADS

    @property
    def videos(self) -> Path:
        return self.root / "videos"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    def new_folder(self, kind: str, stem: str) -> Path:
        """A fresh folder `kind/stem`, `kind/stem-2`... for one run's files."""
        for number in itertools.count(1):
            folder = self.root / kind / (stem if number == 1 else f"{stem}-{number}")
            if not folder.exists():
                folder.mkdir(parents=True)
                return folder

    def check_inside(self, path: Path, what: str) -> Path:
        """`path` resolved, or `OutputError` when it lies outside the workspace (the UI writes nowhere else)."""
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(self.root):
            raise OutputError(f"{what} {resolved} lies outside the UI's output folder {self.root}; "
                              f"put it below that folder, or start toonbatch ui with --output pointing above it")
        return resolved

    def remove_uploads(self) -> None:
        shutil.rmtree(self.uploads, ignore_errors=True)
