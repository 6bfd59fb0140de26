"""Protocol case-building on hand-made frame sequences with known holds and a cut."""

from fractions import Fraction

import cv2
import numpy as np
import pytest

from tooncrafter_batch.errors import InputError, SettingsError
from tooncrafter_batch.evaluation.protocols import (Case, Clip, Protocol, ProtocolKind, build_cases,
                                                    distinct_drawings, load_clip, scene_ids, scenes, thumbnails)

HEIGHT, WIDTH = 36, 64
# (shot, drawing, frames held): shot 0 mixes twos, threes and ones; shot 1 (from frame 10) is on twos.
TIMING = [(0, 0, 2), (0, 1, 2), (0, 2, 3), (0, 3, 1), (0, 4, 2), (1, 0, 2), (1, 1, 2), (1, 2, 2)]
DRAWING_STARTS = [0, 2, 4, 7, 8, 10, 12, 14]


def _drawing(shot: int, drawing: int) -> np.ndarray:
    """A black 8x8 square, 4 px further right for each drawing, on a mid-grey (shot 0) or dark (shot 1) ground."""
    frame = np.full((HEIGHT, WIDTH, 3), 128 if shot == 0 else 20, np.uint8)
    x = 4 + 6 * drawing
    frame[14:22, x : x + 8] = (0, 0, 0) if shot == 0 else (230, 230, 230)
    return frame


def _held_copy(frame: np.ndarray, seed: int) -> np.ndarray:
    """The same drawing with +-1 compression-like noise."""
    noise = np.random.default_rng(seed).integers(-1, 2, frame.shape)
    return np.clip(frame.astype(int) + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def clip() -> Clip:
    frames = []
    for shot, drawing, hold in TIMING:
        first = _drawing(shot, drawing)
        frames += [first] + [_held_copy(first, len(frames) + k) for k in range(1, hold)]
    return Clip(name="synthetic", frames=tuple(frames), frame_rate=Fraction(24))


def test_holds_and_the_cut_are_found(clip):
    thumbs = thumbnails(clip)
    assert thumbs.shape == (16, 90, 160)
    assert distinct_drawings(thumbs) == DRAWING_STARTS
    assert scene_ids(thumbs) == [0] * 10 + [1] * 6
    assert [(s.start, s.end) for s in scenes(thumbs)] == [(0, 10), (10, 16)]


def test_uniq_predicts_each_drawing_from_its_neighbours_but_never_across_the_cut(clip):
    cases = build_cases(clip, Protocol(ProtocolKind.uniq))
    assert [(c.left, c.truth, c.right) for c in cases] == [(0, 2, 4), (2, 4, 7), (4, 7, 8), (10, 12, 14)]
    assert all(c.position == 0.5 and c.is_motion for c in cases)
    assert [c.scene for c in cases] == [0, 0, 0, 1]


@pytest.mark.parametrize("factor, expected", [
    pytest.param(2, [Case(0, 2, 1, 0.5, 0, True), Case(2, 4, 3, 0.5, 0, True), Case(4, 6, 5, 0.5, 0, False),
                     Case(6, 8, 7, 0.5, 0, True), Case(8, 10, 9, 0.5, 0, False), Case(10, 12, 11, 0.5, 1, True),
                     Case(12, 14, 13, 0.5, 1, True)], id="k2-hold-and-cut-are-not-motion"),
    pytest.param(4, [Case(0, 4, 1, 0.25, 0, True), Case(0, 4, 2, 0.5, 0, True), Case(0, 4, 3, 0.75, 0, True),
                     Case(4, 8, 5, 0.25, 0, True), Case(4, 8, 6, 0.5, 0, True), Case(4, 8, 7, 0.75, 0, True),
                     Case(8, 12, 9, 0.25, 0, False), Case(8, 12, 10, 0.5, 1, False),
                     Case(8, 12, 11, 0.75, 1, False)], id="k4-frames-after-last-kept-are-dropped"),
])
def test_sub_keeps_every_nth_frame(clip, factor, expected):
    assert build_cases(clip, Protocol(ProtocolKind.sub, factor)) == expected


@pytest.mark.parametrize("kind, factor", [(ProtocolKind.sub, 1), (ProtocolKind.sub, True), (ProtocolKind.uniq, 4)])
def test_bad_protocols_are_refused(kind, factor):
    with pytest.raises(SettingsError):
        Protocol(kind, factor)


def test_protocol_names():
    assert Protocol(ProtocolKind.sub, 4).name == "sub_k4"
    assert Protocol(ProtocolKind.uniq).name == "uniq"


def _write_folder(folder, frames):
    folder.mkdir()
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{index:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))


def test_png_folder_is_read_in_name_order_and_cropped_to_even_size(tmp_path):
    frames = [np.full((37, 65, 3), (value, 255 - value, 7), np.uint8) for value in (10, 20, 30, 40)]
    _write_folder(tmp_path / "clip", frames)
    clip = load_clip(tmp_path / "clip", Fraction(12))
    assert clip.name == "clip" and clip.frame_rate == 12
    assert [f.shape for f in clip.frames] == [(36, 64, 3)] * 4
    assert [int(f[0, 0, 0]) for f in clip.frames] == [10, 20, 30, 40]
    assert clip.frames[0][0, 0].tolist() == [10, 245, 7]  # RGB, not BGR


def test_video_decodes_to_rgb_at_the_stream_rate(small_cartoon):
    path, spec = small_cartoon
    clip = load_clip(path)
    assert len(clip.frames) == spec.num_frames
    assert clip.frame_rate == Fraction(24000, 1001)
    assert clip.frames[0].shape == (spec.height, spec.width, 3) and clip.frames[0].dtype == np.uint8


@pytest.mark.parametrize("make, message", [
    pytest.param(lambda tmp: tmp / "missing", "no such file", id="missing"),
    pytest.param(lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "no PNG", id="empty-folder"),
    pytest.param(lambda tmp: _write_folder(tmp / "short", [np.zeros((8, 8, 3), np.uint8)] * 2) or tmp / "short",
                 "at least 3", id="too-short"),
    pytest.param(lambda tmp: _write_folder(tmp / "mixed", [np.zeros((8, 8, 3), np.uint8),
                                                          np.zeros((8, 10, 3), np.uint8)] * 2) or tmp / "mixed",
                 "differ in size", id="mixed-sizes"),
    pytest.param(lambda tmp: (tmp / "junk.mp4").write_bytes(b"not a video") and tmp / "junk.mp4", "cannot decode",
                 id="not-a-video"),
])
def test_bad_inputs_raise_input_errors(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        load_clip(make(tmp_path))
