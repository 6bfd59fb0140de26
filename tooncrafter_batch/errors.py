"""Errors a user can cause. Each message says what went wrong, where, and what to do about it.

`cli.main()` turns any `ToonbatchError` into one line on stderr (`error_line`) and a non-zero exit code; `toonbatch ui`
shows the same line in the page.
"""


class ToonbatchError(Exception):
    """Base class: a problem the user can fix (bad input, missing file, bad settings)."""

    exit_code = 1


def error_line(error: ToonbatchError) -> str:
    """The one line a user sees for `error`: on stderr from the CLI, in the page from `toonbatch ui`."""
    return f"toonbatch: error: {error}"


class InputError(ToonbatchError):
    """The input file or folder is missing, unreadable, not a video, or has no usable frames."""


class DecodeError(InputError):
    """The input stopped decoding part-way (corrupt or truncated data)."""


class OutputError(ToonbatchError):
    """The output cannot be written where asked (exists, equals the input, unwritable folder)."""


class SettingsError(ToonbatchError):
    """An option or a setting has a bad value (factor, fps, threshold, codec...): a usage error."""

    exit_code = 2


class JobSpecError(SettingsError):
    """A YAML job file is invalid; the message names the field and its line."""


class CheckpointError(ToonbatchError):
    """A model checkpoint is missing, unsafe, or does not match the model's layout."""


class BackendError(ToonbatchError):
    """An interpolation backend cannot run here (missing GPU, missing weights, unknown name)."""


class SourceError(InputError):
    """The input's frames contradict what `--source` says they are (e.g. telecine on a clip with no pulldown)."""


class ReportError(ToonbatchError):
    """A quality report is missing or unreadable where `toonbatch report` looks for it."""
