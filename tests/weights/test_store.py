"""Locating the checkpoints and the opt-in hub download (faked: no network in tests)."""

from pathlib import Path

import huggingface_hub
import pytest

from tooncrafter_batch.errors import CheckpointError
from tooncrafter_batch.weights.store import (DEFAULT_CHECKPOINT, DEFAULT_SKETCH_CHECKPOINT, download_checkpoint,
                                           find_checkpoint, find_sketch_checkpoint)


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


def test_sketch_checkpoint_is_the_given_file_or_the_default_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError, match=f"no sketch encoder at {DEFAULT_SKETCH_CHECKPOINT}; download "
                                              "Doubiiu/ToonCrafter sketch_encoder.ckpt"):
        find_sketch_checkpoint()
    DEFAULT_SKETCH_CHECKPOINT.parent.mkdir(parents=True)
    DEFAULT_SKETCH_CHECKPOINT.write_bytes(b"x")
    assert find_sketch_checkpoint() == DEFAULT_SKETCH_CHECKPOINT
    with pytest.raises(CheckpointError, match="pass --sketch-checkpoint PATH"):
        find_sketch_checkpoint(tmp_path / "other.ckpt")
