"""`toonbatch finetune` as a library call: footage -> triplets -> split -> train -> the best weights file.

For tooncrafter: footage -> 16-frame clips (clips.py) -> toon rectification (rectify.py) -> a whole checkpoint.
`finetune` runs in this process; `finetune_data_parallel` runs the same loop on Ray Train workers (one per GPU, or
CPU processes), each building the triplets from the same files (which must be readable by every worker).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch

from ..backends.learned_options import LearnedOptions, locate_learned_weights
from ..backends.rife import RifeInterpolator
from ..errors import SettingsError
from ..progress import Progress
from ..weights.learned_builders import build_rife
from ..weights.store import find_checkpoint
from .clips import footage_clips, split_clips
from .loop import Worker, train
from .rectify import load_model_settings, rectify
from .settings import FinetuneJob
from .state import Score, TrainingState, load_state, state_path
from .triplets import Triplet, footage_triplets, split_by_shot
from .validation import Validator, pick_evenly


@dataclass(frozen=True)
class FinetuneResult:
    output: Path
    steps: int
    num_training: int  # triplets
    num_validation: int
    scores: tuple[Score, ...]  # validation after step 0 (the starting weights), then on schedule
    backend: str = "rife"

    @property
    def before(self) -> Score | None:
        return self.scores[0] if self.scores else None

    @property
    def best(self) -> Score | None:
        return max(self.scores, key=lambda score: score.psnr, default=None)


def finetune(job: FinetuneJob, progress: Progress | None = None) -> FinetuneResult:
    """Fine-tunes in this process on `job.device`; resumes from the state file beside the output if there is one."""
    if job.backend == "tooncrafter":
        return finetune_tooncrafter(job, progress)
    job = locate_weights(job)
    training, validation = split_by_shot(footage_triplets(job.inputs, job.triplets, job.input_fps),
                                         job.training.validation_fraction)
    state = train_worker(job, training, validation, Worker(device=torch.device(job.device)), progress)
    return _result(job, state, len(training), len(validation))


def finetune_tooncrafter(job: FinetuneJob, progress: Progress | None = None) -> FinetuneResult:
    """Toon rectification of ToonCrafter (rectify.py) on clips of the footage, held-out shots scored, in this process."""
    find_checkpoint(job.weights)  # a missing checkpoint fails before the footage is read
    config = load_model_settings(job.tooncrafter)
    clips = footage_clips(job.inputs, (config.height, config.width), config.num_frames, job.tooncrafter.max_stride,
                          job.triplets, job.input_fps)
    training, validation = split_clips(clips, job.training.validation_fraction)
    if job.device == "cpu" and job.threads is not None:
        torch.set_num_threads(job.threads)
    state = rectify(job, training, torch.device(job.device), progress, validation)
    return _result(job, state, len(training), len(validation))


def finetune_data_parallel(job: FinetuneJob, num_workers: int, ray_address: str | None = None,
                           object_store_memory: int | None = None) -> FinetuneResult:
    """The same run on `num_workers` Ray Train workers (DistributedDataParallel; one GPU each on cuda)."""
    from ..orchestration.ray_training import fit_data_parallel

    if job.backend == "tooncrafter":
        raise SettingsError("tooncrafter fine-tuning runs in one process on one device; drop --workers and "
                            "--ray-address")
    job = locate_weights(job)
    triplets = footage_triplets(job.inputs, job.triplets, job.input_fps)  # checked here, before Ray starts
    training, validation = split_by_shot(triplets, job.training.validation_fraction)
    fit_data_parallel(_ray_worker, {"job": job}, num_workers, use_gpu=job.device == "cuda", address=ray_address,
                      object_store_memory=object_store_memory)
    state = load_state(state_path(job.output), job.fingerprint())
    return _result(job, state, len(training), len(validation))


def _ray_worker(config: dict, rank: int, world_size: int, device: torch.device) -> None:
    job: FinetuneJob = config["job"]
    training, validation = split_by_shot(footage_triplets(job.inputs, job.triplets, job.input_fps),
                                         job.training.validation_fraction)
    train_worker(job, training, validation, Worker(rank, world_size, device))


def train_worker(job: FinetuneJob, training: list[Triplet], validation: list[Triplet], worker: Worker,
                 progress: Progress | None = None) -> TrainingState:
    """Builds the network (and, on rank 0, the validator) on the worker's device and trains it."""
    network = build_rife(job.weights_dir, worker.device, job.weights)
    options = _backend_options(job, worker.device)
    validator = None
    if worker.is_main and validation:
        validator = Validator(pick_evenly(validation, job.training.max_validation), RifeInterpolator(**options))
    if worker.device.type == "cpu":
        torch.set_num_threads(LearnedOptions(**options).cpu_threads())  # the count the validator's backend pins
    return train(job, network, training, validator, worker, progress)


def locate_weights(job: FinetuneJob) -> FinetuneJob:
    """`job` with its starting weights found (absolute paths), or a CheckpointError naming what is missing."""
    options = locate_learned_weights(LearnedOptions(
        weights_dir=None if job.weights_dir is None else str(job.weights_dir),
        weights=None if job.weights is None else str(job.weights)), job.backend)
    return dataclasses.replace(job, weights_dir=None if options.weights_dir is None else Path(options.weights_dir),
                               weights=None if options.weights is None else Path(options.weights))


def _backend_options(job: FinetuneJob, device: torch.device) -> dict:
    return dataclasses.asdict(LearnedOptions(
        weights_dir=None if job.weights_dir is None else str(job.weights_dir),
        weights=None if job.weights is None else str(job.weights), device=device.type, threads=job.threads))


def _result(job: FinetuneJob, state: TrainingState | None, num_training: int, num_validation: int
            ) -> FinetuneResult:
    scores = () if state is None else tuple(state.scores)
    return FinetuneResult(job.output, 0 if state is None else state.step, num_training, num_validation, scores,
                          job.backend)
