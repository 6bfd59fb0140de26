"""`toonbatch sketch extract` from the command line, and `toonbatch model layout` of the sketch encoder."""

import json
from pathlib import Path

import cv2
import numpy as np

from tooncrafter_batch.cli import main


def _frame(path):
    image = np.full((60, 80, 3), 230, np.uint8)
    cv2.circle(image, (40, 30), 18, (0, 0, 0), 2)
    cv2.imwrite(str(path), image)
    return path


def test_extract_writes_black_lines_on_white(tmp_path, capsys):
    frame = _frame(tmp_path / "key.png")
    assert main(["sketch", "extract", str(frame), "-o", str(tmp_path / "lines.png")]) == 0
    lines = cv2.imread(str(tmp_path / "lines.png"), cv2.IMREAD_UNCHANGED)
    assert lines.shape == (60, 80)
    assert lines[30, 22] == 0 and lines[30, 40] == 255 and lines[2, 2] == 255
    assert capsys.readouterr().out.strip() == str(tmp_path / "lines.png")


def test_extract_defaults_to_a_name_beside_the_image(tmp_path):
    frame = _frame(tmp_path / "key.png")
    assert main(["sketch", "extract", str(frame)]) == 0
    assert (tmp_path / "key_lines.png").is_file()


def test_extract_errors_are_one_line(tmp_path, capsys):
    assert main(["sketch", "extract", str(tmp_path / "missing.png")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "missing.png does not exist" in error
    frame = _frame(tmp_path / "key.png")
    (tmp_path / "lines.png").write_bytes(b"")
    assert main(["sketch", "extract", str(frame), "-o", str(tmp_path / "lines.png")]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert main(["sketch", "extract", str(frame), "-o", str(tmp_path / "lines.png"), "--overwrite"]) == 0


def test_model_layout_of_the_sketch_encoder_is_the_manifest(capsys):
    repo = Path(__file__).resolve().parents[2]
    manifest = json.loads((repo / "tests" / "data" / "reference" / "sketch" / "manifest_sketch.json").read_text())
    assert main(["model", "layout", "--config", str(repo / "configs" / "sketch_encoder.yaml"), "--json"]) == 0
    layout = json.loads(capsys.readouterr().out)
    assert list(layout.items()) == [(entry["key"], entry["shape"]) for entry in manifest["keys"]]
