"""The tables of the reference pages: an option's or a field's type in the contract's own words, a default
as the YAML a contract would hold, a table cell's escaping, and the tables of a model's fields (options with
their defaults, or a result's fields), each followed by a table per model nested in it."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

LONG_DEFAULT = 40  # characters: a longer default is shown below the table, as YAML


def show_type(annotation: Any) -> str:
    """An option's type in the contract's own words: text, number, list of text, `a` / `b`, ..."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return show_type(args[0])
    if annotation is type(None):
        return "null"
    if annotation is Any or annotation is object:
        return "any"
    if origin is Literal:
        return " / ".join(f"`{a}`" for a in args)
    if origin in (Union, types.UnionType):
        shown = [show_type(a) for a in args]  # "map of text to number, or null": the comma ends the map
        return (", or " if any(" " in s for s in shown[:-1]) else " or ").join(shown)
    if origin is list or (origin is tuple and len(args) == 2 and args[1] is Ellipsis):
        return f"list of {show_type(args[0])}"
    if origin is tuple:
        return "[" + ", ".join(show_type(a) for a in args) + "]"
    if origin is dict:
        return f"map of {show_type(args[0])} to {show_type(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"`{annotation.__name__}`"
    names = {str: "text", int: "integer", float: "number", bool: "boolean"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (a nested option's own fields get their own table)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in models_in(arg)]


def plain(value: Any) -> Any:
    """A default as the YAML a contract would hold."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def as_yaml(value: Any) -> str:
    return yaml.safe_dump(plain(value), default_flow_style=True, allow_unicode=True, width=10_000).strip() \
        .removesuffix("...").strip()


def cell(text: str) -> str:
    """Text for a table cell on one line: pipes escaped, and outside `code` the characters markdown would
    read as emphasis or HTML (`*.example`, `<s>`)."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("*", "\\*").replace("<", "&lt;")
    return "`".join(parts)


def default_of(info: FieldInfo) -> tuple[str, Any]:
    """(what the table shows, the value when it is too long for the table, else None)."""
    if info.is_required():
        return "required", None
    value = info.get_default(call_default_factory=True)
    shown = as_yaml(value)
    if len(shown) > LONG_DEFAULT or "`" in shown or "|" in shown:
        return "below", value
    return f"`{shown}`", None


Nested = list[tuple[type[BaseModel], str]]  # a model nested in an option or field, and that field's name


def options_table(model: type[BaseModel], skip: Iterable[str] = ()) -> tuple[list[str], Nested]:
    """The rows of a model's fields (name, type, default, description) and the models nested in them."""
    rows = ["| option | type | default | description |", "|---|---|---|---|"]
    long_defaults: list[str] = []
    nested: Nested = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        shown, value = default_of(info)
        if shown == "below":
            shown = "see below"
            long_defaults += [f"Default of `{name}`:", "", "```yaml",
                              yaml.safe_dump({name: plain(value)}, default_flow_style=None, allow_unicode=True,
                                             width=110, sort_keys=False).rstrip(),
                              "```", ""]
        rows.append(f"| `{name}` | {cell(show_type(info.annotation))} | {shown} | {cell(info.description or '')} |")
        nested += [(m, name) for m in models_in(info.annotation)]
    if len(rows) == 2:
        return ["This check takes only the options every check takes."], nested
    return rows + ([""] + long_defaults[:-1] if long_defaults else []), nested


def fields_table(model: type[BaseModel]) -> tuple[list[str], Nested]:
    """The rows of a result model's fields (name, type, description) and the models nested in them."""
    rows = ["| field | type | description |", "|---|---|---|"]
    nested: Nested = []
    for name, info in model.model_fields.items():
        rows.append(f"| `{name}` | {cell(show_type(info.annotation))} | {cell(info.description or '')} |")
        nested += [(m, name) for m in models_in(info.annotation)]
    return rows, nested


def with_nested(table: Callable[[type[BaseModel]], tuple[list[str], Nested]], first: list[str], nested: Nested,
                seen: set[type[BaseModel]]) -> list[str]:
    """`first`, then a table per model nested in it (breadth first, each model once)."""
    lines = list(first)
    queue = list(nested)
    while queue:
        inner, holder = queue.pop(0)
        if inner in seen:
            continue
        seen.add(inner)
        rows, more = table(inner)
        doc = " ".join(inner.__doc__.split()) if inner.__doc__ and inner.__doc__ != BaseModel.__doc__ else ""
        lines += ["", f"`{inner.__name__}` (in `{holder}`)" + (f": {doc}" if doc else ":"), "", *rows]
        queue += more
    return lines
