"""A `toonbatch ui` server in a process of its own (its own HOME, TMPDIR and working folder, to prove it writes
only below --output) and a page in the system's headless Chromium, driven by Playwright."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Headless and quiet: without the background-networking flags Chromium keeps calling out to a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAX_UPLOAD_MB = 1  # small, so the size limit can be tried with a small file


@dataclass
class UiServer:
    url: str
    output: Path  # --output: everything the server writes must land below it
    outside: tuple[Path, ...]  # its HOME, TMPDIR and working folder: must stay empty
    process: subprocess.Popen
    log: Path  # its stdout and stderr

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)
    if found is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium); the browser tests need one")
    return found


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory) -> UiServer:
    root = tmp_path_factory.mktemp("ui")
    outside = tuple(root / name for name in ("home", "tmp", "cwd"))
    for folder in outside:
        folder.mkdir()
    port = _free_port()
    environment = {**os.environ, "HOME": str(outside[0]), "TMPDIR": str(outside[1]), "NO_COLOR": "1"}
    toonbatch = Path(sys.executable).parent / "toonbatch"
    with open(root / "server.log", "w") as log:
        process = subprocess.Popen([str(toonbatch), "ui", "--output", str(root / "out"), "--port", str(port),
                                    "--max-upload-mb", str(MAX_UPLOAD_MB)], cwd=outside[2], env=environment,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = UiServer(f"http://127.0.0.1:{port}/", root / "out", outside, process, root / "server.log")
    try:
        _wait_until_served(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, ui_server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(ui_server.url)
    page.wait_for_selector("#video-run")
    yield page
    context.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_served(server: UiServer, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"toonbatch ui exited with {server.process.returncode}: {server.log.read_text()}")
        try:
            with urllib.request.urlopen(server.url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"toonbatch ui did not answer at {server.url} within {timeout:.0f} s")
