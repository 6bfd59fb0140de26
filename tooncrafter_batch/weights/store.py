"""Where model weights come from: the checkpoint's default location and its opt-in download from the Hugging Face
hub. Free of torch, so the CLI can name and find the files without loading the model code; building models from
configs and weights is `builder.py`.

The model package never downloads; this module does, for the CLI and the backends.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CheckpointError

DEFAULT_CHECKPOINT = Path("model/tooncrafter_512_interp_v1/model.ckpt")  # where the reference expects it
DEFAULT_SKETCH_CHECKPOINT = Path("model/sketch_encoder.ckpt")  # sketch_encoder.ckpt of the same hub repo
HUB_REPO = "Doubiiu/ToonCrafter"
HUB_FILENAME = "model.ckpt"


def find_checkpoint(path: Path | None = None, download: bool = False) -> Path:
    """The checkpoint file to load: `path` or the default location; downloaded there first when asked.

    Without the file (and without `download`), a CheckpointError says what to download and where to put it.
    """
    target = path if path is not None else DEFAULT_CHECKPOINT
    if target.is_file():
        return target
    if download:
        return download_checkpoint(target)
    raise CheckpointError(f"no checkpoint at {target}; download {HUB_REPO} {HUB_FILENAME} and put it there, "
                          f"or pass --checkpoint PATH (or --download to fetch it, about 10 GB)")


def find_sketch_checkpoint(path: Path | None = None) -> Path:
    """The sketch encoder's weights file: `path` or model/sketch_encoder.ckpt; a CheckpointError without it."""
    target = path if path is not None else DEFAULT_SKETCH_CHECKPOINT
    if not target.is_file():
        raise CheckpointError(f"no sketch encoder at {target}; download {HUB_REPO} sketch_encoder.ckpt and put it "
                              f"there, or pass --sketch-checkpoint PATH")
    return target


def download_checkpoint(target: Path = DEFAULT_CHECKPOINT) -> Path:
    """Fetches the official checkpoint from the Hugging Face hub to `target` (about 10 GB; needs the network)."""
    from huggingface_hub import hf_hub_download  # imported here: only this opt-in path needs it

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        downloaded = Path(hf_hub_download(repo_id=HUB_REPO, filename=HUB_FILENAME, local_dir=target.parent))
    except Exception as error:  # the hub client raises many kinds (offline, HTTP, disk); all mean the same here
        raise CheckpointError(f"cannot download {HUB_REPO} {HUB_FILENAME} ({type(error).__name__}: "
                              f"{' '.join(str(error).split())[:200]}); download it by hand and put it at "
                              f"{target}, or pass --checkpoint PATH") from None
    if downloaded != target:
        downloaded.replace(target)
    return target
