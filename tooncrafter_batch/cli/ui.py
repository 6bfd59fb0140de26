"""`toonbatch ui`: the web page (Gradio) over the same work as the commands; gradio loads only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..ui.app import UiSettings, serve
from . import app


@app.command("ui")
def ui(
    output: Annotated[Path, typer.Option("-o", "--output", help="The folder everything the page writes goes to: uploads (removed when the server stops), videos/, keyframes/, jobs/.")] = UiSettings.output,
    host: Annotated[str, typer.Option(help="Address to serve on; the default serves this machine only (0.0.0.0 serves the network, with no login).")] = UiSettings.host,
    port: Annotated[Optional[int], typer.Option(help="Port to serve on. Default: the first free one from 7860.")] = UiSettings.port,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", help="Largest upload the page accepts, in MiB.")] = UiSettings.max_upload_mb,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    """Serve the toonbatch web page in the browser: a video, two keyframes with sketches, or YAML jobs."""
    serve(UiSettings(output=output, host=host, port=port, max_upload_mb=max_upload_mb))
