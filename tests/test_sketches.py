"""Sketch input: specs, polarity detection, fitting, sparse and video guides, errors, line-art extraction."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from tooncrafter_batch.imaging.grid_fit import FitMode, GridFit
from tooncrafter_batch.errors import InputError, SettingsError
from tooncrafter_batch.imaging.line_art import (SketchFrames, extract_line_art, fit_sketches_to_grid, fit_to_size,
                                                lines_to_image, normalise_line_art)
from tooncrafter_batch.sketches import (NUM_SKETCH_FRAMES, SketchSpec, load_sketch_video, load_sparse_sketches,
                                       parse_sketch_spec, read_image, sketch_position)

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "tooncrafter_sketch_sample"


def _circle_drawing(height=90, width=120, black_on_white=True, paper=255) -> np.ndarray:
    """RGB line art: a circle outline of 3 px, lines black on `paper` (or white on black)."""
    image = np.full((height, width, 3), paper, np.uint8)
    cv2.circle(image, (width // 2, height // 2), min(height, width) // 3, (0, 0, 0), 3)
    return image if black_on_white else 255 - image


def _write_rgb(path: Path, image: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


@pytest.mark.parametrize("text, index, path", [
    pytest.param("8:pose.png", 8, "pose.png", id="simple"),
    pytest.param("0:a/b:c.png", 0, "a/b:c.png", id="colon-in-path"),
    pytest.param("15:end.png", 15, "end.png", id="last"),
])
def test_parse_sketch_spec(text, index, path):
    assert parse_sketch_spec(text) == SketchSpec(index=index, path=Path(path))


@pytest.mark.parametrize("text, message", [
    pytest.param("16:x.png", "sketch index 16 is outside 0..15", id="index-too-big"),
    pytest.param("-1:x.png", "sketch index -1 is outside 0..15", id="negative"),
    pytest.param("pose.png", "is not INDEX:PATH", id="no-index"),
    pytest.param("8:", "is not INDEX:PATH", id="no-path"),
    pytest.param("eight:x.png", "'eight' is not a whole number", id="not-a-number"),
])
def test_parse_sketch_spec_errors_name_the_problem(text, message):
    with pytest.raises(SettingsError, match=message):
        parse_sketch_spec(text)


def test_sketch_position_spans_the_pair():
    assert [sketch_position(i) for i in (0, 5, 15)] == [0.0, 5 / 15, 1.0]
    assert sketch_position(3, num_frames=7) == 0.5


@pytest.mark.parametrize("drawing", [
    pytest.param(_circle_drawing(black_on_white=True), id="black-on-white"),
    pytest.param(_circle_drawing(black_on_white=False), id="white-on-black"),
    pytest.param(_circle_drawing(paper=235), id="grey-paper"),
])
def test_normalise_line_art_gives_white_lines_on_black_whatever_the_polarity(drawing):
    lines = normalise_line_art(drawing)
    expected = _circle_drawing()[:, :, 0] == 0
    assert lines.dtype == np.float32 and lines.shape == drawing.shape[:2]
    assert np.all(lines[expected] == 1.0)
    assert np.all(lines[~expected] == 0.0)


@pytest.mark.parametrize("value", [0, 255], ids=["black", "white"])
def test_blank_pages_of_either_colour_give_no_lines(value):
    assert not normalise_line_art(np.full((20, 30, 3), value, np.uint8)).any()


def test_fit_to_size_keeps_the_aspect_and_crops_the_middle():
    image = np.zeros((100, 300, 3), np.uint8)
    image[:, 100:200] = 255  # the middle third is white
    fitted = fit_to_size(image, 50, 50)
    assert fitted.shape == (50, 50, 3)
    assert fitted.min() == 255  # only the middle third survives the crop
    assert fit_to_size(np.zeros((64, 96, 3), np.uint8), 320, 480).shape == (320, 480, 3)


def test_sparse_sketches_fill_their_frames_and_leave_the_rest_blank(tmp_path):
    first = _write_rgb(tmp_path / "pose.png", _circle_drawing(180, 240))
    second = _write_rgb(tmp_path / "arm.png", _circle_drawing(45, 60, black_on_white=False))
    guide = load_sparse_sketches([SketchSpec(8, first), SketchSpec(12, second)], height=60, width=80)
    assert guide.lines.shape == (NUM_SKETCH_FRAMES, 60, 80)
    assert list(np.flatnonzero(guide.has_sketch)) == [8, 12]
    assert sorted(guide.drawn()) == [8, 12]
    drawn = guide.lines.reshape(NUM_SKETCH_FRAMES, -1).max(axis=1)
    assert drawn[8] > 0.9 and drawn[12] > 0.9
    assert not np.delete(guide.lines, [8, 12], axis=0).any()
    overlap = np.logical_and(guide.lines[8] > 0.5, guide.lines[12] > 0.5).sum() / (guide.lines[8] > 0.5).sum()
    assert overlap > 0.5  # the same circle, whichever polarity and size it was drawn at


def test_transparent_png_counts_as_lines_on_white_paper(tmp_path):
    image = np.zeros((40, 40, 4), np.uint8)  # fully transparent, black
    cv2.line(image, (5, 20), (35, 20), (0, 0, 0, 255), 2)
    cv2.imwrite(str(tmp_path / "lines.png"), image)
    lines = normalise_line_art(read_image(tmp_path / "lines.png"))
    assert lines[20, 20] == 1.0 and lines[5, 5] == 0.0


def test_sparse_sketch_errors(tmp_path):
    with pytest.raises(InputError, match="sketch for frame 3: image .*missing.png does not exist"):
        load_sparse_sketches([SketchSpec(3, tmp_path / "missing.png")], 32, 32)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="sketch for frame 3: .*broken.png cannot be read"):
        load_sparse_sketches([SketchSpec(3, tmp_path / "broken.png")], 32, 32)
    good = _write_rgb(tmp_path / "good.png", _circle_drawing())
    with pytest.raises(SettingsError, match="sketch index 16 is outside 0..15"):
        load_sparse_sketches([SketchSpec(16, good)], 32, 32)
    with pytest.raises(SettingsError, match="two sketches for frame 4"):
        load_sparse_sketches([SketchSpec(4, good), SketchSpec(4, good)], 32, 32)


def _write_video(path: Path, frames: list[np.ndarray]) -> Path:
    from tooncrafter_batch.video.encode import write_clip

    write_clip(path, frames, Fraction(10))
    return path


def test_sketch_video_of_sixteen_frames_marks_blank_frames_unsketched(tmp_path):
    frames = [_circle_drawing(64, 96) if index % 5 == 0 else np.full((64, 96, 3), 255, np.uint8)
              for index in range(NUM_SKETCH_FRAMES)]
    guide = load_sketch_video(_write_video(tmp_path / "guide.mp4", frames), height=32, width=48)
    assert guide.lines.shape == (NUM_SKETCH_FRAMES, 32, 48)
    assert list(np.flatnonzero(guide.has_sketch)) == [0, 5, 10, 15]


def test_sketch_video_of_the_wrong_length_is_refused(tmp_path):
    path = _write_video(tmp_path / "short.mp4", [_circle_drawing(64, 96)] * 12)
    with pytest.raises(InputError, match="has 12 frames; it needs exactly 16"):
        load_sketch_video(path, 32, 48)
    with pytest.raises(InputError, match="nope.mp4 does not exist"):
        load_sketch_video(tmp_path / "nope.mp4", 32, 48)


def test_extract_line_art_finds_outlines_and_fill_borders():
    image = np.full((96, 128, 3), (240, 230, 200), np.uint8)
    cv2.circle(image, (40, 48), 25, (200, 60, 60), -1)
    cv2.circle(image, (40, 48), 25, (0, 0, 0), 2)  # an inked outline
    cv2.rectangle(image, (80, 20), (115, 75), (60, 120, 220), -1)  # a fill with no outline
    lines = extract_line_art(image)
    assert lines.dtype == np.uint8 and lines.shape == (96, 128)
    is_line = lines == 0
    assert is_line[48, 15] and is_line[23, 40]  # on the inked circle
    assert is_line[20:76, 78:83].any() and is_line[20:76, 113:118].any()  # the rectangle's left and right borders
    assert not is_line[40:55, 30:50].any()  # flat fill inside the circle
    assert not is_line[85:, :].any()  # flat paper below


def test_lines_to_image_round_trips_through_normalise():
    lines = normalise_line_art(_circle_drawing())
    np.testing.assert_array_equal(normalise_line_art(lines_to_image(lines)), lines)


def test_extract_line_art_on_the_sample_keyframe():
    if not SAMPLE.is_dir():
        pytest.skip("../shared/data/tooncrafter_sketch_sample is absent (only on the development machines)")
    keyframe = read_image(SAMPLE / "frame_1.png")
    lines = extract_line_art(keyframe) == 0
    assert 0.01 < lines.mean() < 0.2  # a drawing, neither empty nor a noise field
    assert not lines[:40, :100].any()  # the plain grey backdrop at the top left stays paper


@pytest.mark.parametrize("mode", list(FitMode))
def test_sketches_go_to_the_grid_where_the_keyframes_go(mode):
    keyframe = np.zeros((240, 320, 3), np.uint8)  # 4:3, so pad leaves margins and crop cuts the sides
    cv2.rectangle(keyframe, (100, 60), (220, 180), (255, 255, 255), 3)
    cv2.line(keyframe, (0, 0), (0, 239), (255, 255, 255), 2)  # a line along the left border
    lines = np.zeros((NUM_SKETCH_FRAMES, 240, 320), np.float32)
    lines[7] = keyframe[:, :, 0] / 255.0
    has_sketch = np.zeros(NUM_SKETCH_FRAMES, bool)
    has_sketch[7] = True
    fit = GridFit.plan(mode, (240, 320), (64, 96))
    gridded = fit_sketches_to_grid(SketchFrames(lines, has_sketch), fit)
    expected = fit.to_grid(keyframe)[:, :, 0] / 255.0
    assert gridded.lines.shape == (NUM_SKETCH_FRAMES, 64, 96)
    assert list(np.flatnonzero(gridded.has_sketch)) == [7]
    inside = slice(max(0, fit.offset[1]), fit.offset[1] + fit.scaled_size[1])
    np.testing.assert_allclose(gridded.lines[7][:, inside], expected[:, inside], atol=1 / 255)
    assert not gridded.lines[7][:, :max(0, fit.offset[1])].any()  # pad margins stay blank, not smeared lines
