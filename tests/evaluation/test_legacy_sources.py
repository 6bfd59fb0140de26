"""`eval` on legacy clips: a telecined video is scored on its restored pictures, as upscale-fps would use them."""

import json
from fractions import Fraction

import numpy as np
from typer.testing import CliRunner

from tooncrafter_batch.cli import app
from tooncrafter_batch.conditioning import SourceMode
from tooncrafter_batch.evaluation.protocols import load_clip


def test_a_telecined_clip_loads_as_its_pictures(legacy_clips):
    original = load_clip(legacy_clips["progressive"])
    restored = load_clip(legacy_clips["telecined"])
    assert restored.frame_rate == original.frame_rate == Fraction(24000, 1001)
    assert len(restored.frames) == len(original.frames) == 40
    errors = [np.mean((a.astype(float) - b) ** 2) for a, b in zip(restored.frames, original.frames)]
    assert 10 * np.log10(255 ** 2 / max(errors)) >= 30
    as_decoded = load_clip(legacy_clips["telecined"], source=SourceMode.progressive)
    assert len(as_decoded.frames) == 50 and as_decoded.frame_rate == Fraction(30000, 1001)


def test_eval_scores_the_telecined_clip_like_the_original(legacy_clips):
    scores = {}
    for name in ("progressive", "telecined"):
        result = CliRunner().invoke(app, ["eval", str(legacy_clips[name]), "--protocol", "sub", "--backend", "blend",
                                          "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        scores[name] = json.loads(result.output)["methods"]["blend"]["overall"]
    assert scores["telecined"]["n"] == scores["progressive"]["n"]
    assert abs(scores["telecined"]["psnr"] - scores["progressive"]["psnr"]) < 1.0
