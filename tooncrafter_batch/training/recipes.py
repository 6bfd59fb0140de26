"""Which ToonCrafter weights a fine-tuning run trains: the recipes as named sets of state-dict keys.

`rectification`, the paper's toon rectification learning (ToonCrafter, arXiv 2405.17933, method section, as read
in ../shared/reference/SPEC.md section 9 and summaries of the paper; the paper's own paragraph was not at hand): the
image-context projector (`image_proj_model`, the Resampler) and the spatial layers of the denoising UNet are
trained; the temporal layers stay frozen so the motion prior learnt from live-action video is kept. Here:
- temporal (frozen): every `TemporalConvBlock` (the `temopral_conv` of each ResBlock), every `TemporalTransformer`
  (the one after each SpatialTransformer and `init_attn`), and `fps_embedding`, the frame-rate condition of the
  motion (added with the video model; our reading: it belongs to the motion prior, not to appearance);
- spatial (trained): the rest of the UNet: input/output convolutions, the ResBlocks' 2-D parts, down/up-sampling,
  the SpatialTransformers with their text and image cross-attention (`to_k_ip`/`to_v_ip`), and `time_embed`
  (the diffusion-step embedding of the image model the spatial layers come from).
`released`, what the released training config trains (Doubiiu/ToonCrafter configs/training_512_v1.0/config.yaml,
`image_proj_model_trainable: true`, optimiser over all of `model.*`): the whole UNet and the projector.
The VAE and both CLIP towers are frozen in every recipe (`cond_stage_trainable: False`, frozen embedder).

With adapters (LoRA), only adapters train: one per attention projection (`to_q`, `to_k`, `to_v`, `to_out.0`,
`to_k_ip`, `to_v_ip`; in the projector `to_q`, `to_kv`, `to_out`) among the recipe's trained weights.
"""

from __future__ import annotations

from torch import nn

from ..models.tooncrafter.attention import Attention, TemporalTransformer
from ..models.tooncrafter.model import ToonCrafterModel
from ..models.tooncrafter.resampler import PerceiverAttention
from ..models.tooncrafter.unet import TemporalConvBlock
from .settings import RECIPES

UNET = "model.diffusion_model."
PROJECTOR = "image_proj_model."
TEMPORAL_MODULES = (TemporalConvBlock, TemporalTransformer)
FRAME_RATE_EMBEDDING = "fps_embedding."
ATTENTION_MODULES = (Attention, PerceiverAttention)


def temporal_parameter_names(model: ToonCrafterModel) -> set[str]:
    """Full state-dict names of the UNet's temporal parameters (the motion prior; see the module docstring)."""
    unet = model.model.diffusion_model
    prefixes = [name + "." for name, module in unet.named_modules() if isinstance(module, TEMPORAL_MODULES)]
    prefixes.append(FRAME_RATE_EMBEDDING)
    return {UNET + name for name, _ in unet.named_parameters() if name.startswith(tuple(prefixes))}


def trained_parameter_names(model: ToonCrafterModel, recipe: str) -> set[str]:
    """The names of the parameters `recipe` trains (without adapters)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
    names = {name for name, _ in model.named_parameters() if name.startswith((UNET, PROJECTOR))}
    if recipe == "rectification":
        names -= temporal_parameter_names(model)
    return names


def adapter_layers(model: ToonCrafterModel, recipe: str) -> dict[str, nn.Linear]:
    """The attention projections whose weights `recipe` trains, by module name: where adapters go."""
    trained = trained_parameter_names(model, recipe)
    layers = {}
    for name, module in model.named_modules():
        if not isinstance(module, ATTENTION_MODULES):
            continue
        for child_name, child in module.named_modules():
            full_name = f"{name}.{child_name}"
            if isinstance(child, nn.Linear) and full_name + ".weight" in trained:
                layers[full_name] = child
    return layers
