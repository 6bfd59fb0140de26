"""Progress reporting. The pipeline talks to the small `Progress` protocol; the CLI passes a rich implementation.

Only this module and `cli/` import rich.
"""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichBars, ProgressColumn, Task, TextColumn, \
    TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text


class Progress(Protocol):
    def start(self, task: str, total: int | None) -> None: ...

    def advance(self, task: str, amount: int = 1) -> None: ...

    def close(self) -> None: ...


class SilentProgress:
    """Reports nothing (--quiet, library use, tests)."""

    def start(self, task: str, total: int | None) -> None:
        pass

    def advance(self, task: str, amount: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class RateColumn(ProgressColumn):
    """Items per second over the last half minute ("12.3/s"), blank until there are two samples."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f}/s", style="progress.data.speed")


class BarProgress:
    """Rich progress bars on stderr, one per task, with counts, rate, elapsed time and ETA."""

    def __init__(self, console: Console | None = None):
        self._bars = RichBars(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, int] = {}

    def start(self, task: str, total: int | None) -> None:
        if not self._tasks:  # shown from the first task on: a run that fails before any work prints no empty bars
            self._bars.start()
        self._tasks[task] = self._bars.add_task(task, total=total)

    def advance(self, task: str, amount: int = 1) -> None:
        self._bars.advance(self._tasks[task], amount)

    def close(self) -> None:
        for task_id in self._tasks.values():
            task = self._bars.tasks[task_id]
            rate = task.finished_speed or task.speed  # setting the total clears rich's speed samples
            self._bars.update(task_id, total=task.completed)
            task.finished_speed = rate
        if self._tasks:
            self._bars.stop()
