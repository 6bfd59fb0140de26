"""The ToonCrafter fine-tuning loop ("toon rectification"): clips -> AdamW on the diffusion loss -> a checkpoint.

The model is built from its config and checkpoint, the recipe's weights (or adapters on their attention
projections) are trained and everything else is frozen (recipes.py); the loss is rectification.py's. The output is
the whole model's state dict in float32 .safetensors with the checkpoint's own keys (adapters merged into their
weights first), so the tooncrafter backend loads it strictly with `--checkpoint`. The training state beside it holds
only the trained tensors and the optimiser, and a rerun resumes from it; every step's draws come from a generator
seeded by (seed, step), so a resumed run draws what the uninterrupted one would have. Validation is not done here:
the output is the last step's weights.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from ..errors import SettingsError
from ..models.tooncrafter.config import ModelConfig
from ..models.tooncrafter.lora import add_adapters, merge_adapters
from ..models.tooncrafter.model import ToonCrafterModel
from ..progress import Progress, SilentProgress
from ..weights.builder import build_model, load_model_config
from ..weights.checkpoint import load_checkpoint
from ..weights.store import find_checkpoint
from .clips import Clip, sample_clips
from .loop import PROGRESS_TASK
from .recipes import adapter_layers, trained_parameter_names
from .rectification import DiffusionObjective
from .settings import FinetuneJob, RectificationSettings, TrainingSettings
from .state import TrainingState, load_state, save_state, save_weights, state_path


def load_model_settings(settings: RectificationSettings) -> ModelConfig:
    """The config of the model to fine-tune (the official 512 model without one)."""
    config = load_model_config(settings.config)
    if not isinstance(config, ModelConfig):
        raise SettingsError(f"{settings.config} describes a {config.kind} model; fine-tuning needs a ToonCrafter "
                            "config (configs/tooncrafter_512.yaml)")
    return config


def load_trainee(job: FinetuneJob, device: torch.device) -> ToonCrafterModel:
    """The model of the job's config with its starting checkpoint (`job.weights`, or the default model.ckpt), in
    float32 on `device`, every parameter frozen, train mode in the UNet and projector only."""
    config = load_model_settings(job.tooncrafter)
    path = find_checkpoint(job.weights)
    model = build_model(config, "cpu")
    load_checkpoint(model, path)
    model.place(device, torch.float32).requires_grad_(False).eval()
    model.model.train()
    model.image_proj_model.train()
    model.model.diffusion_model.gradient_checkpointing = job.tooncrafter.gradient_checkpointing
    return model


def select_parameters(model: ToonCrafterModel, settings: RectificationSettings, seed: int) -> dict[str, nn.Parameter]:
    """Unfreezes what the recipe trains (or attaches adapters, drawn with `seed`); returns it by parameter name."""
    if settings.lora_rank == 0:
        names = trained_parameter_names(model, settings.recipe)
        parameters = {name: parameter for name, parameter in model.named_parameters() if name in names}
    else:
        layers = adapter_layers(model, settings.recipe).values()
        adapters = add_adapters(layers, settings.lora_rank, float(settings.lora_rank),  # alpha = rank: scale 1
                                torch.Generator().manual_seed(seed))
        identities = {id(parameter) for parameter in adapters}
        parameters = {name: parameter for name, parameter in model.named_parameters() if id(parameter) in identities}
    for parameter in parameters.values():
        parameter.requires_grad_(True)
    return parameters


def train_step(objective: DiffusionObjective, optimizer: torch.optim.Optimizer, parameters: Sequence[nn.Parameter],
               batch, generator: torch.Generator, settings: RectificationSettings) -> float:
    """One optimiser step on `batch`; returns its loss."""
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if settings.bf16 else contextlib.nullcontext())
    with autocast:
        loss = objective.loss(batch, generator)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, settings.gradient_clip)
    optimizer.step()
    return float(loss.detach())


def rectify(job: FinetuneJob, clips: Sequence[Clip], device: torch.device, progress: Progress | None = None
            ) -> TrainingState:
    """Fine-tunes ToonCrafter on `clips` from the saved state if there is one; writes the output; returns the state."""
    settings, progress = job.training, progress or SilentProgress()
    job.output.parent.mkdir(parents=True, exist_ok=True)
    state = load_state(state_path(job.output), job.fingerprint()) or TrainingState(run=job.fingerprint())
    model = load_trainee(job, device)
    parameters = select_parameters(model, job.tooncrafter, settings.seed)
    if state.model is not None:
        _restore(parameters, state.model)
    optimizer = torch.optim.AdamW(parameters.values(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    if state.optimizer is not None:
        optimizer.load_state_dict(state.optimizer)
    objective = DiffusionObjective(model, job.tooncrafter.prompt, job.tooncrafter.condition_dropout)
    progress.start(PROGRESS_TASK, settings.num_steps)
    progress.advance(PROGRESS_TASK, state.step)
    generator = torch.Generator()
    while state.step < settings.num_steps:
        step_seed = hash((settings.seed, state.step)) & 0x7FFF_FFFF_FFFF_FFFF
        generator.manual_seed(step_seed)
        batch = sample_clips(clips, settings.batch_size, generator)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(step_seed)  # the UNet's dropout draws from the global generator
            train_step(objective, optimizer, list(parameters.values()), batch, generator, job.tooncrafter)
        state.step += 1
        progress.advance(PROGRESS_TASK)
        if state.step % settings.save_every == 0 or state.step == settings.num_steps:
            _save(state, parameters, optimizer, job.output)
    save_output(model, job.output)
    return state


def save_output(model: ToonCrafterModel, output: Path) -> Path:
    """Merges any adapters into their weights and writes the whole model (float32, the checkpoint's keys)."""
    merge_adapters(model)
    return save_weights(model, output)


def _save(state: TrainingState, parameters: dict[str, nn.Parameter], optimizer: torch.optim.Optimizer,
          output: Path) -> None:
    state.model = {name: parameter.detach().cpu().clone() for name, parameter in parameters.items()}
    state.optimizer = optimizer.state_dict()
    save_state(state, state_path(output))


def _restore(parameters: dict[str, nn.Parameter], saved: dict[str, torch.Tensor]) -> None:
    if set(saved) != set(parameters):
        raise SettingsError("the saved training state holds other trained weights than this run's recipe; delete it "
                            "to start over")
    with torch.no_grad():
        for name, parameter in parameters.items():
            parameter.copy_(saved[name])
