"""Data-parallel training on Ray Train: a TorchTrainer runs the caller's loop on each worker.

The loop is the caller's (`training/`, above this floor, passes it in) and knows nothing of Ray: it is called as
`loop(config, rank, world_size, device)` with torch.distributed already set up (gloo on CPU, NCCL on GPUs), so it
only wraps its network in DistributedDataParallel. Ray Train's own run records go to a temporary folder: the loop
writes its results itself.
"""

from __future__ import annotations

import signal
import tempfile
from typing import Callable

import ray
import ray.train
import torch
from ray.train import RunConfig, ScalingConfig
from ray.train.torch import TorchTrainer, get_device

from ..errors import SettingsError, ToonbatchError
from .ray_executor import connect

WorkerLoop = Callable[[dict, int, int, torch.device], None]


def fit_data_parallel(loop: WorkerLoop, config: dict, num_workers: int, use_gpu: bool = False,
                      address: str | None = None, object_store_memory: int | None = None) -> None:
    """Runs `loop` on `num_workers` workers (one GPU each with `use_gpu`) until every worker returns.

    A ToonbatchError raised in a worker is raised here as itself; any other failure as a ToonbatchError naming it.
    """
    if num_workers < 1:
        raise SettingsError(f"data-parallel training needs at least 1 worker, got {num_workers}")
    started_ray = connect(address, num_workers, object_store_memory)
    try:
        with tempfile.TemporaryDirectory(prefix="toonbatch-train-") as records:
            trainer = TorchTrainer(_per_worker, train_loop_config={"loop": loop, "config": config},
                                   scaling_config=ScalingConfig(num_workers=num_workers, use_gpu=use_gpu),
                                   run_config=RunConfig(storage_path=records, name="finetune"))
            ctrl_c = signal.getsignal(signal.SIGINT)  # fit() installs its own handler and leaves it behind
            try:
                trainer.fit()
            except Exception as error:  # Ray wraps what a worker raised; unwrap a user error
                raise _user_error(error) from None
            finally:
                signal.signal(signal.SIGINT, ctrl_c)
    finally:
        if started_ray:
            ray.shutdown()


def _per_worker(train_config: dict) -> None:
    context = ray.train.get_context()
    train_config["loop"](train_config["config"], context.get_world_rank(), context.get_world_size(), get_device())


def _user_error(error: BaseException) -> ToonbatchError:
    """The ToonbatchError a worker raised, found through Ray Train's wrappers (WorkerGroupError.worker_failures,
    each a UserExceptionWithTraceback around the worker's exception), or one naming the failure."""
    pending = [error]
    while pending:
        item = pending.pop()
        if isinstance(item, ToonbatchError):
            return item
        pending.extend(getattr(item, "worker_failures", {}).values())
        pending.extend(cause for cause in (item.__cause__, getattr(item, "_base_exc", None)) if cause is not None)
    return ToonbatchError(f"data-parallel training failed: {type(error).__name__}: {error}")
