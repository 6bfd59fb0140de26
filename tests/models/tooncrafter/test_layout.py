"""The 512 model built on the meta device has exactly the state-dict layout of the official checkpoint."""

import json

import pytest
import torch

from tooncrafter_batch.models.tooncrafter.model import ToonCrafterModel


@pytest.fixture(scope="module")
def manifest(reference_dir) -> dict:
    return json.loads((reference_dir / "manifest_512.json").read_text())


@pytest.fixture(scope="module")
def meta_model_512(config_512) -> ToonCrafterModel:
    with torch.device("meta"):
        return ToonCrafterModel(config_512)


def test_layout_equals_manifest_512(meta_model_512, manifest):
    expected = {entry["key"]: (entry["shape"], entry["dtype"]) for entry in manifest["entries"]}
    actual = {key: (list(value.shape), str(value.dtype).removeprefix("torch."))
              for key, value in meta_model_512.state_dict().items()}
    assert sorted(set(expected) - set(actual)) == [], "keys missing from our model"
    assert sorted(set(actual) - set(expected)) == [], "keys the checkpoint does not have"
    mismatched = {key: (expected[key], actual[key]) for key in expected if expected[key] != actual[key]}
    assert mismatched == {}
    assert len(actual) == manifest["num_keys"] == 2668
    assert sum(value.numel() for value in meta_model_512.state_dict().values()) == manifest["num_elements_total"]


def test_buffers_and_parameters_are_where_the_checkpoint_has_them(meta_model_512, manifest):
    buffers = {name for name, _ in meta_model_512.named_buffers() if name in meta_model_512.state_dict()}
    expected = {entry["key"] for entry in manifest["entries"] if entry["kind"] == "buffer"}
    assert buffers == expected
