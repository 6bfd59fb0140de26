"""Fixtures of the training tests: the tiny cartoon's triplets and a seeded random RIFE weights file (the released
weights are not needed: these tests check the machinery, not the quality)."""

from fractions import Fraction

import pytest
import torch

from finetune_cases import SPEC, TINY, cartoon_frames
from tooncrafter_batch.models.rife import IFNet
from tooncrafter_batch.training.settings import FinetuneJob, TrainingSettings
from tooncrafter_batch.training.triplets import TripletSettings, frame_triplets
from tooncrafter_batch.weights.checkpoint import save_safetensors


@pytest.fixture(scope="session")
def triplets():
    return frame_triplets(cartoon_frames(), Fraction(SPEC.frame_rate), "cartoon", TripletSettings())


@pytest.fixture(scope="session")
def initial_weights(tmp_path_factory):
    torch.manual_seed(0)
    return save_safetensors(IFNet(), tmp_path_factory.mktemp("weights") / "initial.safetensors", torch.float32)


@pytest.fixture
def make_job(tmp_path, initial_weights):
    def make(name: str = "show", **training) -> FinetuneJob:
        return FinetuneJob(inputs=(tmp_path / "footage.mp4",), output=tmp_path / f"{name}.safetensors",
                           weights=initial_weights, threads=1,
                           training=TrainingSettings(**{**TINY.__dict__, **training}))
    return make
