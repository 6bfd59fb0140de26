"""The quality report of `upscale-fps`: report.json (a record per filled pair), a self-contained page, `toonbatch
report` to draw it again, `--no-report` to skip it."""

import json
import re
from pathlib import Path

import pytest

from tooncrafter_batch.cli import main
from tooncrafter_batch.reporting.records import inbetween_confidence, pair_confidence

RECORD_FIELDS = {"scene", "pair", "start_frame", "end_frame", "start_time", "end_time", "backend", "motion",
                 "occluded", "residual", "line_miss", "change", "score", "confidence", "outputs", "positions",
                 "confidences"}


def assert_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "<script" not in page
    sources = re.findall(r"src=['\"]([^'\"]*)", page)
    assert sources and all(source.startswith("data:image/png;base64,") for source in sources)


@pytest.fixture(scope="module")
def upscaled(small_cartoon, tmp_path_factory):
    """small_cartoon (24 frames on ones, a cut at 12) x2 with the flow backend; returns (output folder, stderr)."""
    source, _ = small_cartoon
    folder = tmp_path_factory.mktemp("report")
    copy = folder / "clip.mp4"
    copy.write_bytes(source.read_bytes())
    code = main(["upscale-fps", str(copy), "--factor", "2", "--backend", "flow"])
    assert code == 0
    return folder


def test_upscale_writes_one_record_per_filled_pair(upscaled):
    report = json.loads((upscaled / "clip_x2.report.json").read_text())
    assert (upscaled / "clip_x2.report.html").is_file()
    (video,) = report["videos"]
    assert video["output"].endswith("clip_x2.mp4") and video["status"] == "done"
    pairs = video["quality"]["pairs"]
    # on ones, x2: one in-between in the middle of every pair of neighbours but the one across the cut (11 -> 12)
    expected = [(index, index + 1) for index in range(23) if index != 11]
    assert [(record["start_frame"], record["end_frame"]) for record in pairs] == expected
    assert all(set(record) == RECORD_FIELDS for record in pairs)
    assert [record["pair"] for record in pairs] == list(range(22))
    assert [record["scene"] for record in pairs] == [0] * 11 + [1] * 11
    assert all(record["outputs"] == [2 * record["start_frame"] + 1] for record in pairs)
    assert all(record["positions"] == [0.5] and record["confidences"] == [record["confidence"]] for record in pairs)
    assert {record["backend"] for record in pairs} == {"flow"} == {video["quality"]["backend"]}
    assert all(0 < record["confidence"] <= 1 and record["score"] >= 0 for record in pairs)


def test_worst_pairs_are_the_hardest(upscaled):
    quality = json.loads((upscaled / "clip_x2.report.json").read_text())["videos"][0]["quality"]
    by_score = sorted(quality["pairs"], key=lambda record: (-record["score"], record["pair"]))
    assert [thumb["pair"] for thumb in quality["worst"]] == [record["pair"] for record in by_score[:6]]


def test_page_is_self_contained_and_shows_each_scene(upscaled):
    page = (upscaled / "clip_x2.report.html").read_text()
    assert_self_contained(page)
    assert page.count("<img") == 3 * 6  # keyframe 0, overlay, keyframe 1 for each hardest pair
    assert "<svg" in page and "<h3>Scenes</h3>" in page and "not a measured quality" in page


def test_report_command_draws_the_page_again(upscaled, capsys):
    page = upscaled / "clip_x2.report.html"
    before = page.read_text()
    page.unlink()
    assert main(["report", str(upscaled / "clip_x2.mp4")]) == 0
    assert page.read_text() == before
    assert capsys.readouterr().out.strip() == f"quality report: {page}"


def test_report_command_on_a_folder_without_a_report_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no quality report" in err and "Traceback" not in err


def test_upscale_prints_where_the_report_is(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    assert main(["upscale-fps", str(source), "--factor", "2", "--backend", "flow", "-o",
                 str(tmp_path / "out.mp4")]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "quality report" in line]
    assert lines == [f"quality report: {tmp_path / 'out.report.html'}"]


def test_no_report_writes_none(small_cartoon, tmp_path):
    source, _ = small_cartoon
    assert main(["upscale-fps", str(source), "--factor", "2", "--backend", "flow", "--no-report", "--quiet", "-o",
                 str(tmp_path / "out.mp4")]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.mp4"]


def test_png_folder_output_gets_its_report_beside_the_folder(small_cartoon, tmp_path):
    source, _ = small_cartoon
    assert main(["upscale-fps", str(source), "--factor", "2", "--backend", "flow", "--quiet", "-o",
                 f"{tmp_path / 'frames'}/"]) == 0
    assert (tmp_path / "frames.report.json").is_file() and (tmp_path / "frames.report.html").is_file()
    assert not list((tmp_path / "frames").glob("*.json"))


@pytest.mark.parametrize("score, expected", [(0.0, 1.0), (8.0, 0.5), (24.0, 0.25)])
def test_pair_confidence_is_a_falling_map_of_the_score(score, expected):
    assert pair_confidence(score) == pytest.approx(expected)


@pytest.mark.parametrize("position, expected", [(0.5, 0.4), (0.25, 0.7), (0.75, 0.7), (0.0, 1.0)])
def test_inbetween_confidence_rises_towards_the_keyframes(position, expected):
    assert inbetween_confidence(0.4, position) == pytest.approx(expected)
