"""Training batches from triplets: random crops, flips and time reversal, all drawn from one torch.Generator.

Time reversal swaps the inputs and moves the target to 1 - t: the same motion played backwards, as true as the
forward one. A batch is four tensors: start, end, truth (n, 3, crop, crop) in [0, 1] and positions (n, 1, 1, 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .triplets import Triplet


@dataclass(frozen=True)
class Batch:
    start: torch.Tensor  # (n, 3, h, w) in [0, 1]
    end: torch.Tensor
    truth: torch.Tensor
    positions: torch.Tensor  # (n, 1, 1, 1)

    def to(self, device: torch.device) -> "Batch":
        return Batch(*(tensor.to(device) for tensor in (self.start, self.end, self.truth, self.positions)))


def sample_batch(triplets: Sequence[Triplet], batch_size: int, crop: int, generator: torch.Generator) -> Batch:
    """`batch_size` augmented crops of triplets drawn at random (with replacement); a frame smaller than `crop`
    is cropped to its largest multiple of 32 instead, so every crop in a batch has one size."""
    height, width = triplets[0].start.shape[:2]
    size = min(crop, height // 32 * 32, width // 32 * 32)
    picks = torch.randint(len(triplets), (batch_size,), generator=generator).tolist()
    samples = [_augmented(triplets[index], size, generator) for index in picks]
    starts, ends, truths, positions = zip(*samples)
    return Batch(torch.stack(starts), torch.stack(ends), torch.stack(truths),
                 torch.tensor(positions, dtype=torch.float32).view(-1, 1, 1, 1))


def _augmented(triplet: Triplet, size: int, generator: torch.Generator
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    frames = np.stack((triplet.start, triplet.end, triplet.middle))  # (3, h, w, 3) uint8
    height, width = frames.shape[1:3]
    top = int(torch.randint(height - size + 1, (1,), generator=generator))
    left = int(torch.randint(width - size + 1, (1,), generator=generator))
    crops = torch.from_numpy(frames[:, top : top + size, left : left + size]).permute(0, 3, 1, 2)  # (3, 3, s, s)
    crops = crops.float() / 255.0
    flip_x, flip_y, reverse = (torch.rand(3, generator=generator) < 0.5).tolist()
    if flip_x:
        crops = crops.flip(-1)
    if flip_y:
        crops = crops.flip(-2)
    start, end, truth = crops
    position = triplet.position
    if reverse:
        start, end, position = end, start, 1.0 - position
    return start, end, truth, position
