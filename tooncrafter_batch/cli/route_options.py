"""The options of `--backend auto` (a ladder routed under a budget) and the `--dry-run` plan it prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from ..backends.learned_options import learned_weights_present
from ..backends.registry import BACKENDS, DEFAULT_LADDER, LEARNED_BACKENDS
from ..errors import SettingsError
from ..planning.routing import RouteCounts, RouteSettings

Budget = Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help=f"--backend auto: the share of moving pairs (0..1) that may go above the ladder's first rung; the hardest pairs go up. Default: {RouteSettings.budget}.")]
Ladder = Annotated[Optional[str], typer.Option(help=f"--backend auto: backends in cost order, e.g. flow,gmfss (default: {','.join(DEFAULT_LADDER)}); a rung whose weights are not installed is left out.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Decode, plan and route only: print the pairs per backend and the estimated CPU cost, write nothing.")]


def route_settings(ladder: tuple[str, ...], budget: float | None) -> RouteSettings | None:
    """The route over the rungs kept (None for one rung: that backend alone)."""
    if len(ladder) < 2:
        return None
    return RouteSettings(ladder) if budget is None else RouteSettings(ladder, budget)


def check_route_options(is_auto: bool, budget: float | None, ladder: str | None) -> None:
    if not is_auto and (budget is not None or ladder is not None):
        raise SettingsError("--budget and --ladder apply to --backend auto only; drop them or pass --backend auto")


def available_ladder(text: str | None, weights_dir: Path | None, quiet: bool) -> tuple[str, ...]:
    """The rungs of `--ladder` (or the default ladder) whose weights are installed; a one-line note per rung left
    out. At least the cheapest rung is always kept."""
    names = tuple(name.strip() for name in text.split(",")) if text else DEFAULT_LADDER
    for name in names:
        if name not in BACKENDS:
            raise SettingsError(f"--ladder: unknown backend {name!r}; choose from: {', '.join(sorted(BACKENDS))}")
    kept = tuple(name for name in names if name not in LEARNED_BACKENDS or learned_weights_present(name, weights_dir))
    for name in names:
        if name not in kept and not quiet:
            Console(stderr=True).print(f"note: {name} left out of the ladder: its weights are not installed "
                                       f"(`toonbatch model download {name}`)", highlight=False, soft_wrap=True)
    return kept or names[:1]


def print_dry_run(routes: RouteCounts, frames_in: int, frames_out: int, scenes: int) -> None:
    """The plan of a `--dry-run`, on stdout: pairs and estimated CPU seconds per backend."""
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"plan: {frames_in} frames in -> {frames_out} out, {scenes} scene(s), "
                  f"{sum(routes.pairs)} pairs to fill")
    for rung, (name, seconds) in enumerate(zip(routes.ladder, routes.estimated_seconds())):
        held = f" ({routes.held} held)" if rung == 0 and routes.held else ""
        console.print(f"  {name}: {routes.pairs[rung]} pairs{held}, {routes.inbetweens[rung]} in-betweens, "
                      f"about {seconds:.1f} CPU s")
    console.print(f"estimated: about {sum(routes.estimated_seconds()):.1f} CPU s (measured per-megapixel costs, "
                  "docs/BENCHMARKS.md); nothing written")
