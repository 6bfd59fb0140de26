"""The tooncrafter backend's `full_resolution` option, with an oracle in place of the sampler.

`OracleToonCrafter` is the real backend (tiny model, built but never run) whose `sample_on_grid` returns the true
frames of a synthetic clip placed on a 96x160 stand-in grid, as a perfect generator would. What is tested is the
rest of the backend: undoing the fit at the source's size, for pad and crop, with and without full resolution.
"""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.backends.tooncrafter import GridVideo, ToonCrafterInterpolator
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.evaluation.metrics import psnr
from tooncrafter_batch.imaging.grid_fit import FitMode, GridFit
from tooncrafter_batch.synthetic import CartoonSpec, render_frame

START, END = Fraction(1, 2), Fraction(1, 2) + Fraction(1, 12)


class OracleToonCrafter(ToonCrafterInterpolator):
    """ToonCrafter whose 16 generated frames are the truth: frame i shows `spec` at START + i/15 (END - START)."""

    spec = CartoonSpec()  # the clip the pairs come from; set before `interpolate`

    def sample_on_grid(self, pairs, sketches=None, on_step=None):
        videos = []
        for pair in pairs:
            fit = GridFit.plan(FitMode(self.options.fit), pair.start.shape[:2], self.grid_size)
            times = [START + (END - START) * Fraction(index, self.num_frames - 1) for index in range(self.num_frames)]
            videos.append(GridVideo(fit, np.stack([fit.to_grid(render_frame(self.spec, time)) for time in times])))
        return videos


@pytest.fixture(scope="module")
def oracles(tiny_config_on_grid) -> dict[tuple[str, bool], OracleToonCrafter]:
    """One oracle backend per (fit, full_resolution), built once, on a 96x160 stand-in grid."""
    oracle_config = tiny_config_on_grid(96, 160)
    return {(fit, full): OracleToonCrafter(config=oracle_config, random_weights=True, fit=fit, full_resolution=full)
            for fit in (FitMode.pad.value, FitMode.crop.value) for full in (True, False)}


def _middle(backend: OracleToonCrafter, spec: CartoonSpec) -> tuple[np.ndarray, np.ndarray]:
    """The backend's in-between at t = 0.5 (generated frame 8) and the true frame there."""
    backend.spec = spec
    pair = Pair(render_frame(spec, START), render_frame(spec, END))
    frame = backend.interpolate([pair], [[0.5]])[0][0]
    return frame, render_frame(spec, START + (END - START) * Fraction(8, 15))


@pytest.mark.parametrize("fit, width, height, margin", [
    pytest.param("pad", 480, 288, 5.0, id="pad-16:9"), pytest.param("pad", 401, 301, 5.0, id="pad-4:3-odd"),
    pytest.param("pad", 210, 350, 5.0, id="pad-portrait"), pytest.param("crop", 480, 288, 5.0, id="crop-16:9"),
    pytest.param("crop", 401, 301, 5.0, id="crop-4:3-odd"),
    # crop generates only a band of a portrait picture; the rest is the nearest keyframe either way
    pytest.param("crop", 210, 350, 2.0, id="crop-portrait"),
])
def test_full_resolution_keeps_the_size_and_beats_upscaling(oracles, fit, width, height, margin):
    """Measured gains: pad +7.6, +7.9, +8.0 dB; crop +7.2, +7.5, +2.8 dB."""
    spec = CartoonSpec(width=width, height=height, seed=2)
    drawn, truth = _middle(oracles[fit, True], spec)
    upscaled, _ = _middle(oracles[fit, False], spec)
    assert drawn.shape == upscaled.shape == (height, width, 3)
    assert psnr(drawn, truth) >= psnr(upscaled, truth) + margin
