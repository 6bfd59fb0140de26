"""Take docs/ui.png: `toonbatch ui`'s Keyframes tab after a sketched run, in the system's headless Chromium.

Run from the repository root: `.venv/bin/python docs/ui_screenshot.py` (needs `apt-get install chromium`).
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "ui"))

from ui_browser import BALL_RADIUS, CHROMIUM_ARGS, UiServer, choose, draw_circle, find_chromium, status, upload, \
    write_ball_keyframes  # noqa: E402


def main(output: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        keyframes = write_ball_keyframes(Path(folder))
        server = UiServer.start(Path(folder) / "ui")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(60_000)
                page.goto(server.url)
                page.get_by_role("tab", name="Keyframes").click()
                upload(page, "#keyframe-start", keyframes[0], check_name=False)
                upload(page, "#keyframe-end", keyframes[1], check_name=False)
                status(page, "#keyframe-status", after="start keyframe")
                choose(page, "#keyframe-backend", "flow")
                page.get_by_role("tab", name="In-between 7", exact=True).click()
                draw_circle(page, "#sketch-7", (96, 50), BALL_RADIUS)
                page.click("#keyframe-run")
                status(page, "#keyframe-status", after="start and end keyframe")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(output), full_page=True)
                browser.close()
        finally:
            server.stop()
    print(output)


if __name__ == "__main__":
    main(REPO / "docs" / "ui.png")
