"""The fine-tuning loop: it learns, writes loadable weights with the released layout, and resumes exactly."""

import dataclasses

import pytest
import torch

from tooncrafter_batch.backends.rife import RifeInterpolator
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.errors import CheckpointError
from tooncrafter_batch.training.batches import sample_batch
from tooncrafter_batch.training.loop import Worker, charbonnier
from tooncrafter_batch.training.run import train_worker
from tooncrafter_batch.training.state import load_state, state_path
from tooncrafter_batch.training.triplets import split_by_shot
from tooncrafter_batch.weights.checkpoint import read_state_dict, state_dict_layout
from tooncrafter_batch.weights.learned import learned_layouts
from tooncrafter_batch.weights.learned_builders import build_rife


def test_loss_falls_on_a_fixed_batch(triplets, initial_weights):
    torch.set_num_threads(1)  # as the test jobs (threads=1): many threads crawl on a busy CI machine
    network = build_rife(weights=initial_weights).train()
    batch = sample_batch(triplets, 2, 32, torch.Generator().manual_seed(0))
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-4)
    losses = []
    for _ in range(4):
        loss = charbonnier(network(batch.start, batch.end, batch.positions), batch.truth)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_the_best_weights_load_back_strictly_with_the_released_layout(triplets, make_job):
    job = make_job()
    training, validation = split_by_shot(triplets, 0.2)
    state = train_worker(job, training, validation, Worker())
    assert state.step == 2 and [score.step for score in state.scores] == [0, 1, 2]
    best = state.best
    assert job.output.is_file()
    assert {key: tuple(value.shape) for key, value in read_state_dict(job.output).items()} == learned_layouts()["rife"]
    network = build_rife(weights=job.output)  # strict: a missing or extra key would raise
    if best.step == 2:
        assert all(torch.equal(network.state_dict()[key], value) for key, value in state.model.items())
    backend = RifeInterpolator(weights=str(job.output))
    [[frame]] = backend.interpolate([Pair(triplets[0].start, triplets[0].end)], [[0.5]])
    assert frame.shape == triplets[0].start.shape


def test_a_file_of_another_layout_is_refused_by_name(tmp_path, initial_weights):
    from safetensors.torch import save_file

    tensors = read_state_dict(initial_weights)
    tensors["block9.extra"] = tensors.pop("block0.conv0.0.0.bias")
    save_file(tensors, str(tmp_path / "odd.safetensors"))
    with pytest.raises(CheckpointError, match=r"1 missing \(block0\.conv0\.0\.0\.bias\); 1 unexpected \(block9\.extra\)"):
        build_rife(weights=tmp_path / "odd.safetensors")


def test_a_resumed_run_goes_on_from_its_saved_step_and_ends_as_an_unbroken_one(triplets, make_job):
    training, validation = split_by_shot(triplets, 0.2)
    unbroken = train_worker(make_job("unbroken", num_steps=3), training, validation, Worker())
    train_worker(make_job("broken", num_steps=1), training, validation, Worker())  # "crashes" after step 1
    resumed_job = make_job("broken", num_steps=3)
    assert load_state(state_path(resumed_job.output), resumed_job.fingerprint()).step == 1
    resumed = train_worker(resumed_job, training, validation, Worker())
    assert resumed.step == 3 and [s.step for s in resumed.scores] == [0, 1, 2, 3]
    for key, value in unbroken.model.items():
        torch.testing.assert_close(resumed.model[key], value, rtol=0, atol=1e-6)


def test_the_state_of_another_run_is_not_resumed(triplets, make_job):
    training, validation = split_by_shot(triplets, 0.2)
    train_worker(make_job("show", num_steps=1), training, validation, Worker())
    other = dataclasses.replace(make_job("show", num_steps=1), training=dataclasses.replace(
        make_job().training, learning_rate=1e-3))
    with pytest.raises(CheckpointError, match="belongs to another fine-tuning run"):
        train_worker(other, training, validation, Worker())
