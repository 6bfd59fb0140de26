"""`toonbatch sketch extract`: line art from a frame, to redraw into a pose for sketch guidance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..imaging.line_art import extract_line_art
from ..sketches import read_image, write_line_art
from . import app

sketch_app = typer.Typer(help="Sketch guidance helpers: make line art to draw over.", no_args_is_help=True)
app.add_typer(sketch_app, name="sketch")


@sketch_app.command("extract")
def extract(
    image: Annotated[Path, typer.Argument(metavar="IMAGE", help="A frame (PNG or JPEG), e.g. a keyframe.")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Where to write the line art (PNG). Default: <stem>_lines.png beside IMAGE.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Draw IMAGE's line art (black lines on white) with classical OpenCV methods; no model weights needed."""
    output_path = output if output is not None else image.with_name(f"{image.stem}_lines.png")
    write_line_art(output_path, extract_line_art(read_image(image)), overwrite=overwrite)
    typer.echo(str(output_path))
