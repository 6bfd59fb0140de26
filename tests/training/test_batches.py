"""Training batches: crops of one size, flips of all three frames together, time reversal, seeded draws."""

from fractions import Fraction

import numpy as np
import torch

from tooncrafter_batch.training.batches import sample_batch
from tooncrafter_batch.training.triplets import Triplet


def _triplet(position: float) -> Triplet:
    # each frame a constant colour: which frame went where survives any crop and flip
    start, middle, end = (np.full((64, 96, 3), value, np.uint8) for value in (10, 20, 30))
    return Triplet(start, middle, end, position, ("clip", 0), Fraction(0))


def test_reversed_samples_swap_the_inputs_and_mirror_the_time():
    batch = sample_batch([_triplet(0.25)], 32, 32, torch.Generator().manual_seed(0))
    assert batch.start.shape == (32, 3, 32, 32) and batch.positions.shape == (32, 1, 1, 1)
    starts = batch.start[:, 0, 0, 0] * 255
    reversed_ = starts.round() == 30
    assert 0 < reversed_.sum() < 32  # both directions are drawn
    assert torch.allclose(batch.positions.flatten(), torch.where(reversed_, 0.75, 0.25))
    assert torch.allclose(batch.truth * 255, torch.full_like(batch.truth, 20))


def test_flips_and_crops_move_all_three_frames_together():
    gradient = np.repeat(np.arange(96, dtype=np.uint8)[None, :, None], 64, 0).repeat(3, 2)  # (64, 96, 3)
    triplet = Triplet(gradient, gradient, gradient, 0.5, ("clip", 0), Fraction(0))
    batch = sample_batch([triplet], 16, 32, torch.Generator().manual_seed(1))
    assert torch.equal(batch.start, batch.end) and torch.equal(batch.start, batch.truth)
    first_columns = batch.start[:, 0, 0, 0]
    last_columns = batch.start[:, 0, 0, -1]
    assert (first_columns > last_columns).any() and (first_columns < last_columns).any()  # flipped and not


def test_the_same_seed_draws_the_same_batch():
    triplets = [_triplet(0.25), _triplet(0.5)]
    first = sample_batch(triplets, 4, 32, torch.Generator().manual_seed(7))
    second = sample_batch(triplets, 4, 32, torch.Generator().manual_seed(7))
    assert torch.equal(first.start, second.start) and torch.equal(first.positions, second.positions)
