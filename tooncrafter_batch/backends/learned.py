"""What the learned backends (`rife`, `gmfss`) share: the frame handling around a network.

A network sees keyframes as (p, 3, H, W) float tensors in [0, 1] whose sides are multiples of its size step (64 at
scale 1.0). Other sizes are padded by repeating the border and cropped back (`fit=pad`); the reference stretches them
to the next multiple and back (`fit=stretch`), which scored 1.0 dB lower on the real clips' sub_k2/sub_k4 and 0.2 dB
lower on uniq (docs/BENCHMARKS.md). The in-betweens of a pair are computed together, so work done once per pair
(GMFSS's flows and features) serves every position.
Keyframes showing the same drawing are cross-faded, as `flow` does: the flow of compression noise only moves the
noise about.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..datatypes import Pair
from .holds import cross_fade, is_held_drawing
from .learned_options import LearnedOptions

TORCH_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}  # one per DTYPES option
SIZE_STEP = 64  # at scale 1.0; the networks' coarsest level works at 1/32 (RIFE) or 1/64 (GMFSS) of the frame


class LearnedInterpolator:
    """The frame handling of a learned backend; a subclass builds its network and implements `synthesize`."""

    name = "learned"
    max_batch = 1

    def __init__(self, options: LearnedOptions):
        self.options = options
        self.needs_gpu = options.needs_gpu
        self.max_batch = options.batch_pairs
        self.device = torch.device(options.device)
        self.dtype = TORCH_DTYPES[options.dtype]
        self.weights_dir = Path(options.weights_dir) if options.weights_dir is not None else None
        if self.device.type == "cpu":
            torch.set_num_threads(options.cpu_threads())

    def interpolate(self, pairs: Sequence[Pair], times: Sequence[Sequence[float]]) -> list[list[np.ndarray]]:
        """Held drawings are cross-faded; the other pairs go through the network `batch_pairs` at a time (one
        forward pass for all their positions; on a GPU a larger batch is faster)."""
        results: list[list[np.ndarray]] = [[] for _ in pairs]
        moving = []
        for index, (pair, positions) in enumerate(zip(pairs, times, strict=True)):
            if positions and (np.array_equal(pair.start, pair.end) or is_held_drawing(pair)):
                results[index] = [cross_fade(pair, position) for position in positions]
            elif positions:
                moving.append(index)
        for group in self._groups(moving, pairs):
            frames = self._run_group([pairs[index] for index in group], [list(times[index]) for index in group])
            for index, pair_frames in zip(group, frames):
                results[index] = pair_frames
        return results

    def _groups(self, indices: list[int], pairs: Sequence[Pair]) -> list[list[int]]:
        """Consecutive runs of at most `batch_pairs` pairs of one frame size."""
        groups: list[list[int]] = []
        for index in indices:
            if groups and len(groups[-1]) < self.max_batch and \
                    pairs[groups[-1][0]].start.shape == pairs[index].start.shape:
                groups[-1].append(index)
            else:
                groups.append([index])
        return groups

    def _run_group(self, pairs: list[Pair], times: list[list[float]]) -> list[list[np.ndarray]]:
        height, width = pairs[0].start.shape[:2]
        with torch.inference_mode():
            starts = torch.cat([self.to_tensor(pair.start) for pair in pairs])  # (p, 3, H, W)
            ends = torch.cat([self.to_tensor(pair.end) for pair in pairs])
            owners = torch.tensor([k for k, positions in enumerate(times) for _ in positions], device=self.device)
            positions = [t for positions in times for t in positions]
            frames = self.synthesize(starts, ends, owners, positions)
            if self.options.flip:  # the network's errors are not mirror-symmetric: averaging both views cancels some
                mirrored = self.synthesize(starts.flip(-1), ends.flip(-1), owners, positions).flip(-1)
                frames = (frames + mirrored) * 0.5
            images = iter(to_image(self.back_to_size(frame[None], height, width)) for frame in frames)
            return [[next(images) for _ in positions] for positions in times]

    def synthesize(self, starts: torch.Tensor, ends: torch.Tensor, owners: torch.Tensor,
                   positions: list[float]) -> torch.Tensor:
        """Frames (n, 3, H, W) in [0, 1]: frame i at `positions[i]` between `starts[owners[i]]` and
        `ends[owners[i]]`, keyframes (p, 3, H, W) at a size the network takes."""
        raise NotImplementedError

    def to_tensor(self, image: np.ndarray) -> torch.Tensor:
        """RGB uint8 (h, w, 3) -> (1, 3, H, W) in [0, 1] on the device, H and W the next multiples of the step."""
        tensor = torch.from_numpy(image).to(self.device).permute(2, 0, 1)[None].to(self.dtype) / 255.0
        height, width = image.shape[:2]
        size = self.network_size(height, width)
        if size == (height, width):
            return tensor
        if self.options.fit == "pad":
            return F.pad(tensor, (0, size[1] - width, 0, size[0] - height), mode="replicate")
        return F.interpolate(tensor, size=size, mode="bilinear")

    def network_size(self, height: int, width: int) -> tuple[int, int]:
        step = round(SIZE_STEP / self.options.scale)
        return -(-height // step) * step, -(-width // step) * step

    def back_to_size(self, frame: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """A network frame (1, 3, H, W) at the keyframes' size again: cropped (pad) or stretched back."""
        if frame.shape[-2:] == (height, width):
            return frame
        if self.options.fit == "pad":
            return frame[..., :height, :width]
        return F.interpolate(frame, size=(height, width), mode="bilinear")


def to_image(frame: torch.Tensor) -> np.ndarray:
    """(1, 3, h, w) in [0, 1] -> RGB uint8 (h, w, 3), rounded."""
    scaled = (frame[0].float().clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)
    return np.ascontiguousarray(scaled.permute(1, 2, 0).cpu().numpy())


def swap_average(forward: torch.Tensor, swapped: torch.Tensor) -> torch.Tensor:
    """The ensemble: the mean of the frame computed 0 -> 1 at t and the one computed 1 -> 0 at 1 - t."""
    return (forward + swapped) * 0.5
