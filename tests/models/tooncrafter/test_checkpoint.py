"""Checkpoint loading: the reference's file conventions, fp16/bf16 safetensors, key reports, code refusal."""

import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

from tooncrafter_batch.weights.checkpoint import (
    load_checkpoint, read_layout, save_safetensors, state_dict_layout, verify_checkpoint,
)
from tooncrafter_batch.errors import CheckpointError

class Tiny(nn.Module):
    """A small stand-in with the UNet's fs-embedding name (the legacy rename target)."""

    def __init__(self):
        super().__init__()
        self.fps_embedding = nn.Sequential(nn.Linear(4, 8), nn.SiLU(), nn.Linear(8, 8))
        self.out = nn.Conv2d(8, 3, 1)
        self.register_buffer("betas", torch.linspace(0, 1, 5))


def _filled(seed: int) -> Tiny:
    torch.manual_seed(seed)
    return Tiny()


def _assert_same_state(first: nn.Module, second: nn.Module):
    for (key, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        assert torch.equal(a, b), key


@pytest.mark.parametrize("wrap", [
    pytest.param(lambda sd: {"state_dict": sd, "epoch": 7, "global_step": 1000}, id="lightning-state_dict"),
    pytest.param(lambda sd: {"module": {f"_forward_module.{k}": v for k, v in sd.items()}}, id="deepspeed-module"),
    pytest.param(lambda sd: {"state_dict": {k.replace("fps_embedding", "framestride_embed"): v for k, v in sd.items()}},
                 id="legacy-framestride_embed"),
    pytest.param(lambda sd: dict(sd), id="bare-state-dict"),
])
def test_pickle_conventions_load(tmp_path, wrap):
    source, target = _filled(1), _filled(2)
    path = tmp_path / "model.ckpt"
    torch.save(wrap(source.state_dict()), path)
    report = load_checkpoint(target, path)
    assert report.is_match and report.num_keys == 7
    _assert_same_state(source, target)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_safetensors_cast_to_the_model_dtype(tmp_path, dtype):
    source, target = _filled(1), _filled(2)
    path = save_safetensors(source, tmp_path / "model.safetensors", dtype)
    load_checkpoint(target, path)
    weight = target.fps_embedding[0].weight
    assert weight.dtype == torch.float32
    torch.testing.assert_close(weight, source.fps_embedding[0].weight.to(dtype).float(), atol=0, rtol=0)
    assert read_layout(path) == state_dict_layout(source)


def test_missing_unexpected_and_misshaped_keys_are_named_and_nothing_is_loaded(tmp_path):
    state = _filled(1).state_dict()
    del state["out.bias"]
    state["extra.weight"] = torch.zeros(2)
    state["fps_embedding.0.weight"] = torch.zeros(8, 5)
    path = tmp_path / "broken.ckpt"
    torch.save({"state_dict": state}, path)
    target = _filled(2)
    before = {key: value.clone() for key, value in target.state_dict().items()}
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(target, path)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message
    for expected in ("1 missing (out.bias)", "1 unexpected (extra.weight)", "fps_embedding.0.weight [8, 5] != [8, 4]"):
        assert expected in message
    assert all(torch.equal(before[key], value) for key, value in target.state_dict().items())


def test_verify_reports_without_a_model(tmp_path):
    source = _filled(1)
    path = save_safetensors(source, tmp_path / "model.safetensors")
    layout = state_dict_layout(source)
    assert verify_checkpoint(path, layout).is_match
    report = verify_checkpoint(path, {**layout, "new.weight": (3,)})
    assert report.missing == ("new.weight",) and not report.is_match


class _Payload:
    """Unpickling this creates a file: the stand-in for code hidden in a checkpoint."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


@pytest.mark.parametrize("writer", [
    pytest.param(lambda obj, path: torch.save(obj, path), id="zip-torch-save"),
    pytest.param(lambda obj, path: path.write_bytes(pickle.dumps(obj, protocol=2)), id="raw-pickle"),
])
@pytest.mark.parametrize("reader", [
    pytest.param(lambda path: load_checkpoint(_filled(2), path), id="load"),
    pytest.param(lambda path: verify_checkpoint(path, {}), id="verify"),
])
def test_pickle_carrying_code_is_refused_without_running_it(tmp_path, writer, reader):
    marker = tmp_path / "pwned"
    payload = {"epoch": 3, "callback": _Payload(marker)}  # the refusal must come before any state dict check
    pickle.loads(pickle.dumps(payload))  # proof that the payload is live: a plain unpickler runs it
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "evil.ckpt"
    writer(payload, path)
    with pytest.raises(CheckpointError, match=r"refusing .*evil\.ckpt.*io\.open.*nothing in it was run"):
        reader(path)
    assert not marker.exists()


@pytest.mark.parametrize("name, content, match", [
    pytest.param("absent.ckpt", None, "no checkpoint at", id="missing-file"),
    pytest.param("garbage.ckpt", b"not a checkpoint at all", "not a readable PyTorch checkpoint", id="garbage"),
    pytest.param("garbage.safetensors", b"\x00" * 16, "not a readable .safetensors", id="garbage-safetensors"),
])
def test_unreadable_files_are_checkpoint_errors(tmp_path, name, content, match):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(_filled(2), path)


def test_tensor_only_pickle_that_is_not_a_state_dict_is_refused(tmp_path):
    path = tmp_path / "list.ckpt"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointError, match="not a dict of tensors"):
        load_checkpoint(_filled(2), path)


def test_save_needs_the_safetensors_suffix(tmp_path):
    with pytest.raises(CheckpointError, match=r"must end in \.safetensors"):
        save_safetensors(_filled(1), tmp_path / "model.ckpt")


@pytest.fixture(scope="module")
def tiny_model_files(tmp_path_factory, tiny_model):
    """The whole tiny model (the goldens' weights + random tiny CLIP towers) saved in the three formats."""
    folder = tmp_path_factory.mktemp("tiny_checkpoints")
    state = tiny_model.state_dict()
    torch.save({"state_dict": state}, folder / "state_dict.ckpt")
    torch.save({"module": {f"_forward_module.{key}": value for key, value in state.items()}}, folder / "deepspeed.ckpt")
    save_safetensors(tiny_model, folder / "model_fp16.safetensors", torch.float16)
    return tiny_model.config, tiny_model, folder


@pytest.mark.parametrize("name", ["state_dict.ckpt", "deepspeed.ckpt"])
def test_whole_tiny_model_loads_and_reproduces_the_decoder_golden(tiny_model_files, golden_vae_decode, name):
    from tooncrafter_batch.models.tooncrafter.model import ToonCrafterModel

    config, source, folder = tiny_model_files
    torch.manual_seed(99)
    target = ToonCrafterModel(config).eval()
    assert load_checkpoint(target, folder / name).num_keys == len(source.state_dict())
    _assert_same_state(source, target)
    references = [golden_vae_decode[f"ref_context_{index}"] for index in range(5)]
    with torch.no_grad():
        video = target.first_stage_model.decode_video(golden_vae_decode["z_scaled"], references)
    torch.testing.assert_close(video, golden_vae_decode["decoded_16"], atol=1e-4, rtol=1e-4)


def test_whole_tiny_model_from_fp16_safetensors_gives_close_outputs(tiny_model_files, golden_vae_decode):
    from tooncrafter_batch.models.tooncrafter.model import ToonCrafterModel

    config, _, folder = tiny_model_files
    target = ToonCrafterModel(config).eval()
    load_checkpoint(target, folder / "model_fp16.safetensors")
    references = [golden_vae_decode[f"ref_context_{index}"] for index in range(5)]
    with torch.no_grad():
        video = target.first_stage_model.decode_video(golden_vae_decode["z_scaled"], references)
    error = (video - golden_vae_decode["decoded_16"]).abs().max().item()
    assert 0 < error < 0.05  # fp16-rounded weights: close to the fp32 result, but not bit-identical


def _lightning_like_classes(monkeypatch):
    """Classes that pickle as pytorch_lightning / omegaconf objects, as a Lightning trainer's checkpoint holds them
    (the packages are not installed here; fake modules exist only while the checkpoint is written)."""
    import sys
    import types

    callback_module = types.ModuleType("pytorch_lightning.callbacks.model_checkpoint")
    parsing_module = types.ModuleType("pytorch_lightning.utilities.parsing")
    config_module = types.ModuleType("omegaconf.dictconfig")

    class ModelCheckpoint:
        def __init__(self):
            self.best_model_path, self.monitor = "/train/epoch=7.ckpt", "val/loss"

    class AttributeDict(dict):
        pass

    class DictConfig:
        def __init__(self):
            self._content = {"model": {"channels": 320}}

    for module, cls in ((callback_module, ModelCheckpoint), (parsing_module, AttributeDict),
                        (config_module, DictConfig)):
        cls.__module__, cls.__qualname__ = module.__name__, cls.__name__
        setattr(module, cls.__name__, cls)
        parts = module.__name__.split(".")
        for depth in range(1, len(parts)):  # the parent packages, so that pickle can import the module
            parent = ".".join(parts[:depth])
            if parent not in sys.modules:
                monkeypatch.setitem(sys.modules, parent, types.ModuleType(parent))
        monkeypatch.setitem(sys.modules, module.__name__, module)
    return ModelCheckpoint, AttributeDict, DictConfig


@pytest.mark.parametrize("writer", [
    pytest.param(lambda obj, path: torch.save(obj, path), id="zip-torch-save"),
    pytest.param(lambda obj, path: torch.save(obj, path, _use_new_zipfile_serialization=False), id="legacy-torch-save"),
])
def test_a_lightning_training_checkpoint_loads_with_its_bookkeeping_inert(tmp_path, monkeypatch, writer):
    """A trainer's checkpoint: weights under `state_dict`, plus callback objects and hyper-parameters whose classes
    are not installed here. The weights load; the rest is read as inert stand-ins (no import, no code)."""
    source, target = _filled(1), _filled(2)
    path = tmp_path / "model.ckpt"
    with monkeypatch.context() as patch:
        ModelCheckpoint, AttributeDict, DictConfig = _lightning_like_classes(patch)
        hyper = AttributeDict(lr=1e-5, config=DictConfig())
        writer({"state_dict": source.state_dict(), "epoch": 7, "hyper_parameters": hyper,
                "callbacks": {"ModelCheckpoint": ModelCheckpoint()}}, path)
    with pytest.raises(pickle.UnpicklingError):  # what the plain weights-only load says about this file
        torch.load(path, weights_only=True)
    report = load_checkpoint(target, path)
    assert report.is_match
    _assert_same_state(source, target)
    assert verify_checkpoint(path, state_dict_layout(source)).is_match


def test_bookkeeping_beside_code_is_still_refused_without_running_it(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    path = tmp_path / "mixed.ckpt"
    with monkeypatch.context() as patch:
        ModelCheckpoint, _, _ = _lightning_like_classes(patch)
        torch.save({"state_dict": _filled(1).state_dict(), "callbacks": [ModelCheckpoint()],
                    "extra": _Payload(marker)}, path)
    with pytest.raises(CheckpointError, match=r"refusing .*mixed\.ckpt.*io\.open.*nothing in it was run"):
        load_checkpoint(_filled(2), path)
    assert not marker.exists()
