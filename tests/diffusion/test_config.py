"""Model configs: the YAML files in configs/ parse to the typed dataclasses; bad fields are named errors."""

import pytest

from tooncrafter_batch.diffusion.config import ModelConfig, model_config_from_mapping
from tooncrafter_batch.diffusion.unet import UNetConfig
from tooncrafter_batch.errors import SettingsError


def test_512_yaml_equals_the_dataclass_defaults(config_512):
    assert config_512 == ModelConfig()
    assert config_512.num_frames == 16


def test_tiny_yaml_mirrors_the_reference_tiny_config(tiny_config):
    assert tiny_config.unet == UNetConfig(model_channels=32, channel_mult=(1, 2), num_res_blocks=1,
                                          attention_resolutions=(1,), num_head_channels=16, context_dim=64)
    assert (tiny_config.resampler.dim, tiny_config.resampler.depth, tiny_config.resampler.embedding_dim) == (64, 2, 48)
    assert tiny_config.autoencoder.ch_mult == (1, 1, 1, 2)


def test_missing_fields_take_the_defaults():
    config = model_config_from_mapping({"kind": "tooncrafter", "unet": {"default_fs": 12}}, "x.yaml")
    assert config.unet.default_fs == 12 and config.unet.model_channels == 320


@pytest.mark.parametrize("document, message", [
    pytest.param({"unet": {}}, "kind must be one of tooncrafter", id="no-kind"),
    pytest.param({"kind": "sd15"}, "kind must be one of", id="unknown-kind"),
    pytest.param({"kind": "tooncrafter", "unet": {"channels": 3}}, "unknown setting unet.channels", id="unknown-field"),
    pytest.param({"kind": "tooncrafter", "unet": {"model_channels": 320.5}}, "unet.model_channels must be of type int",
                 id="float-for-int"),
    pytest.param({"kind": "tooncrafter", "unet": {"channel_mult": 4}}, "unet.channel_mult must be a list",
                 id="scalar-for-list"),
    pytest.param({"kind": "tooncrafter", "schedule": {"zero_terminal_snr": 1}}, "must be of type bool", id="int-for-bool"),
    pytest.param({"kind": "tooncrafter", "resampler": [1, 2]}, "resampler must be a mapping", id="list-section"),
    pytest.param({"kind": "tooncrafter", "resampler": {"output_dim": 768}}, "must equal unet.context_dim",
                 id="width-mismatch"),
    pytest.param({"kind": "tooncrafter", "height": 321}, "multiples of 8", id="off-grid"),
])
def test_bad_configs_are_named_errors(document, message):
    with pytest.raises(SettingsError, match=message) as error:
        model_config_from_mapping(document, "configs/bad.yaml")
    assert str(error.value).startswith("configs/bad.yaml: ")


def test_integers_are_accepted_for_floats():
    config = model_config_from_mapping({"kind": "tooncrafter", "schedule": {"base_scale": 1}}, "x.yaml")
    assert config.schedule.base_scale == 1.0 and isinstance(config.schedule.base_scale, float)
