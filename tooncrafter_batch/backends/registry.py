"""The registry of backends: name -> factory. Construction is explicit (no dotted import strings)."""

from __future__ import annotations

from typing import Callable

from ..errors import BackendError
from .base import BackendSpec, Interpolator
from .baseline import BlendInterpolator, DuplicateInterpolator


def _build_flow(**options) -> Interpolator:
    from .flow import FlowInterpolator

    return FlowInterpolator(**options)


def _build_tooncrafter(**options) -> Interpolator:
    from .tooncrafter import ToonCrafterInterpolator  # torch and open_clip load only when this backend is used

    return ToonCrafterInterpolator(**options)


BACKENDS: dict[str, Callable[..., Interpolator]] = {
    "flow": _build_flow,
    "blend": BlendInterpolator,
    "duplicate": DuplicateInterpolator,
    "tooncrafter": _build_tooncrafter,
}


def build_backend(spec: BackendSpec) -> Interpolator:
    """Build the backend `spec` names, with its options."""
    try:
        factory = BACKENDS[spec.name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise BackendError(f"unknown backend {spec.name!r}; choose one of: {known}") from None
    return factory(**spec.option_dict())
