"""Locating the checkpoint, the opt-in hub download (faked: no network in tests) and model config files."""

from pathlib import Path

import huggingface_hub
import pytest

from tooncrafter_batch.diffusion.config import ModelConfig
from tooncrafter_batch.errors import CheckpointError, SettingsError
from tooncrafter_batch.model_store import (
    DEFAULT_CHECKPOINT, build_model, download_checkpoint, find_checkpoint, load_model_config, model_layout,
)

REPO = Path(__file__).resolve().parents[1]


def test_missing_default_checkpoint_says_what_to_download_and_where(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError) as raised:
        find_checkpoint()
    message = str(raised.value)
    assert message.startswith(f"no checkpoint at {DEFAULT_CHECKPOINT}; download Doubiiu/ToonCrafter model.ckpt "
                              "and put it there, or pass --checkpoint PATH")
    assert "\n" not in message


def test_existing_files_are_found_without_the_network(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    DEFAULT_CHECKPOINT.parent.mkdir(parents=True)
    DEFAULT_CHECKPOINT.write_bytes(b"x")
    other = tmp_path / "mine.safetensors"
    other.write_bytes(b"x")
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", pytest.fail)
    assert find_checkpoint(download=True) == DEFAULT_CHECKPOINT
    assert find_checkpoint(other) == other


def test_download_goes_to_the_requested_name(tmp_path, monkeypatch):
    calls = []

    def fake_download(repo_id, filename, local_dir):
        calls.append((repo_id, filename))
        path = Path(local_dir) / filename
        path.write_bytes(b"weights")
        return str(path)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    target = tmp_path / "nested" / "tooncrafter.ckpt"
    assert find_checkpoint(target, download=True) == target
    assert target.read_bytes() == b"weights" and calls == [("Doubiiu/ToonCrafter", "model.ckpt")]


def test_offline_download_is_a_one_line_checkpoint_error(tmp_path, monkeypatch):
    def offline(**_):
        raise huggingface_hub.errors.LocalEntryNotFoundError("Cannot reach the hub.\nCheck your connection.")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(CheckpointError) as raised:
        download_checkpoint(tmp_path / "model.ckpt")
    message = str(raised.value)
    assert "cannot download Doubiiu/ToonCrafter model.ckpt (LocalEntryNotFoundError" in message
    assert f"put it at {tmp_path / 'model.ckpt'}" in message and "\n" not in message


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
