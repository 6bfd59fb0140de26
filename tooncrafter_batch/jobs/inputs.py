"""Input discovery (files, folders searched recursively, globs) and the output path of each input."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, JobSpecError
from ..video.encode import output_container_for
from .spec import JobSpec, VideoSettings

VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm", ".flv", ".ts", ".m2ts", ".mts",
                              ".mpg", ".mpeg", ".wmv", ".ogv", ".3gp", ".vob", ".dv", ".mxf"})


@dataclass(frozen=True)
class FoundInput:
    path: Path  # absolute
    relative: str  # to the job file's folder: what `overrides[].match` and the report see
    folder: str  # sub-folder inside the input folder it was found in ("" for a file or a glob match)

    @property
    def is_video(self) -> bool:
        return self.path.suffix.lower() in VIDEO_EXTENSIONS


def discover_inputs(spec: JobSpec) -> list[FoundInput]:
    """Every file the job's inputs name, once each, in input order (sorted inside a folder or a glob)."""
    found: dict[Path, FoundInput] = {}
    for entry in spec.inputs:
        for item in _expand(entry, spec):
            found.setdefault(item.path, item)
    return list(found.values())


def _expand(entry: str, spec: JobSpec) -> list[FoundInput]:
    target = spec.folder / entry
    if glob.has_magic(entry):
        matches = sorted(Path(name) for name in glob.glob(str(target), recursive=True))
        if not matches:
            raise InputError(f"inputs: {entry!r} matches no file (looked in {spec.folder})")
        return [item for match in matches for item in _expand_path(match, spec)]
    if not target.exists():
        raise InputError(f"inputs: {entry!r} does not exist (looked for {target.resolve()})")
    return _expand_path(target, spec)


def _expand_path(path: Path, spec: JobSpec) -> list[FoundInput]:
    path = path.resolve()
    if path.is_file():
        return [FoundInput(path, _relative(path, spec.folder), "")]
    files = sorted(file for file in path.rglob("*") if file.is_file() and not _is_hidden_or_output(file, path, spec))
    return [FoundInput(file, _relative(file, spec.folder), file.parent.relative_to(path).as_posix().strip("."))
            for file in files]


def _is_hidden_or_output(file: Path, root: Path, spec: JobSpec) -> bool:
    """Skip dot-files (work files, partial outputs) and anything under the job's own output folder."""
    return any(part.startswith(".") for part in file.relative_to(root).parts) or file.is_relative_to(spec.output)


def _relative(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix() if path.is_relative_to(folder) else path.as_posix()


def output_path_for(found: FoundInput, settings: VideoSettings, output_folder: Path) -> Path:
    """Where an input's result goes: `name_template` filled in, under the job's output folder."""
    name = settings.name_template.format(folder=found.folder, stem=found.path.stem, tag=settings.timing.output_tag(),
                                         ext=output_container_for(found.path))
    path = (output_folder / name.lstrip("/")).resolve()
    if not path.is_relative_to(output_folder):
        raise JobSpecError(f"name_template {settings.name_template!r} puts {found.relative} outside the output "
                           f"folder ({path}); keep it relative")
    return path


def check_distinct_outputs(outputs: list[tuple[FoundInput, Path]]) -> None:
    """Outputs are planned per input; two inputs must never share one."""
    seen: dict[Path, str] = {}
    for found, output in outputs:
        if output in seen:
            raise JobSpecError(f"{seen[output]} and {found.relative} would both be written to {output}; "
                               "add {folder} or more of the name to name_template")
        seen[output] = found.relative
