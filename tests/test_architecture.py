"""The import rules of STYLE.md: one direction of data, one direction of imports."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tooncrafter_batch"

# The floors of STYLE.md, bottom (0) to top: a module imports only from floors below its own (and its own package).
FLOORS = {
    "errors": 0, "datatypes": 0, "progress": 0,
    "models": 1, "imaging": 1,
    "weights": 2, "planning": 2, "video": 2,
    "backends": 3, "sketches": 3, "synthetic": 3, "conditioning": 3,
    "orchestration": 4, "evaluation": 4, "reporting": 4,
    "pipeline": 5, "training": 5,
    "keyframes": 6, "jobs": 6,
    "demo": 7,
    "ui": 8,
    "cli": 9,
}
MODEL_LIBRARIES = {"torch", "einops", "open_clip", "safetensors", "numpy"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, path.relative_to(PACKAGE)


def _imports(path: Path) -> set[str]:
    """Top-level names imported (third-party) and package-internal first components (as 'tooncrafter_batch.x')."""
    tree = ast.parse(path.read_text())
    relative_base = path.relative_to(PACKAGE).parts[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names.add(node.module or "")
            else:
                base = list(relative_base[: len(relative_base) - (node.level - 1)])
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # "from . import x" at the package root
                    target = [alias.name for alias in node.names][:1]
                names.add("tooncrafter_batch." + ".".join(target))
    return names


def _owner(relative: Path) -> str:
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _third_party(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def _internal(names: set[str]) -> set[str]:
    return {name.split(".")[1] for name in names if name.startswith("tooncrafter_batch.") and len(name.split(".")) > 1}


@pytest.mark.parametrize("path, relative", list(_modules()), ids=lambda value: str(value) if isinstance(value, Path) else None)
def test_import_rules(path, relative):
    names = _imports(path)
    top = _third_party(names)
    owner = _owner(relative)
    if "ray" in top:
        assert owner == "orchestration", "only orchestration/ imports ray"
    if "typer" in top:
        assert owner == "cli", "only cli/ imports typer"
    if "gradio" in top:
        assert owner in {"ui", "cli"}, "only ui/ and cli/ import gradio"
    if "rich" in top:
        assert owner in {"cli", "progress"}, "only progress.py and cli/ import rich"
    if owner == "models":
        allowed = MODEL_LIBRARIES | {"tooncrafter_batch"} | set(sys.stdlib_module_names)
        assert top <= allowed, f"models/ imports only torch, einops, open_clip, safetensors: {top - allowed}"
    if owner == "planning":
        assert not top & {"torch", "av", "ray", "typer", "rich"}, "planning/ is pure functions of frames and settings"
    upward = {name for name in _internal(names) if name != owner and FLOORS[name] >= FLOORS[owner]}
    assert not upward, f"{relative} imports from its own floor or above: {sorted(upward)}"


def test_every_module_has_a_floor():
    owners = {_owner(relative) for _, relative in _modules()} - {"__init__"}
    assert owners == set(FLOORS), f"add to FLOORS: {sorted(owners - set(FLOORS))}; remove: {sorted(set(FLOORS) - owners)}"
