"""Reading, checking and converting model checkpoints without ever running pickled code.

`.ckpt`/`.pt`/`.pth` files are PyTorch pickles read with `torch.load(weights_only=True)`: a file that needs
anything beyond tensors and plain containers (a class, a function: code) is refused before any of it runs, except
a training framework's bookkeeping (Lightning, OmegaConf objects beside the weights), read as inert stand-ins.
`.safetensors` files hold tensors only. The reference's conventions (scripts/evaluation/funcs.py
load_model_checkpoint): a Lightning dict with a `state_dict` key used as is; a DeepSpeed dict with a `module`
key whose keys carry a `_forward_module.` prefix; legacy `framestride_embed` keys renamed to `fps_embedding`.
"""

from __future__ import annotations

import functools
import os
import pickle
import pickletools
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from ..errors import CheckpointError

DEEPSPEED_PREFIX = "_forward_module."
LEGACY_NAMES = {"framestride_embed": "fps_embedding"}  # the reference's retry after a failed strict load
SAFETENSORS_SUFFIX = ".safetensors"
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")

Layout = Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class CheckpointReport:
    """How a checkpoint's keys and shapes compare with a model's layout."""

    path: Path
    num_keys: int
    missing: tuple[str, ...]  # in the model, not in the file
    unexpected: tuple[str, ...]  # in the file, not in the model
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]  # (key, file shape, model shape)

    @property
    def is_match(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self, limit: int = 5) -> str:
        """One line: the counts and the first few names of each kind of difference."""
        if self.is_match:
            return f"{self.path}: all {self.num_keys} keys match the model's layout"
        parts = []
        for label, names in (("missing", self.missing), ("unexpected", self.unexpected)):
            if names:
                shown = ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")
                parts.append(f"{len(names)} {label} ({shown})")
        if self.mismatched:
            shown = ", ".join(f"{key} {list(found)} != {list(wanted)}"
                              for key, found, wanted in self.mismatched[:limit])
            more = ", ..." if len(self.mismatched) > limit else ""
            parts.append(f"{len(self.mismatched)} mis-shaped ({shown}{more})")
        return f"{self.path} does not fit the model: " + "; ".join(parts)


def state_dict_layout(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Every state-dict key of `model` with its shape, in state-dict order (works on the meta device)."""
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors under the model's key names (conventions applied), on the CPU.

    Pickles are memory-mapped, so a 10 GB file is not read into memory up front.
    """
    path = Path(path)
    if path.suffix == SAFETENSORS_SUFFIX:
        with _open_safetensors(path) as file:
            return _rename_legacy({key: file.get_tensor(key) for key in file.keys()})
    return _rename_legacy(_unwrap(_load_pickle(path), path))


def read_layout(path: str | os.PathLike) -> dict[str, tuple[int, ...]]:
    """Key -> shape of a checkpoint, read without loading its tensors' data."""
    path = Path(path)
    if path.suffix == SAFETENSORS_SUFFIX:
        with _open_safetensors(path) as file:
            shapes = {key: tuple(file.get_slice(key).get_shape()) for key in file.keys()}
        return _rename_legacy(shapes)
    return {key: tuple(value.shape) for key, value in read_state_dict(path).items()}


def compare_layout(path: str | os.PathLike, found: Layout, expected: Layout) -> CheckpointReport:
    """Compares a checkpoint's layout (`found`) with a model's (`expected`)."""
    mismatched = tuple((key, tuple(found[key]), tuple(expected[key])) for key in expected
                       if key in found and tuple(found[key]) != tuple(expected[key]))
    return CheckpointReport(path=Path(path), num_keys=len(found),
                            missing=tuple(key for key in expected if key not in found),
                            unexpected=tuple(key for key in found if key not in expected), mismatched=mismatched)


def verify_checkpoint(path: str | os.PathLike, expected: Layout) -> CheckpointReport:
    """Checks a file against a layout (from `state_dict_layout` of a model built on the meta device).

    Raises CheckpointError when the file is absent, unreadable or carries code; returns the report otherwise.
    """
    return compare_layout(path, read_layout(path), expected)


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> CheckpointReport:
    """Loads a checkpoint into `model` strictly (as the reference), casting to each parameter's dtype.

    Missing, unexpected and mis-shaped keys are a CheckpointError naming them; nothing is loaded then.
    """
    state = read_state_dict(path)
    report = compare_layout(path, {key: tuple(value.shape) for key, value in state.items()},
                            state_dict_layout(model))
    if not report.is_match:
        raise CheckpointError(report.summary())
    model.load_state_dict(state, strict=True)  # copy_ casts fp16/bf16 files to the model's dtype
    return report


def save_safetensors(model: nn.Module, path: str | os.PathLike, dtype: torch.dtype = torch.float16) -> Path:
    """Writes the model's state dict as .safetensors, floating tensors cast to `dtype` (temp file, then rename)."""
    return save_tensors(model.state_dict(), path, dtype)


def save_tensors(state: Mapping[str, torch.Tensor], path: str | os.PathLike, dtype: torch.dtype) -> Path:
    """Writes named tensors as .safetensors, floating ones cast to `dtype` (temp file, then rename)."""
    path = Path(path)
    if path.suffix != SAFETENSORS_SUFFIX:
        raise CheckpointError(f"{path}: a converted checkpoint must end in {SAFETENSORS_SUFFIX}")
    tensors = {key: (value.to(dtype) if value.is_floating_point() else value).detach().cpu().contiguous().clone()
               for key, value in state.items()}
    temporary = path.with_name(path.name + ".partial")
    save_file(tensors, str(temporary), metadata={"format": "pt", "dtype": str(dtype).removeprefix("torch.")})
    temporary.replace(path)
    return path


def _open_safetensors(path: Path):
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        return safe_open(str(path), framework="pt", device="cpu")
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"{path} is not a readable .safetensors file ({error})") from None


