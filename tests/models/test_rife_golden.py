"""RIFE 4.x IFNet: the layout of rife.pkl, and the reference's frames reproduced with the real weights."""

import pytest
import torch

from tooncrafter_batch.weights.checkpoint import state_dict_layout
from tooncrafter_batch.models.rife import IFNet
from tooncrafter_batch.weights.learned import learned_layouts
from tooncrafter_batch.weights.learned_builders import build_rife

GOLDEN_TOLERANCE = 2e-3  # the goldens are stored as float16


def test_layout_matches_rife_pkl():
    with torch.device("meta"):
        model = IFNet()
    assert state_dict_layout(model) == learned_layouts()["rife"]


@pytest.fixture(scope="module")
def rife(learned_weights_dir):
    return build_rife(learned_weights_dir)


@pytest.mark.parametrize("pair", ["lvcd", "konobi"])
@pytest.mark.parametrize("timestep", [0.25, 0.5])
def test_reproduces_reference_frames(rife, golden_learned, pair, timestep):
    img0 = golden_learned[f"{pair}.img0"].float() / 255
    img1 = golden_learned[f"{pair}.img1"].float() / 255
    expected = golden_learned[f"{pair}.rife.t{timestep}"].float()
    with torch.inference_mode():
        frame = rife(img0, img1, torch.tensor([timestep]))
    assert frame.shape == expected.shape
    assert (frame - expected).abs().max().item() < GOLDEN_TOLERANCE


def test_timestep_float_and_batch_agree(rife, golden_learned):
    img0 = golden_learned["lvcd.img0"].float() / 255
    img1 = golden_learned["lvcd.img1"].float() / 255
    with torch.inference_mode():
        single = rife(img0, img1, 0.25)
        batched = rife(torch.cat((img0, img1)), torch.cat((img1, img0)), torch.tensor([0.25, 0.75]).view(2, 1, 1, 1))
    # oneDNN blocks a batch differently: ~1e-5 apart (1.2e-5 on konobi before the channels-last change too)
    torch.testing.assert_close(batched[:1], single, atol=3e-5, rtol=0)


def test_half_scale_runs_at_full_size(rife, golden_learned):
    img0 = golden_learned["konobi.img0"].float() / 255
    img1 = golden_learned["konobi.img1"].float() / 255
    expected = golden_learned["konobi.rife.t0.5"].float()
    with torch.inference_mode():
        frame = rife(img0, img1, 0.5, scale=0.5)
    assert frame.shape == expected.shape
    assert (frame - expected).abs().mean().item() < 0.02  # coarser flow, nearly the same frame


def test_size_not_a_multiple_is_refused():
    with torch.device("meta"):
        model = IFNet()
    with pytest.raises(ValueError, match="multiple of 32"):
        model(torch.zeros(1, 3, 80, 96, device="meta"), torch.zeros(1, 3, 80, 96, device="meta"), 0.5)
