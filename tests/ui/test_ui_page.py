"""`toonbatch ui` in a real browser (headless Chromium, Playwright): a video run, keyframes with a drawn sketch,
a job saved and run, bad input shown as the CLI's one line, the upload limit, and nothing written outside --output.

The tests share one server per module and run in file order: the last one stops it and checks what it left.
"""

from __future__ import annotations

import math
import re
import signal
from fractions import Fraction
from pathlib import Path

import cv2
import psutil
import pytest
from ui_browser import BALL_RADIUS, ball_centre, choose, draw_circle, status, upload, write_ball_keyframes

from tooncrafter_batch.cli import main
from tooncrafter_batch.synthetic import CartoonSpec, write_cartoon
from tooncrafter_batch.video.decode import open_video

pytestmark = pytest.mark.usefixtures("chromium_path")  # without a browser the whole module skips

CLIP = CartoonSpec(width=64, height=48, num_frames=12, frame_rate=Fraction(12), hold_pattern=(2,), with_audio=True)
SKETCH_CENTRE = (96, 50)  # the sketch puts the ball high up half-way: an arc, where plain flow slides along the ground
SKETCHED_FRAME = 7  # of 16, t = 7/15


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return write_cartoon(tmp_path_factory.mktemp("clip") / "cartoon.mp4", CLIP)


@pytest.fixture(scope="module")
def keyframes(tmp_path_factory) -> tuple[Path, Path]:
    return write_ball_keyframes(tmp_path_factory.mktemp("keyframes"))


def test_the_server_listens_on_this_machine_only(ui_server):
    addresses = {connection.laddr.ip for connection in psutil.Process(ui_server.process.pid).net_connections("inet")
                 if connection.status == psutil.CONN_LISTEN}
    assert addresses == {"127.0.0.1"}


def test_a_video_run_gives_twice_the_frames_at_twice_the_rate(page, clip, tmp_path):
    upload(page, "#video-input", clip)
    page.click("#video-run")
    shown = status(page, "#video-status")
    assert re.match(r"12 frames in -> 24 out at 24 fps, 1 scene\(s\), 6 distinct drawings, ", shown), shown
    with page.expect_download() as download:
        page.locator("#video-files a[download='cartoon_x2.mp4']").click()
    result = tmp_path / "result.mp4"
    download.value.save_as(result)
    video = open_video(result)
    assert video.info.frame_rate == 24
    assert sum(1 for _ in video.frames()) == 24
    preview = page.locator("#video-preview video")
    page.wait_for_function("video => video.readyState >= 1", arg=preview.element_handle())  # the browser decodes it
    assert preview.evaluate("video => video.duration") == pytest.approx(1.0, abs=0.05)


def test_a_bad_file_shows_the_clis_one_line_message(page, tmp_path, capsys):
    bad = tmp_path / "broken.mp4"
    bad.write_text("this is not a video\n")
    upload(page, "#video-input", bad)
    page.click("#video-run")
    shown = status(page, "#video-status")
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
    upload(page, "#keyframe-start", keyframes[0], check_name=False)
    upload(page, "#keyframe-end", keyframes[1], check_name=False)
    assert status(page, "#keyframe-status", after="start keyframe") == \
        "start and end keyframe loaded (192x144); sketch over them below"
    choose(page, "#keyframe-backend", "flow")
    page.get_by_role("tab", name=f"In-between {SKETCHED_FRAME}", exact=True).click()
    draw_circle(page, f"#sketch-{SKETCHED_FRAME}", SKETCH_CENTRE, BALL_RADIUS)
    page.click("#keyframe-run")
    shown = status(page, "#keyframe-status", after="start and end keyframe")
    assert shown.startswith(f"16 frames, sketches on frame(s) {SKETCHED_FRAME}: "), shown
    assert page.locator("#keyframe-strip img").count() == 16
    assert page.locator("#keyframe-files a[download='inbetweens.mp4']").count() == 1
    folder = Path(shown.rsplit(": ", 1)[1])
    assert folder.is_relative_to(ui_server.output)
    frames = sorted((folder / "frames").glob("*.png"))
    assert len(frames) == 16
    centre = ball_centre(cv2.imread(str(frames[SKETCHED_FRAME])))
    assert math.dist(centre, SKETCH_CENTRE) < 4, centre  # plain flow would leave it on the ground (y = 110)
    assert open_video(folder / "inbetweens.mp4").info.frame_rate == 8


def test_settings_saved_as_a_job_run_from_the_jobs_tab(page, ui_server, clip):
    upload(page, "#video-input", clip)
    page.click("#video-save")
    assert status(page, "#video-status").startswith(f"saved {ui_server.output / 'jobs' / 'cartoon.yaml'}")
    page.get_by_role("tab", name="Jobs").click()
    page.click("#jobs-refresh")
    page.locator("#jobs-table", has_text="not started").wait_for()
    choose(page, "#jobs-choice", "cartoon.yaml")
    job_output = ui_server.output / "jobs" / "cartoon_out"
    assert status(page, "#jobs-status", after="1 job file(s)") == f"cartoon.yaml: not started, writes to {job_output}"
    page.click("#jobs-run")
    assert status(page, "#jobs-status", after="cartoon.yaml:") == f"1 done, 0 skipped, 0 failed: {job_output}"
    page.locator("#jobs-table", has_text="finished").wait_for()
    assert page.locator("#jobs-report a[download='report.html']").count() == 1
    assert sum(1 for _ in open_video(job_output / "cartoon_x2.mp4").frames()) == 24


def test_a_job_writing_outside_the_output_folder_is_refused(page, ui_server, tmp_path):
    job = tmp_path / "escape.yaml"
    job.write_text(f"inputs: [clip.mp4]\noutput: {tmp_path / 'elsewhere'}\nfactor: 2\nbackend: flow\n")
    page.get_by_role("tab", name="Jobs").click()
    page.locator("#jobs-upload input[type=file]").set_input_files(job)
    status(page, "#jobs-status")
    choose(page, "#jobs-choice", "escape.yaml")
    status(page, "#jobs-status", after="added")
    page.click("#jobs-run")
    assert status(page, "#jobs-status", after="escape.yaml:") == (
        f"toonbatch: error: the job's output folder {tmp_path / 'elsewhere'} lies outside the UI's output folder "
        f"{ui_server.output}; put it below that folder, or start toonbatch ui with --output pointing above it")
    assert not (tmp_path / "elsewhere").exists()


def test_the_server_writes_only_below_its_output_folder_and_removes_the_uploads(ui_server):
    assert ui_server.stop(signal.SIGTERM) == 0  # the fixture's Ctrl-C is the other way out
    for folder in ui_server.outside:
        assert not any(folder.iterdir()), f"the server wrote to {folder}: {sorted(folder.rglob('*'))[:5]}"
    assert not (ui_server.output / ".uploads").exists()
    assert (ui_server.output / "videos" / "cartoon_x2.mp4").is_file()
