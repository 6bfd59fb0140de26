"""`toonbatch model layout|verify|download`: the configured model's checkpoint layout, checking a file, fetching it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..model_store import DEFAULT_CHECKPOINT, HUB_FILENAME, download_checkpoint
from . import app

model_app = typer.Typer(help="Model weights: state-dict layout, checkpoint checks, download.", no_args_is_help=True)
app.add_typer(model_app, name="model")

ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", help="Model config (configs/*.yaml; its `kind` picks the model). Default: the official 512 model.")]


@model_app.command("layout")
def layout(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: state-dict key -> shape.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Print every state-dict key of the configured model with its shape (built on the meta device, no weights)."""
    from ..model_builder import load_model_config, model_layout  # torch loads only for the commands that need it

    shapes = model_layout(load_model_config(config))
    if as_json:
        typer.echo(json.dumps({key: list(shape) for key, shape in shapes.items()}))
        return
    for key, shape in shapes.items():
        typer.echo(f"{key} {list(shape)}")
    total = sum(math.prod(shape) for shape in shapes.values())
    typer.echo(f"{len(shapes)} keys, {total:,} numbers")


@model_app.command("verify")
def verify(
    checkpoint: Annotated[Path, typer.Argument(metavar="CHECKPOINT", help="A .ckpt/.pt pickle or a .safetensors file.")],
    config: ConfigOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Check CHECKPOINT's keys and shapes against the configured model; exit 1 on any difference.

    Pickles are read with weights_only (a file that carries code is refused, and nothing in it runs).
    """
    from ..diffusion.checkpoint import verify_checkpoint
    from ..model_builder import load_model_config, model_layout

    report = verify_checkpoint(checkpoint, model_layout(load_model_config(config)))
    typer.echo(report.summary(), err=not report.is_match)
    if not report.is_match:
        raise typer.Exit(1)


@model_app.command("download")
def download(
    to: Annotated[Path, typer.Option("--to", metavar="DIR", help="Folder to save model.ckpt in.")] = DEFAULT_CHECKPOINT.parent,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Fetch the official ToonCrafter checkpoint (Doubiiu/ToonCrafter model.ckpt, about 10 GB) from the hub."""
    typer.echo(str(download_checkpoint(to / HUB_FILENAME)))

