"""The `gmfss` backend: GMFSS Fortuna (union by default, base as a variant) at any position t.

The flows, metrics and feature pyramids of a pair are computed once (`GMFSS.prepare`, for a group of pairs at
once) and reused for every in-between of that pair; the positions then go through splatting and fusion in one batch.
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

    def synthesize(self, starts: torch.Tensor, ends: torch.Tensor, owners: torch.Tensor,
                   positions: list[float]) -> torch.Tensor:
        timesteps = torch.tensor(positions, dtype=self.dtype, device=self.device)
        frames = self._at(self.network.prepare(starts, ends), owners, timesteps)
        if self.options.ensemble:
            frames = swap_average(frames, self._at(self.network.prepare(ends, starts), owners, 1.0 - timesteps))
        return frames

    def _at(self, context: PairContext, owners: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        """Frames (n, 3, H, W) at n timesteps of the prepared pairs `owners` name: each level's two sides (the
        pairs' start frames, then their end frames) picked per frame, as `synthesize` takes n pairs."""
        count = context.num_pairs
        pick = torch.cat((owners, owners + count))  # (2n,) rows of the (2p, ...) levels
        parts = (context.sources, context.flows, context.metrics)
        chosen = PairContext(*(tuple(level.index_select(0, pick) for level in part) for part in parts))
        return self.network.synthesize(chosen, timesteps)
