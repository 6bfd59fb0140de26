"""The import rules of STYLE.md: one direction of data, one direction of imports."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tooncrafter_batch"

# Layers from top to bottom; a module may import only from its own layer's neighbours below it.
LOWER_LAYERS_FORBIDDEN = {
    "diffusion": {"cli", "pipeline", "jobs", "orchestration", "backends", "video", "scenes", "timing", "plan",
                  "progress", "evaluation", "synthetic", "model_store", "model_builder"},
    "backends": {"cli", "pipeline", "jobs", "orchestration", "video", "progress", "evaluation"},
    "video": {"cli", "pipeline", "jobs", "orchestration", "backends", "diffusion", "progress", "evaluation"},
    "orchestration": {"cli", "pipeline", "jobs", "video", "progress", "evaluation"},
    "scenes": {"cli", "pipeline", "jobs", "orchestration", "backends", "diffusion", "video"},
    "timing": {"cli", "pipeline", "jobs", "orchestration", "backends", "diffusion", "video"},
    "plan": {"cli", "pipeline", "jobs", "orchestration", "backends", "diffusion", "video"},
    "pipeline": {"cli", "jobs"},
    "jobs": {"cli"},
}


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
        assert str(relative) == "orchestration/ray_executor.py", "only orchestration/ray_executor.py imports ray"
    if "typer" in top:
        assert owner == "cli", "only cli/ imports typer"
    if "rich" in top:
        assert owner in {"cli", "progress"}, "only progress.py and cli/ import rich"
    if owner == "diffusion":
        allowed = {"torch", "einops", "open_clip", "safetensors", "numpy", "tooncrafter_batch"} | set(sys.stdlib_module_names)
        assert top <= allowed, f"diffusion/ imports only torch, einops, open_clip, safetensors: {top - allowed}"
        assert _internal(names) <= {"errors", "diffusion"}, "diffusion/ knows nothing of the rest of the package"
    forbidden = LOWER_LAYERS_FORBIDDEN.get(owner, set()) & _internal(names)
    assert not forbidden, f"{relative} imports upward: {sorted(forbidden)}"
