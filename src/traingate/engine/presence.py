"""Checks see the fields they name. Each check declares the fields it reads (Validator.reads, reads_columns);
the fold records which of them any row of the run holds (a mergeable record, folded like the other state
across chunks, shards and workers); at the end a check whose field is in no row errs, naming the field, the
columns the data does hold and the closest spelling. A field that may be absent says so in the contract
(`dataset.optional_fields`). Absent means in no row: a column that is null in some rows is present."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from traingate.contracts.model import KIND_FIELDS, DatasetSpec
from traingate.data.batch import CONTENT_KEYS, BatchContext

if TYPE_CHECKING:
    from traingate.data.sources import SourceFile
    from traingate.validators.common.base import Validator

LOOKED_FILES = 16  # files whose first chunk is read again to name the columns, when a field is absent


@dataclass(frozen=True)
class Need:
    """A column path a check reads, or (with `keys`) a key the items of that column must hold: the content
    or role key of its turns. `name` is how the contract names it (a logical field or a column)."""

    path: str
    keys: tuple[str, ...] = ()
    name: str = field(default="", compare=False)
    key_of: str = field(default="", compare=False)  # the logical field naming the key: content or role

    def describe(self) -> str:
        if self.keys:
            return f"key {' or '.join(repr(k) for k in self.keys)} in the items of field {self.name!r}"
        return f"field {self.name!r}" + (f" (column {self.path!r})" if self.path != self.name else "")


def text_needs(name: str, spec: DatasetSpec) -> list[Need]:
    """A field read as text: its column, the content key its items hold when they are records (turns), and
    the role key for the messages of a chat, or wherever the contract maps `role`."""
    path = spec.column(name)
    content = spec.fields.get("content")
    needs = [Need(path, (), name), Need(path, (content,) if content else CONTENT_KEYS, name, "content")]
    if "role" in spec.fields or (spec.kind == "chat" and name == "messages"):
        needs.append(Need(path, (spec.fields.get("role", "role"),), name, "role"))
    return needs


def validator_needs(validator: Validator[Any, Any]) -> list[Need]:
    spec = validator.spec
    needs = [n for name in validator.reads() for n in text_needs(name, spec)]
    return needs + [Need(path, (), path) for path in validator.reads_columns()]


def all_needs(validators: Iterable[Validator[Any, Any]]) -> frozenset[Need]:
    return frozenset(n for v in validators for n in validator_needs(v))


def needed_columns(validators: Iterable[Validator[Any, Any]]) -> set[str]:
    """Top-level columns of the fields checks read: the run's projection must keep them."""
    return {n.path.split(".")[0] for n in all_needs(validators)}


@dataclass
class Presence:
    """The needs some row held (`found`) and the needs some chunk could judge (`judged`: a chunk with rows;
    for keys, one whose items are records or text, not all null)."""

    found: set[Need] = field(default_factory=set)
    judged: set[Need] = field(default_factory=set)

    def observe(self, batch: BatchContext, needs: frozenset[Need]) -> None:
        if not batch.num_rows:
            return
        for need in needs - self.found:
            held = batch.holds(need.path, need.keys)
            if held is not None:
                self.judged.add(need)
                if held:
                    self.found.add(need)

    def merge(self, other: Presence) -> Presence:
        return Presence(self.found | other.found, self.judged | other.judged)

    def absent(self, needs: list[Need], optional: Iterable[str]) -> list[Need]:
        allowed = set(optional)
        absent = [n for n in needs if n in self.judged and n not in self.found and not {n.name, n.path} & allowed]
        return list(dict.fromkeys(absent))


def judge(validators: list[Validator[Any, Any]], errors: list[str | None], presence: Presence,
          files: list[SourceFile]) -> None:
    """Set the error of each check that reads a field no row holds; the data is read again (the first chunk
    of some files) only then, to name the columns it does hold."""
    shape: Shape | None = None
    for i, validator in enumerate(validators):
        absent = presence.absent(validator_needs(validator), validator.spec.optional_fields)
        if absent:  # the cause of any other error the check met
            shape = shape or Shape.of(files)
            errors[i] = absent_message(validator, absent[0], shape)


def absent_message(validator: Validator[Any, Any], need: Need, shape: Shape) -> str:
    if need.keys:
        held = shape.keys.get(need.path, set())
        guess = _closest(need.keys[0], held)
        where = f"; its items hold keys: {', '.join(sorted(held)) or 'none'} (dataset.fields.{need.key_of} names the key)"
    else:
        logical = {*KIND_FIELDS[validator.spec.kind][0], *KIND_FIELDS[validator.spec.kind][1]}
        guess = _closest(need.path, shape.paths) or _closest(need.name, (shape.paths | logical) - {need.name, need.path})
        where = "; the data has columns: " + (", ".join(sorted(shape.columns)) or "none")
    hint = f"; did you mean {guess!r}?" if guess else ""
    return (f"field_absent: check {validator.check_id} reads {need.describe()}, which no row of the data holds"
            f"{where}{hint} (list it in dataset.optional_fields if it may be absent)")


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


@dataclass
class Shape:
    """Column names of the data, read from the first chunk of the first files without a projection:
    top-level columns, nested paths (dots) and the keys held by the items of each column."""

    columns: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    keys: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, files: list[SourceFile]) -> Shape:
        from traingate.data.readers import open_raw, read_source

        shape = cls()
        for source in files[:LOOKED_FILES]:
            try:
                with open_raw(source) as raw:
                    for chunk in islice(read_source(source, None, raw), 1):
                        shape.add(chunk.table.schema)
            except Exception:  # naming the columns is a courtesy: the error stands without it
                continue
        return shape

    def add(self, schema: pa.Schema) -> None:
        for column in schema:
            self.columns.add(column.name)
            self._walk(column.name, column.type)

    def _walk(self, path: str, kind: pa.DataType) -> None:
        self.paths.add(path)
        while pa.types.is_list(kind) or pa.types.is_large_list(kind):
            kind = kind.value_type
            if pa.types.is_struct(kind):
                self.keys.setdefault(path, set()).update(kind.field(i).name for i in range(kind.num_fields))
                return
        if pa.types.is_struct(kind):
            self.keys.setdefault(path, set()).update(kind.field(i).name for i in range(kind.num_fields))
            for i in range(kind.num_fields):
                self._walk(f"{path}.{kind.field(i).name}", kind.field(i).type)
