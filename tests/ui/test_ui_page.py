"""`toonbatch ui` in a real browser (headless Chromium, Playwright): a video run, keyframes with a drawn sketch,
a job saved and run, bad input shown as the CLI's one line, the upload limit, and nothing written outside --output.

The tests share one server per module and run in file order: the last one stops it and checks what it left.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest

from tooncrafter_batch.cli import main
from tooncrafter_batch.synthetic import CartoonSpec, write_cartoon
from tooncrafter_batch.video.decode import open_video

CLIP = CartoonSpec(width=64, height=48, num_frames=12, frame_rate=Fraction(12), hold_pattern=(2,), with_audio=True)
SIZE = (192, 144)  # keyframes: a ball thrown from left to right along the ground
BALL_RADIUS, BALL_Y, BALL_X = 16, 110, (40, 152)
SKETCH_CENTRE = (96, 50)  # the sketch puts the ball high up half-way: an arc, where plain flow slides along the ground
SKETCHED_FRAME = 7  # of 16, t = 7/15


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "cartoon.mp4"
    return write_cartoon(path, CLIP)


@pytest.fixture(scope="module")
def keyframes(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keyframes")
    paths = folder / "start.png", folder / "end.png"
    for path, x in zip(paths, BALL_X):
        image = np.full((SIZE[1], SIZE[0], 3), (225, 240, 235), np.uint8)  # BGR paper
        cv2.circle(image, (x, BALL_Y), BALL_RADIUS, (40, 80, 230), -1, cv2.LINE_AA)
        cv2.circle(image, (x, BALL_Y), BALL_RADIUS, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.imwrite(str(path), image)
    return paths


def test_the_server_listens_on_this_machine_only(ui_server):
    addresses = {connection.laddr.ip for connection in psutil.Process(ui_server.process.pid).net_connections("inet")
                 if connection.status == psutil.CONN_LISTEN}
    assert addresses == {"127.0.0.1"}


def test_a_video_run_gives_twice_the_frames_at_twice_the_rate(page, clip, tmp_path):
    _upload(page, "#video-input", clip)
    page.click("#video-run")
    status = _status(page, "#video-status")
    assert re.match(r"12 frames in -> 24 out at 24 fps, 1 scene\(s\), 6 distinct drawings, ", status), status
    with page.expect_download() as download:
        page.locator("#video-files a[download='cartoon_x2.mp4']").click()
    result = tmp_path / "result.mp4"
    download.value.save_as(result)
    video = open_video(result)
    assert video.info.frame_rate == 24
    assert sum(1 for _ in video.frames()) == 24
    assert page.locator("#video-preview video").count() == 1


def test_a_bad_file_shows_the_clis_one_line_message(page, tmp_path, capsys):
    bad = tmp_path / "broken.mp4"
    bad.write_text("this is not a video\n")
    _upload(page, "#video-input", bad)
    page.click("#video-run")
    shown = _status(page, "#video-status")
    assert main(["upscale-fps", str(bad), "--factor", "2", "-o", str(tmp_path / "out.mp4")]) == 1
    printed = capsys.readouterr().err.strip()
    assert "\n" not in shown and shown.startswith("toonbatch: error: ")
    uploaded = re.search(r"error: (\S+) is not", shown).group(1)
    assert shown.replace(uploaded, str(bad)) == printed


def test_an_upload_over_the_limit_is_refused(page, ui_server, tmp_path):
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    page.locator("#video-input input[type=file]").set_input_files(big)
    page.locator(".toast-body", has_text="exceed the maximum allowed size").wait_for()
    assert not list((ui_server.output / ".uploads").rglob("big.mp4"))


def test_keyframes_follow_a_drawn_sketch(page, ui_server, keyframes):
    page.get_by_role("tab", name="Keyframes").click()
    _upload(page, "#keyframe-start", keyframes[0], check_name=False)
    _upload(page, "#keyframe-end", keyframes[1], check_name=False)
    assert _status(page, "#keyframe-status", after="start keyframe") == \
        f"start and end keyframe loaded ({SIZE[0]}x{SIZE[1]}); sketch over them below"
    _choose(page, "#keyframe-backend", "flow")
    page.get_by_role("tab", name=f"In-between {SKETCHED_FRAME}", exact=True).click()
    _draw_circle(page, f"#sketch-{SKETCHED_FRAME}", SKETCH_CENTRE, BALL_RADIUS)
    page.click("#keyframe-run")
    status = _status(page, "#keyframe-status", after="start and end keyframe")
    assert status.startswith(f"16 frames, sketches on frame(s) {SKETCHED_FRAME}: "), status
    assert page.locator("#keyframe-strip img").count() == 16
    assert page.locator("#keyframe-files a[download='inbetweens.mp4']").count() == 1
    folder = Path(status.rsplit(": ", 1)[1])
    assert folder.is_relative_to(ui_server.output)
    frames = sorted((folder / "frames").glob("*.png"))
    assert len(frames) == 16
    sketched = cv2.imread(str(frames[SKETCHED_FRAME]))
    centre = _ball_centre(sketched)
    assert math.dist(centre, SKETCH_CENTRE) < 4, centre  # plain flow would leave it on the ground (y = 110)
    assert open_video(folder / "inbetweens.mp4").info.frame_rate == 8


def test_settings_saved_as_a_job_run_from_the_jobs_tab(page, ui_server, clip):
    _upload(page, "#video-input", clip)
    page.click("#video-save")
    assert _status(page, "#video-status").startswith(f"saved {ui_server.output / 'jobs' / 'cartoon.yaml'}")
    page.get_by_role("tab", name="Jobs").click()
    page.click("#jobs-refresh")
    page.locator("#jobs-table", has_text="not started").wait_for()
    _choose(page, "#jobs-choice", "cartoon.yaml")
    page.click("#jobs-run")
    assert _status(page, "#jobs-status", after="1 job file(s)") == \
        f"1 done, 0 skipped, 0 failed: {ui_server.output / 'jobs' / 'cartoon_out'}"
    page.locator("#jobs-table", has_text="finished").wait_for()
    output = ui_server.output / "jobs" / "cartoon_out" / "cartoon_x2.mp4"
    assert sum(1 for _ in open_video(output).frames()) == 24


def test_a_job_writing_outside_the_output_folder_is_refused(page, ui_server, tmp_path):
    job = tmp_path / "escape.yaml"
    job.write_text(f"inputs: [clip.mp4]\noutput: {tmp_path / 'elsewhere'}\nfactor: 2\nbackend: flow\n")
    page.get_by_role("tab", name="Jobs").click()
    page.locator("#jobs-upload input[type=file]").set_input_files(job)
    _status(page, "#jobs-status")
    _choose(page, "#jobs-choice", "escape.yaml")
    page.click("#jobs-run")
    shown = _status(page, "#jobs-status", after="added")
    assert shown == (f"toonbatch: error: the job's output folder {tmp_path / 'elsewhere'} lies outside the UI's "
                     f"output folder {ui_server.output}; put it below that folder, or start toonbatch ui with "
                     f"--output pointing above it")
    assert not (tmp_path / "elsewhere").exists()


def test_the_server_writes_only_below_its_output_folder_and_removes_the_uploads(ui_server):
    assert ui_server.stop() in (0, 130, -2)
    for folder in ui_server.outside:
        assert not any(folder.iterdir()), f"the server wrote to {folder}: {sorted(folder.rglob('*'))[:5]}"
    assert not (ui_server.output / ".uploads").exists()
    assert (ui_server.output / "videos" / "cartoon_x2.mp4").is_file()


def _upload(page, component: str, path: Path, check_name: bool = True) -> None:
    page.locator(f"{component} input[type=file]").set_input_files(path)
    if check_name:
        page.locator(component, has_text=path.name).wait_for()
    else:
        page.locator(f"{component} img").wait_for()


def _choose(page, component: str, value: str) -> None:
    page.locator(f"{component} input").click()
    page.get_by_role("option", name=value, exact=True).click()


def _status(page, component: str, after: str | None = None) -> str:
    """The status line once it shows something new (anything but `after`'s text, when given)."""
    box = page.locator(f"{component} textarea")
    page.wait_for_function("([box, after]) => box.value.length > 0 && (after === null || !box.value.startsWith(after))",
                           arg=[box.element_handle(), after])
    return box.input_value()


def _draw_circle(page, component: str, centre: tuple[int, int], radius: int) -> None:
    """Drag the brush round a circle in image pixels; the canvas shows the image centred at its zoom."""
    editor = page.locator(component)
    editor.locator("button[aria-label='Brush']").first.click()
    zoom = float(re.search(r"(\d+)%", editor.inner_text()).group(1)) / 100
    box = editor.locator("canvas").first.bounding_box()

    def screen(x: float, y: float) -> tuple[float, float]:
        return box["x"] + box["width"] / 2 + (x - SIZE[0] / 2) * zoom, box["y"] + box["height"] / 2 + (y - SIZE[1] / 2) * zoom

    points = [(centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
              for angle in np.linspace(0, 2 * math.pi, 25)]
    page.mouse.move(*screen(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*screen(*point))  # each move repaints the canvas: slow in software rendering, so few
    page.mouse.up()


def _ball_centre(image: np.ndarray) -> tuple[float, float]:
    ball = np.abs(image.astype(int) - (40, 80, 230)).sum(axis=2) < 60  # BGR
    ys, xs = np.nonzero(ball)
    return float(xs.mean()), float(ys.mean())
