"""The pipeline's `Progress` protocol drawn on the page's progress bar (a `gradio.Progress` passed in)."""

from __future__ import annotations

from typing import Callable


class PageProgress:
    """Shows the task advanced last, as done/total (the page has one bar; the CLI's bars stack)."""

    def __init__(self, bar: Callable[..., object]):
        self._bar = bar
        self._totals: dict[str, int | None] = {}
        self._done: dict[str, int] = {}

    def start(self, task: str, total: int | None) -> None:
        self._totals[task] = total
        self._done[task] = 0
        self._show(task)

    def advance(self, task: str, amount: int = 1) -> None:
        self._done[task] = self._done.get(task, 0) + amount
        self._show(task)

    def close(self) -> None:
        pass

    def _show(self, task: str) -> None:
        self._bar((self._done[task], self._totals.get(task)), desc=task)
