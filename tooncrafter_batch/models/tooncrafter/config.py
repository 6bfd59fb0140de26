"""Typed model configuration: `ModelConfig` composed of each part's frozen dataclass, built from a parsed mapping.

The YAML files in `configs/` are read at the edge (this package does not import yaml); the mapping they hold is
validated here once: unknown or mistyped fields are `SettingsError`s that name the field and the file. The
`kind` field says which model a config builds; construction is explicit (no import-from-string).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...errors import SettingsError
from .autoencoder import AutoencoderConfig
from .conditioning import ClipConfig
from .resampler import ResamplerConfig
from .schedule import ScheduleConfig
from .sketch_encoder import SketchEncoderConfig
from .unet import UNetConfig


@dataclass(frozen=True)
class ModelConfig:
    """The ToonCrafter model: its parts, the frame grid it was trained on and the frames per clip."""

    kind: str = "tooncrafter"
    height: int = 320            # pixel grid the model generates at (multiples of 8)
    width: int = 512
    unet: UNetConfig = field(default_factory=UNetConfig)
    autoencoder: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    resampler: ResamplerConfig = field(default_factory=ResamplerConfig)
    clip: ClipConfig = field(default_factory=ClipConfig)   # shape of both OpenCLIP towers (text and image)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

    def __post_init__(self):
        if self.height % 8 or self.width % 8 or min(self.height, self.width) < 8:
            raise SettingsError(f"model height and width must be positive multiples of 8, got "
                                f"{self.height}x{self.width}")
        widths = {"resampler.output_dim": self.resampler.output_dim, "clip.text_width": self.clip.text_width}
        for name, width in widths.items():
            if width != self.unet.context_dim:
                raise SettingsError(f"{name} ({width}) must equal unet.context_dim ({self.unet.context_dim})")
        if self.clip.vision_width != self.resampler.embedding_dim:
            raise SettingsError(f"clip.vision_width ({self.clip.vision_width}) must equal "
                                f"resampler.embedding_dim ({self.resampler.embedding_dim})")

    @property
    def num_frames(self) -> int:
        """Frames per generated clip (16 for ToonCrafter: its context layout is fixed)."""
        return self.resampler.video_length


def _check_value(name: str, value, default, source: str):
    """Returns `value` in the type of `default` (lists become tuples), or raises SettingsError."""
    if isinstance(default, tuple):
        item_type = type(default[0]) if default else int
        if not isinstance(value, (list, tuple)) or not all(type(item) is item_type for item in value):
            raise SettingsError(f"{source}: {name} must be a list of {item_type.__name__}, got {value!r}")
        return tuple(value)
    if isinstance(default, bool) or isinstance(default, str):
        valid = type(value) is type(default)
    elif isinstance(default, int):
        valid = type(value) is int
    else:  # float
        valid = type(value) in (int, float)
        value = float(value) if valid else value
    if not valid:
        raise SettingsError(f"{source}: {name} must be of type {type(default).__name__}, got {value!r}")
    return value


def build_section(cls, values: Mapping, source: str, path: str = ""):
    """Builds the frozen dataclass `cls` from `values`, checking names and types against its defaults.

    `path` is the section's dotted prefix in messages ("unet."); nested dataclass fields are sections too.
    """
    if not isinstance(values, Mapping):
        raise SettingsError(f"{source}: {path.rstrip('.') or 'the file'} must be a mapping of settings, "
                            f"got {values!r}")
    fields = {item.name: item for item in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise SettingsError(f"{source}: unknown setting {path}{unknown[0]}; known: {', '.join(fields)}")
    defaults = cls()
    checked = {}
    for name, value in values.items():
        default = getattr(defaults, name)
        if dataclasses.is_dataclass(default):
            checked[name] = build_section(type(default), value, source, f"{path}{name}.")
        else:
            checked[name] = _check_value(path + name, value, default, source)
    try:
        return cls(**checked)
    except SettingsError as error:  # a dataclass's own check: add the file name
        raise SettingsError(f"{source}: {error}") from error


# kind -> config class; a config file's `kind` picks the model it builds.
MODEL_CONFIG_KINDS: dict[str, type] = {"tooncrafter": ModelConfig, "sketch_encoder": SketchEncoderConfig}


def model_config_from_mapping(document: Mapping, source: str) -> ModelConfig:
    """A parsed config file (`source` names it in messages) -> its typed config, chosen by `kind`."""
    if not isinstance(document, Mapping):
        raise SettingsError(f"{source}: a model config must be a mapping, got {type(document).__name__}")
    kind = document.get("kind")
    if kind not in MODEL_CONFIG_KINDS:
        raise SettingsError(f"{source}: kind must be one of {', '.join(MODEL_CONFIG_KINDS)}, got {kind!r}")
    return build_section(MODEL_CONFIG_KINDS[kind], document, source)
