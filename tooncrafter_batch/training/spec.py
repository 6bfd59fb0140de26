"""A fine-tuning run as YAML (the `finetune:` section of a file such as pipelines/finetune_show.yaml).

    finetune:
      backend: rife
      inputs: [../episodes/ep01.mkv, ../episodes/ep02.mkv]   # paths are relative to the YAML file
      output: ../model/show.safetensors
      device: cpu
      training: {num_steps: 300, batch_size: 4, crop: 256, learning_rate: 2.0e-5}
      triplets: {max_span: 0.5, min_motion: 1.0}

`training` takes the fields of `TrainingSettings`, `triplets` those of `TripletSettings` (seconds as numbers or
"1/3"), `scenes` those of `SceneSettings`, `tooncrafter` (backend: tooncrafter; `weights` is then the checkpoint to
start from) those of `RectificationSettings`; each is checked by its dataclass, and an unknown key is an error.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import yaml

from ..errors import JobSpecError, SettingsError
from ..planning.scenes import SceneSettings
from .settings import FinetuneJob, RectificationSettings, TrainingSettings
from .triplets import TripletSettings

SECTION = "finetune"
_JOB_KEYS = ("backend", "inputs", "output", "weights", "weights_dir", "device", "threads", "input_fps", "training",
             "triplets", "scenes", "tooncrafter")
_SECONDS = ("hold_limit", "max_span")  # TripletSettings fields held as Fractions


def load_finetune_spec(path: Path) -> FinetuneJob:
    """The run described by the `finetune:` section of the YAML file at `path`."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise JobSpecError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise JobSpecError(f"{path}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(document, dict) or not isinstance(document.get(SECTION), dict):
        raise JobSpecError(f"{path}: expected a '{SECTION}:' section (see pipelines/finetune_show.yaml)")
    return parse_finetune(document[SECTION], path.resolve().parent, str(path))


def parse_finetune(data: dict, base: Path, where: str) -> FinetuneJob:
    unknown = sorted(set(data) - set(_JOB_KEYS))
    if unknown:
        raise JobSpecError(f"{where}: {SECTION}.{unknown[0]} is not a key; expected one of {', '.join(_JOB_KEYS)}")
    for key in ("inputs", "output"):
        if key not in data:
            raise JobSpecError(f"{where}: {SECTION} needs '{key}'")
    inputs = data["inputs"] if isinstance(data["inputs"], list) else [data["inputs"]]

    def local(value) -> Path:
        return (base / str(value)).resolve()

    try:
        triplets = _build(TripletSettings, _seconds(_mapping(data, "triplets", where)), "triplets", where)
        return FinetuneJob(
            inputs=tuple(local(item) for item in inputs), output=local(data["output"]),
            backend=data.get("backend", FinetuneJob.backend), device=data.get("device", FinetuneJob.device),
            threads=data.get("threads"),
            weights=local(data["weights"]) if data.get("weights") else None,
            weights_dir=local(data["weights_dir"]) if data.get("weights_dir") else None,
            input_fps=Fraction(str(data["input_fps"])) if data.get("input_fps") else None,
            triplets=dataclasses.replace(triplets, scenes=_build(SceneSettings, _mapping(data, "scenes", where),
                                                                 "scenes", where)),
            training=_build(TrainingSettings, _mapping(data, "training", where), "training", where),
            tooncrafter=_rectification(_mapping(data, "tooncrafter", where), local, where))
    except (SettingsError, ValueError, ZeroDivisionError) as error:
        raise JobSpecError(f"{where}: {SECTION}: {error}") from None


def _rectification(fields: dict, local, where: str) -> RectificationSettings:
    """The `tooncrafter:` section; its `config` path is relative to the YAML file."""
    if fields.get("config"):
        fields = {**fields, "config": local(fields["config"])}
    return _build(RectificationSettings, fields, "tooncrafter", where)


def _mapping(data: dict, key: str, where: str) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise JobSpecError(f"{where}: {SECTION}.{key} must be a mapping of settings")
    return value


def _seconds(fields: dict) -> dict:
    return {key: Fraction(str(value)) if key in _SECONDS else value for key, value in fields.items()}


def _build(settings_class: type, fields: dict, section: str, where: str):
    names = {field.name for field in dataclasses.fields(settings_class)} - {"scenes"}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise JobSpecError(f"{where}: {SECTION}.{section}.{unknown[0]} is not a key; expected one of "
                           f"{', '.join(sorted(names))}")
    return settings_class(**fields)
