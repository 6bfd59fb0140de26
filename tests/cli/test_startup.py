"""The command starts fast: the CLI and the flow backend's path never import torch, open_clip, ray or gradio."""

import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from tooncrafter_batch.synthetic import CartoonSpec, write_cartoon

HEAVY = ("torch", "open_clip", "ray", "gradio")
REPORT_HEAVY = f"print(*(name in sys.modules for name in {HEAVY!r}))"


def _python(code: str, cwd: Path) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_importing_the_cli_loads_no_model_or_cluster_code(tmp_path):
    assert _python(f"import sys, tooncrafter_batch.cli; {REPORT_HEAVY}", cwd=tmp_path) == "False False False False"


def test_a_flow_run_loads_no_model_or_cluster_code(tmp_path):
    write_cartoon(tmp_path / "clip.mp4", CartoonSpec(width=64, height=48, num_frames=6, frame_rate=Fraction(24),
                                                     with_audio=False))
    code = ("import sys\nfrom tooncrafter_batch.cli import main\n"
            "assert main(['upscale-fps', 'clip.mp4', '--factor', '2', '-o', 'out.mp4', '--quiet']) == 0\n"
            + REPORT_HEAVY)
    assert _python(code, cwd=tmp_path) == "False False False False"
    assert (tmp_path / "out.mp4").stat().st_size > 0


@pytest.mark.parametrize("option, default", [
    pytest.param("--steps", "50", id="steps"),
    pytest.param("--cfg", "7.5", id="cfg"),
    pytest.param("--fs", "10", id="fs"),
    pytest.param("--eta", "1.0", id="eta"),
    pytest.param("--seed", "123", id="seed"),
    pytest.param("--dtype", "fp32", id="dtype"),
    pytest.param("--fit", "pad", id="fit"),
    pytest.param("--batch-pairs", "1", id="batch-pairs"),
    pytest.param("--full-resolution", None, id="full-resolution"),
    pytest.param("--checkpoint", None, id="checkpoint"),
    pytest.param("--random-weights", None, id="random-weights"),
])
def test_upscale_help_still_lists_the_tooncrafter_options(upscale_help, option, default):
    line = next((line for line in upscale_help.splitlines() if re.search(rf"\s{re.escape(option)}\s", line)), None)
    assert line is not None, f"{option} missing from toonbatch upscale-fps --help"
    assert "ToonCrafter" in line
    if default is not None:
        assert f"[default: {default}]" in line


@pytest.fixture(scope="module")
def upscale_help() -> str:
    toonbatch = Path(sys.executable).parent / "toonbatch"
    environment = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run([str(toonbatch), "upscale-fps", "--help"], capture_output=True, text=True, timeout=120,
                            env=environment)
    assert result.returncode == 0, result.stderr
    return result.stdout
