"""Where backends run: in-process threads (`local`) or Ray actors (`ray_executor`), behind one `Executor` interface.

`create_executor` picks one. Ray is imported only when a Ray executor is actually built.
"""

from __future__ import annotations

from ..backends.base import BackendSpec
from ..backends.registry import default_local_workers
from ..errors import SettingsError
from .base import Executor, WorkUnit
from .local import LocalExecutor

EXECUTOR_KINDS = ("auto", "local", "ray")

__all__ = ["EXECUTOR_KINDS", "Executor", "LocalExecutor", "WorkUnit", "create_executor", "wants_ray"]


def wants_ray(kind: str, needs_gpu: bool, workers: int | None, address: str | None) -> bool:
    """`auto` means Ray when a cluster address is given, the backend needs a GPU, or more than one worker is asked
    (`workers` None: not asked)."""
    if kind not in EXECUTOR_KINDS:
        raise SettingsError(f"unknown executor {kind!r}; choose one of: {', '.join(EXECUTOR_KINDS)}")
    if kind == "auto":
        return address is not None or needs_gpu or (workers is not None and workers > 1)
    return kind == "ray"


def create_executor(kind: str, spec: BackendSpec, needs_gpu: bool, workers: int | None = 1, address: str | None = None,
                    cpus_per_actor: float = 1, gpus_per_actor: float | None = None, max_retries: int = 3) -> Executor:
    """Build the executor `kind` names ("auto", "local" or "ray") for `workers` copies of the backend `spec`.

    `workers` None lets the executor choose: locally, one thread per core for a threaded CPU backend
    (`backends.registry.default_local_workers`); on Ray, one actor.

    The last three only matter on Ray: each actor's CPU and GPU request, and how often a unit is run again after
    the actor holding it died.
    """
    if not wants_ray(kind, needs_gpu, workers, address):
        if address is not None:
            raise SettingsError("--ray-address needs the Ray executor; drop --executor local or the address")
        return LocalExecutor(spec, default_local_workers(spec, needs_gpu) if workers is None else workers)
    from .ray_executor import RayExecutor

    return RayExecutor(spec, num_actors=1 if workers is None else workers, address=address, cpus_per_actor=cpus_per_actor,
                       gpus_per_actor=gpus_per_actor, max_retries=max_retries, needs_gpu=needs_gpu)
