"""Where quality reports live, and their files written atomically (a temporary file renamed into place).

- a job: `report.json` (one entry per video, each with its `quality` section) and `report.html` in its output folder;
- one `upscale-fps` output `NAME.EXT` (or a folder of PNGs `NAME/`): `NAME.report.json` and `NAME.report.html`
  beside it, with a single entry.
The page is always rendered from the JSON, so `toonbatch report` can draw it again at any time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import ReportError
from .page import render_page
from .records import VideoQuality

REPORT_JSON, REPORT_HTML = "report.json", "report.html"


def report_paths(output: Path) -> tuple[Path, Path]:
    """The report files of one `upscale-fps` output (a file or a folder of PNGs): beside it, never inside."""
    name = output.name if output.is_dir() else output.stem
    return output.parent / f"{name}.report.json", output.parent / f"{name}.report.html"


def page_path(json_path: Path) -> Path:
    """`report.json` -> `report.html`; `NAME.report.json` -> `NAME.report.html`."""
    return json_path.with_suffix(".html")


def write_text_atomically(path: Path, text: str) -> None:
    """Write `.NAME.partial-PID` beside `path`, then rename it onto `path` (readers never see half a file)."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def write_report_files(json_path: Path, videos: list[dict]) -> Path:
    """Write the report `{"videos": videos}` to `json_path`, then its page; returns the page's path."""
    write_text_atomically(json_path, json.dumps({"videos": videos}, indent=1) + "\n")
    return write_page(json_path)


def write_page(json_path: Path) -> Path:
    """Render the page of the report `json_path` beside it; returns the page's path."""
    document = load_report(json_path)
    path = page_path(json_path)
    write_text_atomically(path, render_page(document, json_path.name))
    return path


def load_report(json_path: Path) -> dict:
    """The report's JSON document: {"videos": [{"input", "output", "status", ..., "quality": {...} | null}]}."""
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportError(f"cannot read report {json_path}: {error.strerror}") from None
    except ValueError as error:
        raise ReportError(f"report {json_path} is not valid JSON ({error}); run the job again to rewrite it") from None
    if not isinstance(document, dict) or not isinstance(document.get("videos"), list):
        raise ReportError(f"{json_path} is not a toonbatch report (no 'videos' list)")
    return document


def locate_report(path: Path) -> Path:
    """The report JSON for `path`: a job's output folder, an `upscale-fps` output (file or PNG folder), or the
    report JSON itself."""
    candidates = [path] if path.suffix == ".json" else []
    if path.is_dir():
        candidates.append(path / REPORT_JSON)
    candidates.append(report_paths(path)[0])
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ReportError(f"no quality report for {path}: expected {' or '.join(str(item) for item in candidates)}; "
                      "run `toonbatch upscale-fps` or `toonbatch run` on it (without --no-report / report: false)")


def save_quality(folder: Path, key: str, quality: VideoQuality) -> None:
    """Keep a finished video's section in a job's state folder, for the runs that find the video already done."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomically(folder / f"{key}.json", json.dumps(quality.as_dict()))


def load_quality(folder: Path, key: str) -> VideoQuality | None:
    """The section `save_quality` kept for `key`, or None when there is none (or it cannot be read)."""
    try:
        return VideoQuality.from_dict(json.loads((folder / f"{key}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
