"""The `toonbatch` command line. One module per command; each only parses options and calls the library.

`main()` is the one error boundary: a `ToonbatchError` becomes one line on stderr and exit code 1 (2 for usage
errors); so does a usage error found by Typer/Click while parsing (exit 2); anything unexpected becomes one line
plus a hint to use --debug.
"""

from __future__ import annotations

import sys

import typer

from ..errors import ToonbatchError, error_line

app = typer.Typer(
    name="toonbatch",
    help="Raise the frame rate of cartoons and anime by generating the in-between drawings.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_commands() -> None:
    # Each command module adds itself to `app` (or to a sub-app) when imported.
    from . import evaluate, finetune, interpolate, model, probe, report, run, sketch, ui, upscale  # noqa: F401


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the installed `toonbatch` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        code = app(args=args, standalone_mode=False, prog_name="toonbatch")
        if isinstance(code, int):  # a command's `raise typer.Exit(n)` comes back as n without standalone mode
            return code
    except typer.Exit as stop:
        return stop.exit_code
    except typer.Abort:
        print("toonbatch: aborted", file=sys.stderr)
        return 130
    except ToonbatchError as error:
        if debug:
            raise
        print(error_line(error), file=sys.stderr)
        return error.exit_code
    except Exception as error:  # the one boundary where anything unexpected is turned into a message
        if _is_click(error, "Abort"):
            print("toonbatch: aborted", file=sys.stderr)
            return 130
        if _is_click(error, "ClickException"):  # a usage error: missing argument, unknown option, bad value
            message = error.format_message()
            if message:  # empty for a bare command group, whose help Typer has printed already
                context = getattr(error, "ctx", None)
                command = context.command_path if context is not None else "toonbatch"
                print(f"toonbatch: error: {message} (see {command} --help)", file=sys.stderr)
            return error.exit_code
        if debug:
            raise
        print(f"toonbatch: internal error: {type(error).__name__}: {error} (run with --debug for the traceback)",
              file=sys.stderr)
        return 1
    return 0


def _is_click(error: Exception, name: str) -> bool:
    """Whether `error` is Click's exception class `name` (or a subclass), from Click itself or the copy that recent
    Typer versions carry as `typer._click`."""
    return any(cls.__name__ == name and "click" in cls.__module__ for cls in type(error).__mro__)


def run() -> None:
    sys.exit(main())
