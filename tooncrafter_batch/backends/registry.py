"""The registry of backends: name -> factory. Construction is explicit (no dotted import strings)."""

from __future__ import annotations

import os
from typing import Callable

from ..errors import BackendError
from .base import BackendSpec, Interpolator
from .baseline import BlendInterpolator, DuplicateInterpolator


def _build_flow(**options) -> Interpolator:
    from .flow import FlowInterpolator

    return FlowInterpolator(**options)


def _build_rife(**options) -> Interpolator:
    from .rife import RifeInterpolator  # torch loads only when this backend is used

    return RifeInterpolator(**options)


def _build_gmfss(**options) -> Interpolator:
    from .gmfss import GmfssInterpolator

    return GmfssInterpolator(**options)


def _build_tooncrafter(**options) -> Interpolator:
    from .tooncrafter import ToonCrafterInterpolator  # torch and open_clip load only when this backend is used

    return ToonCrafterInterpolator(**options)


BACKENDS: dict[str, Callable[..., Interpolator]] = {
    "flow": _build_flow,
    "blend": BlendInterpolator,
    "duplicate": DuplicateInterpolator,
    "tooncrafter": _build_tooncrafter,
    "rife": _build_rife,
    "gmfss": _build_gmfss,
}

ROUTED = "routed"  # the composite of `--backend auto` with a ladder (backends/routed.py); not a user-facing name


def routed_spec(rungs: tuple[BackendSpec, ...], needs_gpu: bool = False) -> BackendSpec:
    """The spec of a routed backend over `rungs` (in ladder order)."""
    return BackendSpec(ROUTED, (("needs_gpu", needs_gpu), ("rungs", tuple(rungs))))


LEARNED_BACKENDS = frozenset({"rife", "gmfss"})  # networks with weights from `toonbatch model download`

# `--backend auto`: the ladder each pair is routed along (planning/routing.py), in cost order, its rungs kept when
# their weights are present; with one rung left, auto is that backend. A rung joins the default only once measured
# worth its cost (docs/BENCHMARKS.md): rife scores below flow on sub_k2/sub_k4 and equal on uniq ("Learned
# backends", 2026-12-07); gmfss routed over flow is measured in "Difficulty-routed runs (issue 15)". Until then auto
# is flow alone, and `--ladder flow,gmfss` asks for the route.
DEFAULT_LADDER = ("flow",)

# Backends that are cheap to copy and spend their time in OpenCV (which releases the GIL): run locally without a
# worker count, they get one thread per CPU core (at most MAX_AUTO_THREADS), each with its own copy.
THREADED_BACKENDS = frozenset({"flow"})
MAX_AUTO_THREADS = 4


def default_local_workers(spec: BackendSpec, needs_gpu: bool) -> int:
    """How many local threads run `spec` when the user gave no worker count: one per core for a threaded CPU
    backend, else one (a model on one device is not copied)."""
    if needs_gpu or spec.name not in THREADED_BACKENDS:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_AUTO_THREADS))


def build_backend(spec: BackendSpec) -> Interpolator:
    """Build the backend `spec` names, with its options."""
    if spec.name == ROUTED:
        from .routed import RoutedInterpolator

        return RoutedInterpolator(**spec.option_dict())
    try:
        factory = BACKENDS[spec.name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise BackendError(f"unknown backend {spec.name!r}; choose one of: {known}") from None
    return factory(**spec.option_dict())
