"""YAML job files -> a validated, frozen `JobSpec`. Every error names the field and its line in the file.

The file is parsed once here; only dataclasses travel inward. Per-video settings are kept as flat typed fields
("encoder.crf", "scenes.threshold"...) so that `overrides` can patch them; `JobSpec.settings_for` applies the
matching overrides and builds the `VideoSettings` a video is rendered with.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml

from ..backends.base import BackendSpec
from ..backends.learned_options import LearnedOptions, locate_learned_weights
from ..backends.registry import BACKENDS, DEFAULT_LADDER, LEARNED_BACKENDS, routed_spec
from ..conditioning import SourceMode
from ..errors import JobSpecError, SettingsError
from ..planning.routing import RouteSettings
from ..planning.scenes import SceneSettings
from ..planning.timing import DedupeMode, TimingSettings, parse_rate
from ..video.encode import EncoderSettings

DEFAULT_NAME_TEMPLATE = "{folder}/{stem}_{tag}{ext}"
_TEMPLATE_FIELDS = {"folder": "a/b", "stem": "clip", "tag": "x4", "ext": ".mp4"}
_JOB_KEYS = ("inputs", "output", "retries", "resources", "chunk_frames", "videos_in_flight", "overrides", "report")
_VIDEO_KEYS = ("name_template", "factor", "fps", "backend", "model", "encoder", "scenes", "dedupe", "source", "route")
_SECTIONS = {"encoder": ("codec", "crf", "preset"), "scenes": ("threshold", "min_scene_frames"),
             "route": ("budget", "ladder", "threshold"),
             "resources": ("actors", "cpus_per_actor", "gpus_per_actor")}
_PATH_OPTIONS = ("config", "checkpoint", "weights_dir", "weights")  # model options: paths relative to the job file


@dataclass(frozen=True)
class Resources:
    actors: int = 1  # backend instances: Ray actors (threads when 1 and no cluster)
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0  # > 0 makes the backend a GPU backend

    def __post_init__(self):
        if self.actors < 1:
            raise SettingsError(f"resources.actors must be at least 1, got {self.actors}")
        if self.cpus_per_actor <= 0:
            raise SettingsError(f"resources.cpus_per_actor must be positive, got {self.cpus_per_actor}")
        if self.gpus_per_actor < 0:
            raise SettingsError(f"resources.gpus_per_actor must be 0 or more, got {self.gpus_per_actor}")


@dataclass(frozen=True)
class VideoSettings:
    """Everything that changes one video's output (so also the key of its done work)."""

    timing: TimingSettings
    backend: BackendSpec = field(default_factory=BackendSpec)
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    scenes: SceneSettings = field(default_factory=SceneSettings)
    name_template: str = DEFAULT_NAME_TEMPLATE
    source: SourceMode = SourceMode.auto  # what the input's frames are (legacy video); see conditioning.py
    route: RouteSettings | None = None  # backend: auto over two rungs or more: each pair's rung (planning/routing.py)


@dataclass(frozen=True)
class Override:
    """Settings for the inputs whose path (relative to the job file) or file name matches the glob `match`."""

    match: str
    changes: tuple[tuple[str, object], ...]

    def matches(self, relative_path: str) -> bool:
        return fnmatch.fnmatch(relative_path, self.match) or fnmatch.fnmatch(Path(relative_path).name, self.match)


@dataclass(frozen=True)
class JobSpec:
    file: Path
    inputs: tuple[str, ...]  # files, folders or globs, relative to the job file's folder
    output: Path
    base: tuple[tuple[str, object], ...]  # the flat video fields of the file's top level
    overrides: tuple[Override, ...] = ()
    resources: Resources = field(default_factory=Resources)
    retries: int = 2  # extra attempts for a video whose run failed for a reason other than its input
    chunk_frames: int = 96  # source frames per chunk at most; chunks end at scene cuts where possible
    videos_in_flight: int = 4  # videos whose chunks share the actors at once (each decoded on its own thread)
    report: bool = True  # measure each pair's difficulty and draw report.html (false: report.json has status only)

    @property
    def folder(self) -> Path:
        return self.file.parent

    def settings_for(self, relative_path: str) -> VideoSettings:
        """The settings of one input: the top level, then every matching override in file order."""
        fields = dict(self.base)
        for override in self.overrides:
            if override.matches(relative_path):
                _apply(fields, dict(override.changes))
        return _build_settings(fields)


