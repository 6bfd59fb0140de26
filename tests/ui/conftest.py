"""A `toonbatch ui` server per test module and pages in the system's headless Chromium (ui_browser.py)."""

import sys
from pathlib import Path

import pytest

# --import-mode=importlib puts no test folder on sys.path; the helpers beside this file are imported by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_browser import CHROMIUM_ARGS, UiServer, find_chromium  # noqa: E402

MAX_UPLOAD_MB = 1  # small, so the size limit can be tried with a small file


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium); the browser tests need one")
    return found


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory) -> UiServer:
    server = UiServer.start(tmp_path_factory.mktemp("ui"), "--max-upload-mb", str(MAX_UPLOAD_MB))
    try:
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
