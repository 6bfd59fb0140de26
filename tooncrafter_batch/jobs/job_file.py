"""Writing a job file: the settings of one run saved as YAML that `toonbatch run` (and `load_job`) read back."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import yaml

from ..errors import OutputError
from ..planning.timing import TimingSettings
from .spec import JobSpec, parse_job


def job_text(inputs: Sequence[str], output: str, timing: TimingSettings, backend: str) -> str:
    """A job's YAML: `inputs` and `output` relative to the job file's folder, the rate, backend and dedupe mode."""
    rate = {"factor": timing.factor} if timing.factor is not None else {"fps": str(timing.fps)}
    fields = {"inputs": list(inputs), "output": output, **rate, "backend": backend, "dedupe": timing.dedupe.value}
    header = "# Saved by toonbatch ui. Run: toonbatch run THIS_FILE (paths are relative to this file's folder)\n"
    return header + yaml.safe_dump(fields, sort_keys=False)


def write_job_file(path: Path, inputs: Sequence[str], output: str, timing: TimingSettings, backend: str) -> JobSpec:
    """Write the job's YAML to `path` once it has been read back as a valid job (replacing an older file)."""
    text = job_text(inputs, output, timing, backend)
    spec = parse_job(text, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as error:
        raise OutputError(f"cannot write job file {path}: {error.strerror}") from None
    return spec
