"""Validation: the network being trained predicts each held-out middle drawing at full size, scored by the
evaluation metrics (PSNR over RGB, SSIM of luma, as docs/BENCHMARKS.md reports them).

The frames go through the `rife` backend itself (border padding, held drawings cross-faded), with the trained
network in place of the loaded one: the score is what `upscale-fps --backend rife --weights` would produce.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from torch import nn

from ..backends.rife import RifeInterpolator
from ..datatypes import Pair
from ..evaluation.metrics import psnr, ssim
from .state import Score
from .triplets import Triplet


def pick_evenly(triplets: Sequence[Triplet], count: int) -> list[Triplet]:
    """At most `count` triplets spread evenly over `triplets` (all of them when there are fewer)."""
    if len(triplets) <= count:
        return list(triplets)
    return [triplets[index] for index in np.linspace(0, len(triplets) - 1, count).round().astype(int)]


class Validator:
    """Scores a network on fixed triplets; `backend` is a RifeInterpolator built on the training device."""

    def __init__(self, triplets: Sequence[Triplet], backend: RifeInterpolator):
        self.triplets = list(triplets)
        self.backend = backend

    def score(self, network: nn.Module, step: int) -> Score:
        self.backend.network = network  # the trained weights in the backend's frame handling
        was_training = network.training
        network.eval()
        psnrs, ssims = [], []
        for triplet in self.triplets:
            [[frame]] = self.backend.interpolate([Pair(triplet.start, triplet.end)], [[triplet.position]])
            psnrs.append(psnr(frame, triplet.middle))
            ssims.append(ssim(frame, triplet.middle))
        network.train(was_training)
        return Score(step, float(np.mean(psnrs)), float(np.mean(ssims)))
