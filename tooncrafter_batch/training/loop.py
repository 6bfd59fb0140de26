"""The fine-tuning loop (pure torch): AdamW on a Charbonnier loss, validation, best weights kept, resumable.

One function serves one process and each Ray Train worker: with `world_size` > 1 the network is wrapped in
DistributedDataParallel (the process group is already set up by the caller) and each worker draws its own crops;
only rank 0 validates and writes files. Every step's random draws come from a generator seeded by (seed, step,
rank), so a resumed run draws what the uninterrupted one would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from ..progress import Progress, SilentProgress
from .batches import sample_batch
from .settings import FinetuneJob
from .state import TrainingState, load_state, save_state, save_weights, state_path
from .triplets import Triplet
from .validation import Validator

CHARBONNIER_EPSILON = 1e-3  # sqrt((x - y)^2 + eps^2): L1 away from zero, smooth at it
PROGRESS_TASK = "fine-tune"


@dataclass(frozen=True)
class Worker:
    """Where this copy of the loop runs: its rank among `world_size` data-parallel workers, on `device`."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def charbonnier(prediction: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    return torch.sqrt((prediction - truth) ** 2 + CHARBONNIER_EPSILON**2).mean()


def train(job: FinetuneJob, network: nn.Module, training: Sequence[Triplet], validator: Validator | None,
          worker: Worker = Worker(), progress: Progress | None = None) -> TrainingState:
    """Fine-tunes `network` (on `worker.device`) from the saved state if there is one; returns the final state.

    The output file always holds the best weights so far (the starting weights until validation beats them;
    without validation, the last step's)."""
    settings, progress = job.training, progress or SilentProgress()
    if worker.is_main:
        job.output.parent.mkdir(parents=True, exist_ok=True)
    state = load_state(state_path(job.output), job.fingerprint()) or TrainingState(run=job.fingerprint())
    if state.model is not None:
        network.load_state_dict(state.model)
    network.train()
    model = _parallel(network, worker)
    optimizer = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    if state.optimizer is not None:
        optimizer.load_state_dict(state.optimizer)
    progress.start(PROGRESS_TASK, settings.num_steps)
    progress.advance(PROGRESS_TASK, state.step)
    if worker.is_main and validator is not None and not state.scores:
        _validate(network, validator, state, job)  # the starting weights: the score to beat
    generator = torch.Generator()
    while state.step < settings.num_steps:
        generator.manual_seed(hash((settings.seed, state.step, worker.rank)) & 0x7FFF_FFFF_FFFF_FFFF)
        batch = sample_batch(training, settings.batch_size, settings.crop, generator).to(worker.device)
        loss = charbonnier(model(batch.start, batch.end, batch.positions), batch.truth)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        state.step += 1
        progress.advance(PROGRESS_TASK)
        if worker.is_main:
            _checkpoint(network, optimizer, validator, state, job)
    return state


def _parallel(network: nn.Module, worker: Worker) -> nn.Module:
    if worker.world_size == 1:
        return network
    device_ids = [worker.device.index] if worker.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(network, device_ids=device_ids)


def _checkpoint(network: nn.Module, optimizer: torch.optim.Optimizer, validator: Validator | None,
                state: TrainingState, job: FinetuneJob) -> None:
    """Validates on schedule (keeping the best weights) and saves the state on schedule, after each validation (so
    the state's best score is the output's) and at the end."""
    settings = job.training
    is_last = state.step == settings.num_steps
    validates = validator is not None and (state.step % settings.validate_every == 0 or is_last)
    if validates:
        _validate(network, validator, state, job)
    elif validator is None and is_last:
        save_weights(network, job.output)
    if validates or state.step % settings.save_every == 0 or is_last:
        state.model = {key: value.detach().cpu().clone() for key, value in network.state_dict().items()}
        state.optimizer = optimizer.state_dict()
        save_state(state, state_path(job.output))


def _validate(network: nn.Module, validator: Validator, state: TrainingState, job: FinetuneJob) -> None:
    best = state.best
    score = validator.score(network, state.step)
    state.scores.append(score)
    if best is None or score.psnr > best.psnr:
        save_weights(network, job.output)
