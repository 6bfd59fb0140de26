"""`upscale-fps --backend auto` routed along a ladder under a budget, and `--dry-run`."""

import json
from pathlib import Path

import pytest

from tooncrafter_batch.cli import main


def _run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())  # rich wraps long lines at the terminal's width


def _upscale(capsys, source: Path, output: Path, *extra) -> tuple[bytes, str]:
    code, _, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "-o", str(output), *extra)
    assert code == 0, err
    return output.read_bytes(), err


def test_budget_zero_gives_the_first_rung_byte_for_byte(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    flow, _ = _upscale(capsys, source, tmp_path / "flow.mp4", "--backend", "flow", "--quiet")
    auto, err = _upscale(capsys, source, tmp_path / "auto.mp4", "--ladder", "flow,blend", "--budget", "0")
    assert auto == flow
    assert "pairs: flow 22, blend 0" in err


def test_budget_one_sends_every_moving_pair_up(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon  # on ones: every pair moves (the cut and the last frame are held copies)
    blend, _ = _upscale(capsys, source, tmp_path / "blend.mp4", "--backend", "blend", "--quiet")
    auto, err = _upscale(capsys, source, tmp_path / "auto.mp4", "--backend", "auto", "--ladder", "flow,blend",
                         "--budget", "1")
    assert auto == blend
    assert "pairs: flow 0, blend 22" in err
    report = json.loads((tmp_path / "auto.report.json").read_text())
    assert {pair["backend"] for pair in report["videos"][0]["quality"]["pairs"]} == {"blend"}, "the rung that made it"


def test_dry_run_prints_pairs_per_backend_and_writes_nothing(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    code, out, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "-o", str(tmp_path / "new") + "/",
                          "--ladder", "flow,blend", "--budget", "0.3", "--dry-run")
    assert code == 0, err
    assert "24 frames in -> 48 out, 2 scene(s), 22 pairs to fill" in out
    lines = [line.strip() for line in out.splitlines()]
    flow = next(line for line in lines if line.startswith("flow:"))
    blend = next(line for line in lines if line.startswith("blend:"))
    assert int(flow.split()[1]) + int(blend.split()[1]) == 22 and 1 <= int(blend.split()[1]) <= 8
    assert "CPU s" in flow and "nothing written" in out
    assert list(tmp_path.iterdir()) == [], "no output, no folder, no report"


def test_a_rung_without_weights_is_left_out_with_a_note(small_cartoon, tmp_path, capsys):
    source, _ = small_cartoon
    code, out, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "--ladder", "flow,gmfss",
                          "--weights-dir", str(tmp_path), "--dry-run")
    assert code == 0, err
    assert "note: gmfss left out of the ladder" in err and "toonbatch model download gmfss" in err
    assert "flow: 22 pairs" in out and "gmfss" not in out


@pytest.mark.parametrize("extra, message", [
    pytest.param(["--ladder", "flow,warp"], "unknown backend 'warp'", id="unknown-rung"),
    pytest.param(["--ladder", "flow,blend,flow"], "twice", id="repeated-rung"),
    pytest.param(["--budget", "1.5"], "--budget", id="budget-above-one"),
    pytest.param(["--backend", "flow", "--budget", "0.5"], "apply to --backend auto only", id="budget-without-auto"),
])
def test_bad_route_options_are_one_line_errors(small_cartoon, capsys, extra, message):
    source, _ = small_cartoon
    code, _, err = _run(capsys, "upscale-fps", str(source), "--factor", "2", "--dry-run", *extra)
    assert code == 2 and message in err
