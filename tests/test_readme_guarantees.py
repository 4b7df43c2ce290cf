"""The guarantees (docs/guarantees.md, linked from the README) name the tests that hold each promise; this
keeps every name true, so a promise cannot outlive the test behind it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMED = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def guarantees() -> list[str]:
    """The promises of docs/guarantees.md, one text per bullet."""
    text = (ROOT / "docs" / "guarantees.md").read_text(encoding="utf-8")
    return ["- " + item for item in re.split(r"\n- ", text)[1:]]



def defined_tests(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_guarantee_names_a_test() -> None:
    promises = guarantees()
    assert len(promises) >= 8
    assert [p.splitlines()[0][:40] for p in promises if not NAMED.search(p)] == []


def test_every_test_the_guarantees_name_exists() -> None:
    named = [m.groups() for promise in guarantees() for m in NAMED.finditer(promise)]
    assert len(named) >= 30
    missing = [f"{path}::{name}" for path, name in named if not (ROOT / path).is_file() or name not in defined_tests(path)]
    assert missing == []


def test_the_readme_links_the_guarantees() -> None:
    assert "(docs/guarantees.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
