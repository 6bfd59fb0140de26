"""How to sample: the reference's sampling defaults, in a module without torch.

The CLI shows these defaults in its help and validates the options where it parses them, before any model
loads; neither should pay for importing torch. `pipeline.py` takes a `SamplingSettings` per run.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import SettingsError

DEFAULT_SEED = 123  # the reference's seed
DEFAULT_CONTROL_SCALE = 0.6  # what both community apps add the sketch encoder's residuals with


@dataclass(frozen=True)
class SamplingSettings:
    """How to sample; defaults are the reference's interpolation settings (scripts/run.sh)."""

    num_steps: int = 50
    cfg_scale: float = 7.5
    guidance_rescale: float = 0.7
    eta: float = 1.0
    fs: int = 10             # frame stride condition; smaller means larger motion (reference: 5-30)
    seed: int = DEFAULT_SEED

    def __post_init__(self):
        if self.num_steps < 1:
            raise SettingsError(f"steps must be at least 1, got {self.num_steps}")
        if self.cfg_scale < 1:
            raise SettingsError(f"cfg scale must be at least 1, got {self.cfg_scale}")
        if not 0 <= self.guidance_rescale <= 1:
            raise SettingsError(f"guidance rescale must be in [0, 1], got {self.guidance_rescale}")
        if self.eta < 0:
            raise SettingsError(f"eta must be >= 0, got {self.eta}")
        if self.fs < 1:
            raise SettingsError(f"fs must be a positive frame stride, got {self.fs}")