def load_job(path: Path) -> JobSpec:
    """Read and validate a job file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise JobSpecError(f"cannot read job file {path}: {error.strerror}") from None
    return parse_job(text, path)


def parse_job(text: str, path: Path) -> JobSpec:
    document = _Document(text, path)
    data = document.mapping((), _JOB_KEYS + _VIDEO_KEYS)
    for key in ("inputs", "output"):
        if key not in data:
            raise document.error((), f"missing required key {key!r}")
    if "factor" not in data and "fps" not in data:
        raise document.error((), "missing required key 'factor' or 'fps' (e.g. factor: 4)")
    base = document.video_fields((), data)
    overrides = tuple(document.override(index, item) for index, item in enumerate(document.sequence(("overrides",))))
    for index, override in enumerate(overrides):
        fields = dict(base)
        _apply(fields, dict(override.changes))
        document.build(("overrides", index), fields)
    document.build((), dict(base))
    return JobSpec(
        file=path.resolve(),
        inputs=document.inputs(data["inputs"]),
        output=(path.resolve().parent / document.typed(("output",), str)).resolve(),
        base=base,
        overrides=overrides,
        resources=document.resources(data.get("resources")),
        retries=document.number(("retries",), int, JobSpec.retries, minimum=0),
        chunk_frames=document.number(("chunk_frames",), int, JobSpec.chunk_frames, minimum=2),
        videos_in_flight=document.number(("videos_in_flight",), int, JobSpec.videos_in_flight, minimum=1),
        report=document.flag(("report",), JobSpec.report),
    )


def _backend_spec(name: str, options: dict) -> BackendSpec:
    """The backend with its `model` options; a learned backend's are checked here (the same dataclass the CLI
    builds) and its weights found, so a job without them stops before any video starts."""
    if name not in LEARNED_BACKENDS:
        return BackendSpec(name, tuple(sorted(options.items())))
    try:
        learned = LearnedOptions(**options)
    except TypeError as error:  # an unknown key
        raise SettingsError(f"model options of {name}: {error}; see pipelines/README.md") from None
    return locate_learned_weights(learned, name).backend_spec(name)


def _auto_backend(fields: dict) -> tuple[BackendSpec, RouteSettings | None]:
    """`backend: auto`: the `route.ladder`, else the default ladder; a job leaves no rung out (every machine gives
    the same frames: a rung without weights stops the job before any video starts, as a learned backend does).
    With one rung, that backend alone. `model` options go to the learned rungs."""
    options = dict(fields.get("model", ()))
    ladder = fields.get("route.ladder", DEFAULT_LADDER)
    specs = tuple(_backend_spec(name, options if name in LEARNED_BACKENDS else {}) for name in ladder)
    if len(specs) == 1:
        return specs[0], None
    return routed_spec(specs), _route(fields, tuple(ladder))


def _route(fields: dict, ladder: tuple[str, ...]) -> RouteSettings:
    """The `route` section's settings over `ladder`; a `route` without `backend: auto` is refused."""
    name = fields.get("backend", BackendSpec.name)
    if name != "auto" and any(key.startswith("route.") for key in fields):
        raise SettingsError(f"route applies to backend: auto only, not {name}; drop it or set backend: auto")
    numbers = {key: fields[f"route.{key}"] for key in ("budget", "threshold") if f"route.{key}" in fields}
    return RouteSettings(ladder, **numbers)


def _apply(fields: dict, changes: dict) -> None:
    """Patch flat fields; a timing mode in `changes` (factor or fps) replaces the other one."""
    if "factor" in changes or "fps" in changes:
        fields.pop("factor", None)
        fields.pop("fps", None)
    fields.update(changes)


def _build_settings(fields: dict) -> VideoSettings:
    name = fields.get("backend", BackendSpec.name)
    backend, route = _auto_backend(fields) if name == "auto" else (
        _backend_spec(name, dict(fields.get("model", ()))), None)
    return VideoSettings(
        timing=_timing(fields),
        backend=backend,
        encoder=EncoderSettings(**_section(fields, "encoder")),
        scenes=SceneSettings(**_section(fields, "scenes")),
        name_template=fields.get("name_template", DEFAULT_NAME_TEMPLATE),
        source=fields.get("source", VideoSettings.source),
        route=route,
    )


def _timing(fields: dict) -> TimingSettings:
    return TimingSettings(factor=fields.get("factor"), fps=fields.get("fps"),
                          dedupe=fields.get("dedupe", TimingSettings.dedupe))


