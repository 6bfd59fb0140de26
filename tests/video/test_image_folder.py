"""Folders of numbered PNGs in and out."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from tooncrafter_batch.errors import DecodeError, InputError
from tooncrafter_batch.video.decode import open_video
from tooncrafter_batch.video.image_folder import ImageFolderWriter


def write_pngs(folder: Path, names: list[str], size=(48, 64)) -> list[np.ndarray]:
    folder.mkdir(exist_ok=True)
    images = []
    for number, name in enumerate(names):
        image = np.zeros((*size, 3), np.uint8)
        image[..., 0], image[..., 1] = number * 20, 255 - number * 20  # red up, green down: order is visible
        cv2.imwrite(str(folder / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        images.append(image)
    return images


def test_pngs_are_read_in_number_order_at_the_given_rate(tmp_path):
    names = ["frame_1.png", "frame_2.png", "frame_10.png", "frame_11.png"]  # name order would put 10 before 2
    images = write_pngs(tmp_path / "in", names)
    (tmp_path / "in" / "notes.txt").write_text("not a frame")
    source = open_video(tmp_path / "in", input_fps=Fraction(24000, 1001))
    assert source.info.is_image_folder and source.info.num_frames == 4
    assert (source.info.width, source.info.height, source.info.frame_rate) == (64, 48, Fraction(24000, 1001))
    assert source.info.duration == 4 * Fraction(1001, 24000)
    frames = list(source.frames())
    assert [frame.time for frame in frames] == [index * Fraction(1001, 24000) for index in range(4)]
    assert all(np.array_equal(frame.image, image) for frame, image in zip(frames, images))


def _different_sizes(folder: Path) -> Path:
    write_pngs(folder, ["0.png", "1.png"])
    write_pngs(folder, ["2.png"], size=(50, 64))
    return folder


def _fake_png(folder: Path) -> Path:
    write_pngs(folder, ["0.png"])
    (folder / "1.png").write_text("I am text")
    return folder


def _no_pngs(folder: Path) -> Path:
    folder.mkdir()
    (folder / "0.jpg").write_bytes(b"\xff\xd8")
    return folder


@pytest.mark.parametrize("make_folder, input_fps, message", [
    pytest.param(lambda folder: write_pngs(folder, ["0.png"]) and folder, None, "--input-fps", id="no-rate"),
    pytest.param(_no_pngs, Fraction(24), "no .png files", id="no-pngs"),
    pytest.param(_different_sizes, Fraction(24), "same size", id="different-sizes"),
    pytest.param(_fake_png, Fraction(24), "not a PNG", id="not-a-png"),
])
def test_bad_folders_are_input_errors(tmp_path, make_folder, input_fps, message):
    with pytest.raises(InputError, match=message):
        open_video(make_folder(tmp_path / "in"), input_fps=input_fps)


def test_a_png_that_cannot_be_decoded_stops_the_run_unless_partial_is_allowed(tmp_path):
    folder = tmp_path / "in"
    write_pngs(folder, ["0.png", "1.png", "2.png"])
    data = (folder / "1.png").read_bytes()
    (folder / "1.png").write_bytes(data[:33])  # the header survives, the pixels do not
    with pytest.raises(DecodeError, match=r"1\.png cannot be decoded .*0\.042 s"):
        list(open_video(folder, input_fps=Fraction(24)).frames())
    source = open_video(folder, input_fps=Fraction(24), allow_partial=True)
    assert len(list(source.frames())) == 1
    assert source.was_truncated and source.break_time == Fraction(1, 24)


def test_the_writer_numbers_frames_from_zero_and_leaves_no_temporary_files(tmp_path, make_info):
    images = write_pngs(tmp_path / "unused", ["a.png", "b.png"])
    with ImageFolderWriter(tmp_path / "out", make_info(64, 48), audio_dropped=False) as writer:
        for image in images:
            writer.write(image)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["000000.png", "000001.png"]
    assert writer.warnings == []
    back = open_video(tmp_path / "out", input_fps=Fraction(24))
    assert all(np.array_equal(frame.image, image) for frame, image in zip(back.frames(), images))
