"""The `gmfss` backend: GMFSS Fortuna (union by default, base as a variant) at any position t.

The flows, metrics and feature pyramids of a pair are computed once (`GMFSS.prepare`) and reused for every
in-between of that pair; the positions then go through splatting and fusion in one batch.
"""

from __future__ import annotations

import torch

from ..models.gmfss.gmfss import PairContext
from ..weights.learned_builders import build_gmfss
from .learned import LearnedInterpolator, LearnedOptions, swap_average


class GmfssInterpolator(LearnedInterpolator):
    """GMFSS Fortuna on CPU or CUDA; `ensemble` averages the frame with the one computed from the swapped pair."""

    name = "gmfss"

    def __init__(self, **options):
        super().__init__(LearnedOptions(**options))
        self.network = build_gmfss(self.options.variant, self.options.scale, self.weights_dir,
                                   self.device).to(self.dtype)

    def synthesize(self, start: torch.Tensor, end: torch.Tensor, positions: list[float]) -> list[torch.Tensor]:
        timesteps = torch.tensor(positions, dtype=self.dtype, device=self.device)
        frames = self._at(self.network.prepare(start, end), timesteps)
        if self.options.ensemble:
            frames = swap_average(frames, self._at(self.network.prepare(end, start), 1.0 - timesteps))
        return list(frames.split(1))

    def _at(self, context: PairContext, timesteps: torch.Tensor) -> torch.Tensor:
        """Frames (n, 3, H, W) at n timesteps of one prepared pair: each level's two sides (frame 0's, frame 1's)
        repeated n times along the batch, as `synthesize` takes n pairs."""
        count = timesteps.shape[0]
        parts = (context.sources, context.flows, context.metrics)
        repeated = PairContext(*(tuple(level.repeat_interleave(count, 0) for level in part) for part in parts))
        return self.network.synthesize(repeated, timesteps)
