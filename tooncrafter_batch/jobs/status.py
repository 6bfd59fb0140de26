"""Where a job stands, read from its output folder without running or decoding anything (`toonbatch ui`'s list).

A job has not started until its state folder exists; it is stopped while unfinished chunks wait in
`.toonbatch/work/` (running it again resumes from them); otherwise its last `report.json` says how it ended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import JobSpecError
from ..reporting.report_file import REPORT_HTML
from .report import DONE, FAILED, SKIPPED
from .runner import REPORT_NAME
from .spec import JobSpec, load_job
from .state import STATE_FOLDER

NOT_STARTED, STOPPED, FINISHED, INVALID = "not started", "stopped", "finished", "invalid"


@dataclass(frozen=True)
class JobStatus:
    job: Path
    state: str  # not started | stopped | finished | invalid
    detail: str  # one line: the counts of the last run, the chunks kept, or why the file is invalid
    report_page: Path | None = None  # the quality report's page, where the job wrote one

    @property
    def is_resumable(self) -> bool:
        return self.state == STOPPED


def job_status(spec: JobSpec) -> JobStatus:
    """The state of `spec`'s job from its output folder."""
    state_folder = spec.output / STATE_FOLDER
    page = spec.output / REPORT_HTML
    page = page if page.is_file() else None
    if not state_folder.is_dir():
        return JobStatus(spec.file, NOT_STARTED, f"writes to {spec.output}")
    kept = sum(1 for _ in (state_folder / "work").glob("*/chunk_*"))
    if kept:
        return JobStatus(spec.file, STOPPED, f"{kept} finished chunk(s) kept; run it again to resume", page)
    report = spec.output / REPORT_NAME
    try:
        videos = json.loads(report.read_text())["videos"]
    except (OSError, ValueError, KeyError, TypeError):
        return JobStatus(spec.file, STOPPED, f"no readable {REPORT_NAME}; run it again to finish", page)
    counts = {status: sum(video.get("status") == status for video in videos) for status in (DONE, SKIPPED, FAILED)}
    return JobStatus(spec.file, FINISHED, ", ".join(f"{count} {status}" for status, count in counts.items()), page)


def list_jobs(folder: Path) -> list[JobStatus]:
    """Every `*.yaml` / `*.yml` job file directly in `folder`, by name; a file that is not a valid job says why."""
    statuses = []
    for path in sorted([*Path(folder).glob("*.yaml"), *Path(folder).glob("*.yml")]):
        try:
            statuses.append(job_status(load_job(path)))
        except JobSpecError as error:
            statuses.append(JobStatus(path.resolve(), INVALID, str(error)))
    return statuses
