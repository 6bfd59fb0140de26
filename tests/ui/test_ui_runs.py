"""The UI's work without a browser: the workspace boundary, settings from the page's fields, the progress bar,
strokes read from a canvas, and the same one-line errors as the CLI."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.errors import InputError, JobSpecError, OutputError, SettingsError, error_line
from tooncrafter_batch.planning.timing import DedupeMode, TimingSettings
from tooncrafter_batch.ui.keyframes_tab import _strokes
from tooncrafter_batch.ui.messages import page_line
from tooncrafter_batch.ui.page_progress import PageProgress
from tooncrafter_batch.ui.runs import import_job, timing_settings
from tooncrafter_batch.ui.workspace import Workspace


def test_the_workspace_refuses_paths_outside_it(tmp_path):
    workspace = Workspace.create(tmp_path / "out")
    assert {path.name for path in workspace.root.iterdir()} == {".uploads", "videos", "keyframes", "jobs"}
    assert workspace.check_inside(workspace.jobs / "x" / ".." / "y", "folder") == workspace.jobs / "y"
    with pytest.raises(OutputError, match=r"folder .*/elsewhere lies outside the UI's output folder .*/out; "):
        workspace.check_inside(workspace.root / ".." / "elsewhere", "folder")
    assert [workspace.new_folder("keyframes", "run").name for _ in range(3)] == ["run", "run-2", "run-3"]
    workspace.remove_uploads()
    assert not workspace.uploads.exists()


@pytest.mark.parametrize("factor, fps, expected", [
    pytest.param(2.0, "", TimingSettings(factor=2), id="factor"),
    pytest.param(2, "59.94", TimingSettings(fps=Fraction(60000, 1001)), id="fps-beats-factor"),
    pytest.param(None, " 30 ", TimingSettings(fps=Fraction(30)), id="fps-alone"),
])
def test_the_rate_fields_read_as_the_cli_options(factor, fps, expected):
    assert timing_settings(factor, fps, DedupeMode.auto.value) == expected


def test_no_rate_at_all_gets_the_clis_message():
    with pytest.raises(SettingsError, match="give exactly one of --factor and --fps"):
        timing_settings(None, "", "auto")


def test_an_uploaded_job_is_copied_only_when_valid(tmp_path):
    workspace = Workspace.create(tmp_path / "out")
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("inputs: [clip.mp4]\noutput: result\nfactor: 2\n")
    bad.write_text("inputs: [clip.mp4]\nfactor: 2\n")
    assert import_job(workspace, good).read_text() == good.read_text()
    with pytest.raises(JobSpecError, match="missing required key 'output'"):
        import_job(workspace, bad)
    assert sorted(path.name for path in workspace.jobs.iterdir()) == ["good.yaml"]
    binary = tmp_path / "blob.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="blob.yaml cannot be read as a YAML job file"):
        import_job(workspace, binary)


def test_the_page_shows_the_clis_line_for_a_toonbatch_error_and_a_hint_for_a_bug():
    error = InputError("clip.mp4 is not a readable video")
    assert page_line(error) == error_line(error) == "toonbatch: error: clip.mp4 is not a readable video"
    assert page_line(KeyError("x")) == "toonbatch: internal error: KeyError: 'x' (the server's log has the traceback)"


def test_progress_shows_the_task_advanced_last():
    calls = []
    progress = PageProgress(lambda value, desc: calls.append((value, desc)))
    progress.start("frames in", 10)
    progress.advance("frames in", 4)
    progress.start("analyse", None)
    progress.advance("frames in")
    assert calls == [((0, 10), "frames in"), ((4, 10), "frames in"), ((0, None), "analyse"), ((5, 10), "frames in")]


def test_strokes_are_the_drawn_pixels_of_a_canvas_layers():
    layer = np.zeros((4, 6, 4), np.uint8)
    layer[1, 2] = (0, 0, 0, 255)
    assert _strokes(None) is None
    assert _strokes({"background": None, "layers": [], "composite": None}) is None
    assert _strokes({"layers": [np.zeros((4, 6, 4), np.uint8)]}) is None
    mask = _strokes({"layers": [np.zeros((4, 6, 4), np.uint8), layer]})
    assert mask.shape == (4, 6) and mask.sum() == 1 and mask[1, 2]
