"""What the page shows when a button's work fails: the CLI's one line for a `ToonbatchError`, and one line plus
the traceback in the server's log for anything else."""

from __future__ import annotations

import functools
import sys
import traceback
from typing import Callable

import gradio as gr

from ..errors import ToonbatchError, error_line


def page_line(error: Exception) -> str:
    if isinstance(error, ToonbatchError):
        return error_line(error)
    return f"toonbatch: internal error: {type(error).__name__}: {error} (the server's log has the traceback)"


def shows_errors(num_outputs: int) -> Callable:
    """Decorate a handler whose last output is the status line: on an error the other outputs stay as they are
    and the status line says what went wrong."""
    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def guarded(*args, **kwargs):
            try:
                return handler(*args, **kwargs)
            except Exception as error:  # the page's error boundary, as cli.main() is the CLI's
                if not isinstance(error, ToonbatchError):
                    traceback.print_exc(file=sys.stderr)
                return (*(gr.skip() for _ in range(num_outputs - 1)), page_line(error))
        return guarded
    return decorate
