"""The page of `toonbatch ui` (three tabs) and the server that shows it, bound to this machine unless told.

Gradio keeps uploads and the files it serves in GRADIO_TEMP_DIR, read when gradio is imported and when the page
is built: it is pointed at the workspace's `.uploads/` before either, so nothing lands outside the chosen folder,
and that folder is removed when the server stops (uploads older than an hour go while it runs).
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from ..errors import SettingsError
from .workspace import Workspace

UPLOAD_SWEEP = (600, 3600)  # every 10 minutes, delete the uploads and served files older than an hour


@dataclass(frozen=True)
class UiSettings:
    output: Path = Path("toonbatch-ui")  # every file the UI writes goes below this folder
    host: str = "127.0.0.1"  # this machine only; 0.0.0.0 serves the network
    port: int | None = None  # None: the first free port from 7860
    max_upload_mb: int = 2048  # larger uploads are refused by the page

    def __post_init__(self):
        if self.port is not None and not 0 < self.port < 65536:
            raise SettingsError(f"--port must be in 1..65535, got {self.port}")
        if self.max_upload_mb < 1:
            raise SettingsError(f"--max-upload-mb must be at least 1, got {self.max_upload_mb}")


def build_page(workspace: Workspace):
    """The Blocks of the three tabs, writing below `workspace`."""
    os.environ["GRADIO_TEMP_DIR"] = str(workspace.uploads)
    import gradio as gr

    from .jobs_tab import add_jobs_tab
    from .keyframes_tab import add_keyframes_tab
    from .video_tab import add_video_tab

    with gr.Blocks(title="toonbatch", analytics_enabled=False, delete_cache=UPLOAD_SWEEP) as page:
        gr.Markdown(f"# toonbatch\nRaise the frame rate of cartoons with generated in-betweens. "
                    f"Everything is written below `{workspace.root}`.")
        with gr.Tabs():
            add_video_tab(workspace)
            add_keyframes_tab(workspace)
            add_jobs_tab(workspace)
    return page


def serve(settings: UiSettings) -> None:
    """Build the page and serve it until interrupted; the uploads folder goes with the server."""
    workspace = Workspace.create(settings.output)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    page = build_page(workspace)
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop ends the server as Ctrl-C does
    try:
        page.queue().launch(server_name=settings.host, server_port=settings.port,
                            max_file_size=settings.max_upload_mb * 1024 * 1024, allowed_paths=[str(workspace.root)],
                            ssr_mode=False, share=False, inbrowser=False, show_error=True)
    finally:
        workspace.remove_uploads()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
