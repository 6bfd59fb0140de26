"""Validation of ToonCrafter fine-tuning: the model interpolates each held-out clip from its first and last frame,
and the frames it generates between them are scored against the clip's true frames (PSNR over RGB, SSIM of luma, as
validation.py scores rife), on the model grid.

Sampling is the backend's (`ToonCrafterPipeline`: classifier-free guidance, guidance rescale, DDIM), with fewer
steps than the reference's 50 to keep validation affordable, the clip's own frame rate as `fs`, and one fixed seed,
so every validation of a run sees the same noise. The model is left in eval mode; the caller restores its modes.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..evaluation.metrics import psnr, ssim
from ..models.tooncrafter.model import ToonCrafterModel
from ..models.tooncrafter.pipeline import ToonCrafterPipeline, video_to_uint8
from ..models.tooncrafter.sampling_settings import SamplingSettings
from .clips import Clip
from .state import Score


class ClipValidator:
    """Scores a model on fixed clips with `num_steps` DDIM steps from `seed`."""

    def __init__(self, clips: Sequence[Clip], num_steps: int, seed: int, prompt: str = ""):
        self.clips = list(clips)
        self.num_steps = num_steps
        self.seed = seed
        self.prompt = prompt

    def score(self, model: ToonCrafterModel, step: int) -> Score:
        pipeline = ToonCrafterPipeline(model)
        psnrs, ssims = [], []
        for clip in self.clips:
            truth = clip.frames  # (t, H, W, 3) uint8
            generated = self.generate(pipeline, truth, clip.frame_rate)
            for index in range(1, len(truth) - 1):  # the in-betweens; the ends are the given keyframes
                psnrs.append(psnr(generated[index], truth[index]))
                ssims.append(ssim(generated[index], truth[index]))
        return Score(step, float(np.mean(psnrs)), float(np.mean(ssims)))

    def generate(self, pipeline: ToonCrafterPipeline, truth: np.ndarray, frame_rate: int) -> np.ndarray:
        """The frames the model generates between the first and last of `truth`: (t, H, W, 3) uint8."""
        keyframes = torch.from_numpy(truth[[0, -1]]).permute(0, 3, 1, 2).float() / 127.5 - 1.0  # (2, 3, H, W)
        settings = SamplingSettings(num_steps=self.num_steps, fs=frame_rate, seed=self.seed)
        video = pipeline(keyframes[:1], keyframes[1:], self.prompt, settings)  # (1, 3, t, H, W)
        return video_to_uint8(video)[0].cpu().numpy()
