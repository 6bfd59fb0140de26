"""Model configs: the YAML files in configs/ parse to the typed dataclasses; bad fields are named errors."""

import dataclasses

import pytest
import yaml

from tooncrafter_batch.models.tooncrafter.config import ModelConfig, model_config_from_mapping
from tooncrafter_batch.models.tooncrafter.unet import UNetConfig
from tooncrafter_batch.errors import SettingsError


def test_512_yaml_equals_the_dataclass_defaults(config_512):
    assert config_512 == ModelConfig()
    assert config_512.num_frames == 16


def test_tiny_yaml_mirrors_the_reference_tiny_config(tiny_config, reference_dir):
    """Our tiny config has the sizes of the reference's tiny_config.yaml (that built the golden tensors)."""
    params = yaml.safe_load((reference_dir / "tiny_config.yaml").read_text())["model"]["params"]
    unet = params["unet_config"]["params"]
    assert tiny_config.unet == UNetConfig(
        in_channels=unet["in_channels"], out_channels=unet["out_channels"], model_channels=unet["model_channels"],
        channel_mult=tuple(unet["channel_mult"]), num_res_blocks=unet["num_res_blocks"],
        attention_resolutions=tuple(unet["attention_resolutions"]), num_head_channels=unet["num_head_channels"],
        context_dim=unet["context_dim"], dropout=unet["dropout"], default_fs=unet["default_fs"])
    resampler = params["image_proj_stage_config"]["params"]
    assert dataclasses.asdict(tiny_config.resampler) == resampler
    vae = params["first_stage_config"]["params"]["ddconfig"]
    assert (tiny_config.autoencoder.ch, list(tiny_config.autoencoder.ch_mult), tiny_config.autoencoder.num_res_blocks) \
        == (vae["ch"], vae["ch_mult"], vae["num_res_blocks"])
    assert tiny_config.schedule.base_scale == params["base_scale"]
    assert (tiny_config.schedule.linear_start, tiny_config.schedule.linear_end) == (params["linear_start"],
                                                                                     params["linear_end"])


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
