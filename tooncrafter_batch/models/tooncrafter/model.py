"""The top-level ToonCrafter model: schedule buffers, denoiser, VAE, OpenCLIP towers and image-context resampler.

One `nn.Module` whose `state_dict()` has exactly the keys of the official `model.ckpt["state_dict"]`
(manifest_512.json): the reference's `LatentVisualDiffusion` minus the training machinery.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .autoencoder import AutoencoderKLDualRef
from .conditioning import ClipImageEncoder, ClipTextEncoder
from .config import ModelConfig
from .resampler import Resampler
from .schedule import schedule_buffers
from .unet import UNet3D


class DiffusionWrapper(nn.Module):
    """The "hybrid" conditioning of the reference: concat condition on channels, context through attention.

    The attribute name `diffusion_model` is the checkpoint contract (keys `model.diffusion_model.*`).
    """

    def __init__(self, unet: UNet3D):
        super().__init__()
        self.diffusion_model = unet

    def forward(self, latents: torch.Tensor, concat: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor,
                fs: torch.Tensor, control: list[torch.Tensor] | None = None) -> torch.Tensor:
        """latents, concat (b, 4, t, h, w); timesteps, fs (b,) int; context (b, l, d) -> v (b, 4, t, h, w).

        `control`: scaled sketch residuals for the UNet (see `UNet3D.forward`), or None.
        """
        return self.diffusion_model(torch.cat([latents, concat], dim=1), timesteps, context, fs, control)


class ToonCrafterModel(nn.Module):
    """All weights of ToonCrafter; `ToonCrafterPipeline` runs them.

    Attribute names and their order are the checkpoint contract: they produce the manifest's keys (schedule
    buffers and `scale_arr` at the top level, then `model.diffusion_model.`, `first_stage_model.`,
    `cond_stage_model.model.`, `embedder.model.`, `image_proj_model.`), even where other names would read better.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        # Persistent: a checkpoint's stored schedule overwrites these, and sampling uses the loaded values.
        for name, value in schedule_buffers(config.schedule).items():
            self.register_buffer(name, value)
        self.model = DiffusionWrapper(UNet3D(config.unet))
        self.first_stage_model = AutoencoderKLDualRef(config.autoencoder)
        self.cond_stage_model = ClipTextEncoder(config.clip)
        self.embedder = ClipImageEncoder(config.clip)
        self.image_proj_model = Resampler(config.resampler)

    def place(self, device: torch.device | str, dtype: torch.dtype) -> ToonCrafterModel:
        """Moves everything to `device` and casts the weights to `dtype`; the schedule buffers stay float32.

        Use this rather than `.to(dtype)`, which would round alpha_prod (and so every DDIM coefficient) to bf16.
        """
        for module in self.children():
            module.to(device=device, dtype=dtype)
        for name, buffer in self.named_buffers(recurse=False):
            setattr(self, name, buffer.to(device=device, dtype=torch.float32))
        return self

    def schedule_state(self) -> dict[str, torch.Tensor]:
        """The top-level schedule buffers by name (what `DDIMSampler` reads)."""
        return dict(self.named_buffers(recurse=False))

    def encode_prompts(self, prompts: Sequence[str]) -> torch.Tensor:
        """Prompts -> CLIP text tokens (b, 77, context_dim)."""
        return self.cond_stage_model(prompts)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """Images (b, 3, H, W) in [-1, 1] -> CLIP image tokens (b, 257, clip vision width)."""
        return self.embedder(images)

    def context(self, text_tokens: torch.Tensor, clip_image_tokens: torch.Tensor) -> torch.Tensor:
        """The cross-attention context: [text tokens ; resampled image tokens] -> (b, 77 + t * 16, context_dim)."""
        return torch.cat([text_tokens, self.image_proj_model(clip_image_tokens)], dim=1)
