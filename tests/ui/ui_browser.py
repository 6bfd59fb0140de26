"""Driving `toonbatch ui`: its server in a process of its own (its own HOME, TMPDIR and working folder, to prove it
writes only below --output), the system's headless Chromium, and the page actions the tests (and
docs/ui_screenshot.py) take."""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Headless and quiet: without the background-networking flags Chromium keeps calling out to a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KEYFRAME_SIZE = (192, 144)  # keyframes: a ball thrown from left to right along the ground
BALL_RADIUS, BALL_Y, BALL_X = 16, 110, (40, 152)
BALL_BGR = (40, 80, 230)


def find_chromium() -> str | None:
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


@dataclass
class UiServer:
    url: str
    output: Path  # --output: everything the server writes must land below it
    outside: tuple[Path, ...]  # its HOME, TMPDIR and working folder: must stay empty
    process: subprocess.Popen
    log: Path  # its stdout and stderr

    @classmethod
    def start(cls, root: Path, *options: str) -> "UiServer":
        """`toonbatch ui --output root/out` on a free port, once it answers."""
        outside = tuple(root / name for name in ("home", "tmp", "cwd"))
        for folder in outside:
            folder.mkdir(parents=True)
        port = _free_port()
        environment = {**os.environ, "HOME": str(outside[0]), "TMPDIR": str(outside[1]), "NO_COLOR": "1"}
        toonbatch = Path(sys.executable).parent / "toonbatch"
        with open(root / "server.log", "w") as log:
            process = subprocess.Popen([str(toonbatch), "ui", "--output", str(root / "out"), "--port", str(port),
                                        *options], cwd=outside[2], env=environment, stdout=log, stderr=subprocess.STDOUT)
        server = cls(f"http://127.0.0.1:{port}/", root / "out", outside, process, root / "server.log")
        try:
            server._wait_until_served()
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self, how: signal.Signals = signal.SIGINT) -> int:
        """Ctrl-C as a user stops it (or SIGTERM as a service manager does); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(how)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def _wait_until_served(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"toonbatch ui exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"toonbatch ui did not answer at {self.url} within {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_ball_keyframes(folder: Path) -> tuple[Path, Path]:
    """Start and end keyframes: the ball on the ground at the left, then at the right."""
    paths = folder / "start.png", folder / "end.png"
    for path, x in zip(paths, BALL_X):
        image = np.full((KEYFRAME_SIZE[1], KEYFRAME_SIZE[0], 3), (225, 240, 235), np.uint8)  # BGR paper
        cv2.circle(image, (x, BALL_Y), BALL_RADIUS, BALL_BGR, -1, cv2.LINE_AA)
        cv2.circle(image, (x, BALL_Y), BALL_RADIUS, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.imwrite(str(path), image)
    return paths


def ball_centre(image: np.ndarray) -> tuple[float, float]:
    """Where the ball is in a BGR frame (x, y)."""
    ball = np.abs(image.astype(int) - BALL_BGR).sum(axis=2) < 60
    ys, xs = np.nonzero(ball)
    return float(xs.mean()), float(ys.mean())


def upload(page, component: str, path: Path, check_name: bool = True) -> None:
    page.locator(f"{component} input[type=file]").set_input_files(path)
    if check_name:
        page.locator(component, has_text=path.name).wait_for()
    else:
        page.locator(f"{component} img").wait_for()


def choose(page, component: str, value: str) -> None:
    page.locator(f"{component} input").click()
    page.get_by_role("option", name=value, exact=True).click()


def status(page, component: str, after: str | None = None) -> str:
    """The status line once it shows something (other than a line starting with `after`, when given)."""
    box = page.locator(f"{component} textarea")
    page.wait_for_function("([box, after]) => box.value.length > 0 && (after === null || !box.value.startsWith(after))",
                           arg=[box.element_handle(), after])
    return box.input_value()


def draw_circle(page, component: str, centre: tuple[int, int], radius: int) -> None:
    """Drag the brush round a circle given in image pixels; the canvas shows the image centred at its zoom."""
    editor = page.locator(component)
    editor.locator("button[aria-label='Brush']").first.click()
    zoom = float(re.search(r"(\d+)%", editor.inner_text()).group(1)) / 100
    box = editor.locator("canvas").first.bounding_box()

    def screen(x: float, y: float) -> tuple[float, float]:
        return (box["x"] + box["width"] / 2 + (x - KEYFRAME_SIZE[0] / 2) * zoom,
                box["y"] + box["height"] / 2 + (y - KEYFRAME_SIZE[1] / 2) * zoom)

    points = [(centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
              for angle in np.linspace(0, 2 * math.pi, 25)]
    page.mouse.move(*screen(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*screen(*point))  # each move repaints the canvas: slow in software rendering, so few
    page.mouse.up()