def _load_pickle(path: Path) -> object:
    """torch.load with weights_only=True: only tensors and plain containers are rebuilt, no code runs.

    A training checkpoint may also carry its trainer's bookkeeping (Lightning callbacks and hyper-parameters,
    OmegaConf configs) beside the weights: those alone are read again with inert stand-ins in their place.
    """
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=_is_zip(path))
    except pickle.UnpicklingError as error:
        names = _unsafe_globals(path, error)
        if not names:  # not a pickle at all, or opcodes the safe unpickler does not know
            raise CheckpointError(f"{path} is not a readable PyTorch checkpoint (refused by the safe unpickler; "
                                  f"nothing in it was run)") from None
        if all(_is_bookkeeping(name) for name in names):
            return _load_with_inert_bookkeeping(path)
        raise CheckpointError(f"refusing {path}: it holds pickled code or objects ({', '.join(names)}), not only "
                              f"tensors; nothing in it was run. Use the official file or a .safetensors "
                              f"conversion") from None
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint "
                              f"({type(error).__name__}: {error})") from None


# Packages whose objects training frameworks store beside the weights (callback states, hyper-parameters,
# configs). In a checkpoint they are only ever data about the training run; they are replaced by inert stand-ins.
BOOKKEEPING_PACKAGES = ("pytorch_lightning", "lightning", "lightning_fabric", "omegaconf")
BOOKKEEPING_NAMES = ("argparse.Namespace", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.Path")


def _is_bookkeeping(name: str) -> bool:
    return name.split(".")[0] in BOOKKEEPING_PACKAGES or name in BOOKKEEPING_NAMES


class InertObject(dict):
    """Stands in for a training framework's object in a checkpoint: keeps what it was given and runs nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.arguments = (args, kwargs)

    def __setstate__(self, state) -> None:
        self.state = state

    def append(self, item) -> None:
        self.setdefault("items", []).append(item)

    def extend(self, items) -> None:
        self.setdefault("items", []).extend(items)


@functools.lru_cache(maxsize=None)
def _inert_class(qualified_name: str) -> type:
    module, _, name = qualified_name.rpartition(".")
    return type(name, (InertObject,), {"__module__": module, "__qualname__": name})


class _InertUnpickler(pickle.Unpickler):
    """Rebuilds what torch's weights-only unpickler allows, bookkeeping classes as inert stand-ins, nothing else."""

    def find_class(self, module: str, name: str):
        qualified = f"{module}.{name}"
        allowed = _weights_only_globals()
        if qualified in allowed:
            return allowed[qualified]
        if _is_bookkeeping(qualified):
            return _inert_class(qualified)
        raise pickle.UnpicklingError(f"refused global {qualified}")


def _weights_only_globals() -> dict:
    from torch import _weights_only_unpickler

    return _weights_only_unpickler._get_allowed_globals()


_INERT_PICKLE = types.SimpleNamespace(__name__="toonbatch_inert_pickle", Unpickler=_InertUnpickler,
                                      load=lambda file, **options: _InertUnpickler(file, **options).load(),
                                      UnpicklingError=pickle.UnpicklingError)


def _load_with_inert_bookkeeping(path: Path) -> object:
    try:
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=_INERT_PICKLE,
                          mmap=_is_zip(path))
    except pickle.UnpicklingError as error:
        raise CheckpointError(f"refusing {path}: {error}; nothing in it was run") from None


def _is_zip(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"PK\x03\x04"  # torch.save's default (zip) format; older files are raw pickles


def _unsafe_globals(path: Path, error: Exception) -> list[str]:
    """The names of the globals the pickle wants to import that the weights-only unpickler refuses, found
    without unpickling (all of them, not only the first one the unpickler stopped at)."""
    names = torch.serialization.get_unsafe_globals_in_checkpoint(path) if _is_zip(path) else _pickle_globals(path)
    if not names:
        names = re.findall(r"GLOBAL ([\w.]+)", str(error))
    allowed = _weights_only_globals()
    return [name for name in dict.fromkeys(names) if name not in allowed and "Storage" not in name]


def _pickle_globals(path: Path) -> list[str]:
    """Names imported by the first pickle in a raw (pre-zip) file, read with pickletools (never executed)."""
    names, strings = [], []
    try:
        with path.open("rb") as file:
            for opcode, argument, _ in pickletools.genops(file):
                if opcode.name == "GLOBAL":
                    names.append(argument.replace(" ", "."))
                elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                    names.append(".".join(strings[-2:]))
                elif isinstance(argument, str):
                    strings.append(argument)
    except (ValueError, EOFError):  # garbage after or instead of a pickle: report what was found
        pass
    return names


def _unwrap(checkpoint: object, path: Path) -> dict[str, torch.Tensor]:
    """The reference's conventions: `state_dict` as is; else DeepSpeed `module` minus its prefix; else a bare dict."""
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{path} holds a {type(checkpoint).__name__}, not a dict of tensors")
    if "state_dict" in checkpoint:
        state = checkpoint["state_dict"]
    elif "module" in checkpoint:
        state = {key.removeprefix(DEEPSPEED_PREFIX): value for key, value in checkpoint["module"].items()}
    else:
        state = checkpoint
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise CheckpointError(f"{path} has no state dict of tensors (expected a 'state_dict' or 'module' key)")
    return state


def _rename_legacy(state: dict) -> dict:
    renamed = {}
    for key, value in state.items():
        for old, new in LEGACY_NAMES.items():
            key = key.replace(old, new)
        renamed[key] = value
    return renamed
