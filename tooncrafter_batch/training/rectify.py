"""The ToonCrafter fine-tuning loop ("toon rectification"): clips -> AdamW on the diffusion loss -> a checkpoint.

The model is built from its config and checkpoint, the recipe's weights (or adapters on their attention
projections) are trained and everything else is frozen (recipes.py); the loss is rectification.py's. The output is
the whole model's state dict in float32 .safetensors with the checkpoint's own keys (adapters merged into their
weights), so the tooncrafter backend loads it strictly with `--checkpoint`. With held-out clips the output holds the
weights with the best validation PSNR so far (clip_validation.py; the starting weights until they are beaten),
without them the last step's. The training state beside it holds only the trained tensors and the optimiser, and a
rerun resumes from it; every step's draws (and the UNet's dropout) come from generators seeded by (seed, step), so a
resumed run draws what the uninterrupted one would have.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from ..errors import SettingsError
from ..models.tooncrafter.config import ModelConfig
from ..models.tooncrafter.lora import add_adapters, merged_state_dict
from ..models.tooncrafter.model import ToonCrafterModel
from ..progress import Progress, SilentProgress
from ..weights.builder import build_model, load_model_config
from ..weights.checkpoint import load_checkpoint, save_tensors
from ..weights.store import find_checkpoint
from .clip_validation import ClipValidator
from .clips import Clip, ClipBatch, sample_clips
from .loop import PROGRESS_TASK
from .recipes import adapter_layers, trained_parameter_names
from .rectification import DiffusionObjective
from .settings import FinetuneJob, RectificationSettings
from .state import TrainingState, load_state, save_state, state_path
from .validation import pick_evenly


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
    model.place(device, torch.float32).requires_grad_(False)
    set_training_modes(model)
    model.model.diffusion_model.gradient_checkpointing = job.tooncrafter.gradient_checkpointing
    return model


def set_training_modes(model: ToonCrafterModel) -> None:
    """Train mode (dropout) in the UNet and the projector, eval mode in the frozen VAE and CLIP towers."""
    model.eval()
    model.model.train()
    model.image_proj_model.train()


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
               batch: ClipBatch, generator: torch.Generator, settings: RectificationSettings) -> float:
    """One optimiser step on `batch`; returns its loss."""
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if settings.bf16 else contextlib.nullcontext())
    with autocast:
        loss = objective.loss(batch, generator)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, settings.gradient_clip)
    optimizer.step()
    return float(loss.detach())


def rectify(job: FinetuneJob, clips: Sequence[Clip], device: torch.device, progress: Progress | None = None,
            validation: Sequence[Clip] = ()) -> TrainingState:
    """Fine-tunes ToonCrafter on `clips` from the saved state if there is one, scoring on `validation` clips;
    writes the output; returns the state."""
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
    validator = None
    if validation:
        validator = ClipValidator(pick_evenly(validation, settings.max_validation), job.tooncrafter.validation_steps,
                                  settings.seed, job.tooncrafter.prompt)
    progress.start(PROGRESS_TASK, settings.num_steps)
    progress.advance(PROGRESS_TASK, state.step)
    if validator is not None and not state.scores:
        _validate(model, validator, state, job.output)  # the starting weights: the score to beat
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
        _checkpoint(model, parameters, optimizer, validator, state, job)
    if validator is None:
        save_output(model, job.output)
    return state


def save_output(model: ToonCrafterModel, output: Path) -> Path:
    """Writes the whole model with any adapters merged (float32, the checkpoint's keys); the model keeps them."""
    return save_tensors(merged_state_dict(model), output, torch.float32)


def _checkpoint(model: ToonCrafterModel, parameters: dict[str, nn.Parameter], optimizer: torch.optim.Optimizer,
                validator: ClipValidator | None, state: TrainingState, job: FinetuneJob) -> None:
    """Validates on schedule (keeping the best weights) and saves the state on schedule, after each validation and
    at the end (as loop._checkpoint does for rife)."""
    settings = job.training
    is_last = state.step == settings.num_steps
    validates = validator is not None and (state.step % settings.validate_every == 0 or is_last)
    if validates:
        _validate(model, validator, state, job.output)
    if validates or state.step % settings.save_every == 0 or is_last:
        _save(state, parameters, optimizer, job.output)


def _validate(model: ToonCrafterModel, validator: ClipValidator, state: TrainingState, output: Path) -> None:
    best = state.best
    score = validator.score(model, state.step)
    set_training_modes(model)
    state.scores.append(score)
    if best is None or score.psnr > best.psnr:
        save_output(model, output)


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
