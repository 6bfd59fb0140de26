"""What an interrupted run leaves in a job's output folder, removed at the start of the next run.

Two kinds of leftovers, and nothing else:
- hidden temporary files `.NAME.partial-PID.EXT` (a final file, a chunk or `report.json` being written when the
  driver was killed), next to this job's own outputs or in its chunk folders, once process PID is gone;
- chunk folders this job file made for its inputs under an earlier key (the settings changed or the input was
  replaced), unless a live process is writing into them. Another job file writing to the same folder keeps its own.
A file is only ever matched by its full name, so a user's files beside the outputs are never touched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .state import ProgressStore

# as VideoWriter (video/encode.py) and JobReport.write name their temporary files
_PARTIAL = re.compile(r"\.(?P<stem>.+)\.partial-(?P<pid>\d+)(?P<suffix>\.[^.]+)?")


def remove_leftovers(store: ProgressStore, outputs: list[Path], current_keys: dict[Path, str],
                     job: Path) -> list[Path]:
    """Delete the leftovers of killed runs of job file `job`; returns what was deleted.

    `outputs` are the files the job writes (its videos and `report.json`); `current_keys` maps each input to the
    key of its work under the job's present settings.
    """
    removed = []
    for key in store.stale_work(current_keys, job):
        folder = store.work / key
        if not any(_is_being_written(path) for path in _partials_in(folder)):
            store.remove_work(key)
            removed.append(folder)
    ours = {(output.parent, output.stem, output.suffix) for output in outputs}
    ours |= {(output.parent, output.name, "") for output in outputs}  # `.report.json.partial-PID`
    chunk_folders = {folder for folder in store.work.iterdir() if folder.is_dir()}
    for folder in chunk_folders | {output.parent for output in outputs}:
        for path in _partials_in(folder):
            match = _PARTIAL.fullmatch(path.name)
            is_ours = folder in chunk_folders or (folder, match["stem"], match["suffix"] or "") in ours
            if is_ours and not _is_being_written(path):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _partials_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [path for path in folder.glob(".*.partial-*") if path.is_file() and _PARTIAL.fullmatch(path.name)]


def _is_being_written(path: Path) -> bool:
    """Whether the process named in a temporary file's name still runs (this process counts as running)."""
    pid = int(_PARTIAL.fullmatch(path.name)["pid"])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
