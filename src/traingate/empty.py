"""Factories of empty containers for pydantic fields (`Field(default_factory=empty.dict_)`).

pydantic reads the signature of every default factory when it builds a model. For a builtin such as `dict`
or `list` that means parsing its text signature with the tokenizer, which costs about 8 ms the first time in
a process (the tokenizer's patterns are compiled then) and is paid by every command, `lint` included; a
Python function's signature is read from its code object in microseconds."""

from __future__ import annotations

from typing import Any


def dict_() -> dict[Any, Any]:
    return {}


def list_() -> list[Any]:
    return []


def set_() -> set[Any]:
    return set()
