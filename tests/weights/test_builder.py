"""Model configs read from YAML files and the models they build (on the meta device: no memory, no weights)."""

from pathlib import Path

import pytest

from tooncrafter_batch.models.tooncrafter.config import ModelConfig
from tooncrafter_batch.errors import SettingsError
from tooncrafter_batch.weights.builder import build_model, load_model_config, model_layout

REPO = Path(__file__).resolve().parents[2]


def test_no_config_file_means_the_official_512_model():
    assert load_model_config(None) == ModelConfig()


def test_config_files_build_their_kind_on_the_meta_device():
    config = load_model_config(REPO / "configs" / "tooncrafter_tiny.yaml")
    model = build_model(config, "meta")
    assert next(model.parameters()).device.type == "meta"
    layout = model_layout(config)
    assert layout["first_stage_model.decoder.conv_out.time_mix_conv.weight"] == (3, 3, 3, 1, 1)
    assert len(layout) == len(model.state_dict())


@pytest.mark.parametrize("text, match", [
    pytest.param(None, "no model config at", id="missing-file"),
    pytest.param("kind: tooncrafter\nunet: [1, 2", "is not valid YAML", id="bad-yaml"),
    pytest.param("kind: unknown\n", "kind must be one of", id="unknown-kind"),
])
def test_bad_config_files_are_settings_errors(tmp_path, text, match):
    path = tmp_path / "model.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(SettingsError, match=match):
        load_model_config(path)