def _section(fields: dict, name: str) -> dict:
    return {key.split(".", 1)[1]: value for key, value in fields.items() if key.startswith(name + ".")}


class _Document:
    """The parsed YAML plus the line of every node, so any value's error can point at its line."""

    def __init__(self, text: str, path: Path):
        self.path = path
        self.lines: dict[tuple, int] = {}
        try:
            loader = yaml.SafeLoader(text)
            try:
                node = loader.get_single_node()
                self.data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f", line {mark.line + 1}" if mark is not None else ""
            raise JobSpecError(f"{path}{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
        if node is not None:
            self._index(node, ())

    def _index(self, node: yaml.Node, path: tuple, line: int | None = None) -> None:
        """Record the line of every value: a mapping entry's is its key's line."""
        self.lines[path] = line or node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._index(value, path + (key.value,), key.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._index(item, path + (index,))

    def error(self, path: tuple, message: str) -> JobSpecError:
        line = next((self.lines[path[:end]] for end in range(len(path), -1, -1) if path[:end] in self.lines), 1)
        name = ".".join(str(part) for part in path)
        return JobSpecError(f"{self.path}, line {line}: {name + ': ' if name else ''}{message}")

    def get(self, path: tuple):
        value = self.data
        for part in path:
            value = value[part]
        return value

    def has(self, path: tuple) -> bool:
        return path in self.lines

    def typed(self, path: tuple, kind: type):
        value = self.get(path)
        is_bool = isinstance(value, bool)
        if kind in (int, float) and (is_bool or not isinstance(value, (int, float)) or
                                     (kind is int and not isinstance(value, int))):
            raise self.error(path, f"expected {'an integer' if kind is int else 'a number'}, got {value!r}")
        if kind in (str, list, dict) and not isinstance(value, kind):
            expected = {str: "a string", list: "a list", dict: "a mapping of keys to values"}[kind]
            raise self.error(path, f"expected {expected}, got {value!r}")
        return value

    def number(self, path: tuple, kind: type, default, minimum=None):
        if not self.has(path):
            return default
        value = self.typed(path, kind)
        if minimum is not None and value < minimum:
            raise self.error(path, f"must be at least {minimum}, got {value}")
        return value

    def flag(self, path: tuple, default: bool) -> bool:
        if not self.has(path):
            return default
        value = self.get(path)
        if not isinstance(value, bool):
            raise self.error(path, f"expected true or false, got {value!r}")
        return value

    def mapping(self, path: tuple, known: tuple[str, ...]) -> dict:
        value = self.data if not path else self.get(path)
        if not isinstance(value, dict):
            raise self.error(path, f"expected a mapping of keys to values, got {value!r}")
        for key in value:
            if key not in known:
                raise self.error(path + (key,), f"unknown key {key!r}; known keys: {', '.join(known)}")
        return value

    def sequence(self, path: tuple) -> list:
        return self.typed(path, list) if self.has(path) else []

    def inputs(self, value) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else self.typed(("inputs",), list)
        if not items:
            raise self.error(("inputs",), "lists no input; give files, folders or globs")
        return tuple(self.typed(("inputs",) if isinstance(value, str) else ("inputs", index), str)
                     for index, _ in enumerate(items))

    def resources(self, value) -> Resources:
        if value is None:
            return Resources()
        self.mapping(("resources",), _SECTIONS["resources"])
        path = ("resources",)
        return Resources(actors=self.number(path + ("actors",), int, Resources.actors, minimum=1),
                         cpus_per_actor=self._positive(path + ("cpus_per_actor",), Resources.cpus_per_actor),
                         gpus_per_actor=self.number(path + ("gpus_per_actor",), float, Resources.gpus_per_actor, 0))

    def _positive(self, path: tuple, default: float) -> float:
        value = self.number(path, float, default)
        if value <= 0:
            raise self.error(path, f"must be positive, got {value}")
        return value

    def override(self, index: int, item) -> Override:
        path = ("overrides", index)
        data = self.mapping(path, ("match",) + _VIDEO_KEYS)
        if "match" not in data:
            raise self.error(path, "an override needs a 'match' glob (e.g. match: '*.mkv')")
        return Override(self.typed(path + ("match",), str), self.video_fields(path, data))

    def video_fields(self, path: tuple, data: dict) -> tuple[tuple[str, object], ...]:
        """The per-video keys present at `path`, type-checked, as flat (name, value) pairs."""
        fields: dict[str, object] = {}
        if "factor" in data and "fps" in data:
            raise self.error(path + ("fps",), "give either factor or fps, not both")
        if "factor" in data:
            fields["factor"] = self.typed(path + ("factor",), int)
        if "fps" in data:
            fields["fps"] = self._rate(path + ("fps",))
        if "backend" in data:
            fields["backend"] = self._backend(path + ("backend",))
        if "dedupe" in data:
            fields["dedupe"] = self._dedupe(path + ("dedupe",))
        if "source" in data:
            fields["source"] = self._source(path + ("source",))
        if "name_template" in data:
            fields["name_template"] = self._template(path + ("name_template",))
        if "model" in data:
            fields["model"] = self._model(path + ("model",))
        for section in ("encoder", "scenes", "route"):
            if section in data:
                for key in self.mapping(path + (section,), _SECTIONS[section]):
                    if key == "ladder":
                        fields["route.ladder"] = self._ladder(path + (section, key))
                        continue
                    kind = {"codec": str, "preset": str, "crf": int, "min_scene_frames": int}.get(key, float)
                    fields[f"{section}.{key}"] = self.typed(path + (section, key), kind)
        return tuple(fields.items())

    def _rate(self, path: tuple) -> Fraction:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(path, f"expected a frame rate such as 60, 59.94 or '60000/1001', got {value!r}")
        try:
            return parse_rate(str(value))
        except SettingsError as error:
            raise self.error(path, str(error)) from None

    def _backend(self, path: tuple) -> str:
        name = self.typed(path, str)
        if name not in BACKENDS and name != "auto":
            raise self.error(path, f"unknown backend {name!r}; choose auto or one of: {', '.join(sorted(BACKENDS))}")
        return name

    def _ladder(self, path: tuple) -> tuple[str, ...]:
        """Backend names in cost order: a list, or one comma-separated string (flow,gmfss)."""
        value = self.get(path)
        names = value.split(",") if isinstance(value, str) else self.typed(path, list)
        for name in names:
            if not isinstance(name, str) or name.strip() not in BACKENDS:
                known = ", ".join(sorted(BACKENDS))
                raise self.error(path, f"unknown backend {name!r} in the ladder; choose from: {known}")
        return tuple(name.strip() for name in names)

    def _dedupe(self, path: tuple) -> DedupeMode:
        value = self.get(path)
        if isinstance(value, bool):  # YAML 1.1 reads a bare `off` as false
            return DedupeMode.auto if value else DedupeMode.off
        if value not in {mode.value for mode in DedupeMode}:
            raise self.error(path, f"expected auto, camera or off, got {value!r}")
        return DedupeMode(value)

    def _source(self, path: tuple) -> SourceMode:
        value = self.get(path)
        if value not in {mode.value for mode in SourceMode}:
            raise self.error(path, f"expected one of {', '.join(mode.value for mode in SourceMode)}, got {value!r}")
        return SourceMode(value)

    def _template(self, path: tuple) -> str:
        template = self.typed(path, str)
        try:
            template.format(**_TEMPLATE_FIELDS)
        except (KeyError, IndexError, ValueError) as error:
            raise self.error(path, f"bad placeholder {error}; use {{{'}, {'.join(_TEMPLATE_FIELDS)}}}") from None
        return template

    def _model(self, path: tuple) -> tuple[tuple[str, object], ...]:
        options = {}
        for key, value in self.typed(path, dict).items():
            if isinstance(value, (dict, list)) or value is None:
                raise self.error(path + (key,), f"expected a single value, got {value!r}")
            if key in _PATH_OPTIONS:
                value = str((self.path.resolve().parent / self.typed(path + (key,), str)).resolve())
            options[key] = value
        return tuple(sorted(options.items()))

    def build(self, path: tuple, fields: dict) -> None:
        """Build the settings of the layer at `path`; a dataclass's complaint becomes an error at its section's line."""
        checks = (("factor", lambda: _timing(fields)), ("fps", lambda: _timing(fields)),
                  ("encoder", lambda: EncoderSettings(**_section(fields, "encoder"))),
                  ("scenes", lambda: SceneSettings(**_section(fields, "scenes"))),
                  ("route", lambda: _route(fields, fields.get("route.ladder", DEFAULT_LADDER))))
        for key, check in checks:
            try:
                check()
            except SettingsError as error:
                raise self.error(path + (key,) if self.has(path + (key,)) else path, str(error)) from None
