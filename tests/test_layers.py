"""The import graph of src/traingate, built with `ast`: imports only run down the layers, and no two
packages import each other. Every import counts, at module level, inside functions and under
TYPE_CHECKING: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
# Bottom first. A module may import its own layer's modules and any layer below, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "version", "lazy", "empty"),
    ("results",),
    ("contracts",),
    ("data",),
    ("validators.common",),
    ("validators.format", "validators.quantity", "validators.uniqueness", "validators.compliance",
     "validators.alignment", "validators.relevance", "validators.coverage", "validators.consistency",
     "validators.expectations", "validators"),
    ("engine",),
    ("reports",),
    ("release", "interop", "profiling", "api", "docs"),
    ("cli", "__main__", "__init__"),
]


def unit(module: str) -> str:
    """The layer entry a dotted module (without `traingate.`) belongs to: the longest prefix listed."""
    names = [n for layer in LAYERS for n in layer]
    found = [n for n in names if module == n or module.startswith(n + ".")]
    return max(found, key=len) if found else module


def level(module: str) -> int:
    name = unit(module)
    return next(i for i, layer in enumerate(LAYERS) if name in layer)


def edges() -> list[tuple[str, str, str]]:
    """(importing module, imported module, where) for every import of traingate inside src/traingate."""
    found = []
    for path in (SRC / "traingate").rglob("*.py"):
        module = ".".join(path.relative_to(SRC / "traingate").with_suffix("").parts).removesuffix(".__init__")
        module = module or "__init__"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "traingate":
                base = node.module.removeprefix("traingate").lstrip(".")
                targets = [f"{base}.{a.name}".lstrip(".") if base in ("", "validators", "data", "engine", "contracts",
                                                                      "results", "reports", "release", "cli")
                           and _is_module(f"{base}.{a.name}".lstrip(".")) else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name.removeprefix("traingate.") for a in node.names if a.name.startswith("traingate.")]
            found += [(module, t or "__init__", f"{path.relative_to(SRC)}:{node.lineno}") for t in targets]
    return found


def _is_module(dotted: str) -> bool:
    base = SRC / "traingate" / dotted.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def test_imports_only_run_down_the_layers() -> None:
    upward = [f"{where}: {src} imports {dst}" for src, dst, where in edges()
              if unit(src) != unit(dst) and level(dst) > level(src)]
    assert upward == []


def test_no_two_packages_import_each_other() -> None:
    pairs = {(unit(s), unit(d)) for s, d, _ in edges() if unit(s) != unit(d)}
    assert sorted(f"{a} <-> {b}" for a, b in pairs if (b, a) in pairs and a < b) == []


def test_every_module_has_a_layer() -> None:
    modules = {s for s, _, _ in edges()} | {d for _, d, _ in edges()}
    names = {n for layer in LAYERS for n in layer}
    assert sorted(m for m in modules if unit(m) not in names) == []
