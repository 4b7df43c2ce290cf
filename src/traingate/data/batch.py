"""BatchContext: one chunk of rows plus the derived columns every check shares (computed once)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS, DatasetSpec
from traingate.data.arrays import numbers
from traingate.data.tokenizers import Tokenizer, char_counts

CONTENT_KEYS = ("content", "value", "text")  # keys of a turn read as its text, when the contract maps none


@dataclass(frozen=True)
class TextView:
    """The text of one logical field: one value per row, or per turn with `rows` mapping to the row."""

    field: str
    values: pa.Array  # string
    rows: np.ndarray | None  # row index of each value when a row holds several (turns)
    roles: pa.Array | None = None  # raw role per value, for message lists
    turns: np.ndarray | None = None  # each value's index in its row's list, when the view keeps some turns only

    def row_of(self) -> np.ndarray:
        return self.rows if self.rows is not None else np.arange(len(self.values))

    def turn(self, index: int) -> int | None:
        """The index in its row's list of the value at `index` (None when a row holds one value)."""
        if self.rows is None:
            return None
        if self.turns is not None:
            return int(self.turns[index])
        return index - int(np.searchsorted(self.rows, self.rows[index]))


class BatchContext:
    def __init__(self, table: pa.Table, spec: DatasetSpec, tokenizer: Tokenizer, *, file: str, file_index: int,
                 lines: np.ndarray, unit: str, split: str, row_offset: int,
                 text_patterns: Mapping[str | None, tuple[str, ...]] | None = None):
        self.table = table.combine_chunks() if table.num_columns else table
        self.spec = spec
        self.tokenizer = tokenizer
        self.file, self.file_index, self.lines, self.unit = file, file_index, lines, unit
        self.split, self.row_offset = split, row_offset
        self.num_rows: int = table.num_rows
        self._views: dict[str, TextView | None] = {}
        self._counts: dict[tuple[str, str], np.ndarray] = {}
        self._derived: dict[str, Any] = {}
        self._derived_lock = threading.RLock()
        self._memo: dict[tuple[str, ...], Any] = {}
        # the regexes the contract's checks look for, per text field (None: every field), for one pass over
        # each field that finds every check's candidates (validators/common/textscan.py); None: each its own
        self.text_patterns = text_patterns

    def column(self, path: str) -> pa.Array | None:
        """The array at a dotted column path, or None when the batch lacks it."""
        head, *rest = path.split(".")
        if head not in self.table.column_names:
            return None
        array: pa.Array = self.table.column(head).chunk(0) if self.num_rows else pa.nulls(0)
        for part in rest:
            if not pa.types.is_struct(array.type) or array.type.get_field_index(part) < 0:
                return None
            array = pc.struct_field(array, part)
        return array

    def holds(self, path: str, keys: tuple[str, ...] = ()) -> bool | None:
        """Whether this batch has a column path (by its type; null values count as held). With `keys`: whether
        the column's items (records, or lists of them: turns) hold one of the keys; text items need none.
        None when the batch cannot tell: a null-typed parent or items, or (with keys) no such column."""
        head, *rest = path.split(".")
        if head not in self.table.column_names:
            return None if keys else False
        kind = self.table.schema.field(head).type
        for part in rest:
            if pa.types.is_null(kind):
                return None
            if not pa.types.is_struct(kind) or kind.get_field_index(part) < 0:
                return None if keys else False
            kind = kind.field(part).type
        if not keys:
            return True
        while pa.types.is_list(kind) or pa.types.is_large_list(kind):
            kind = kind.value_type
        if pa.types.is_null(kind):
            return None
        return any(kind.get_field_index(k) >= 0 for k in keys) if pa.types.is_struct(kind) else True

    def field(self, logical: str) -> pa.Array | None:
        return self.column(self.spec.column(logical))

    @cached_property
    def text_fields(self) -> list[str]:
        """The kind's text fields present in this batch (required ones always, even if missing)."""
        required = KIND_FIELDS[self.spec.kind][0]
        return [f for f in TEXT_FIELDS[self.spec.kind] if f in required or self.field(f) is not None]

    def text(self, logical: str) -> TextView | None:
        if logical not in self._views:
            array = self.field(logical)
            if array is None:
                array = pa.nulls(self.num_rows, pa.string()) if logical in KIND_FIELDS[self.spec.kind][0] else None
            self._views[logical] = None if array is None else self._to_text(logical, array)
        return self._views[logical]

    def _to_text(self, logical: str, array: pa.Array) -> TextView:
        role_key = self.spec.fields.get("role", "role")
        content_key = self.spec.fields.get("content")
        rows: np.ndarray | None = None
        roles: pa.Array | None = None
        if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
            rows = numbers(pc.list_parent_indices(array)).astype(np.int64, copy=False)
            array = pc.list_flatten(array)
        if pa.types.is_struct(array.type):
            names = [array.type.field(i).name for i in range(array.type.num_fields)]
            key = content_key if content_key in names else next((k for k in CONTENT_KEYS if k in names), None)
            roles = pc.struct_field(array, role_key) if role_key in names else None
            array = pc.struct_field(array, key) if key else pa.nulls(len(array), pa.string())
        if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
            array = array.cast(pa.string()) if not pa.types.is_nested(array.type) else pa.nulls(len(array), pa.string())
        return TextView(logical, array, rows, roles)

    def views(self, fields: list[str] | None = None) -> list[TextView]:
        names = fields if fields is not None else self.text_fields
        return [v for v in (self.text(f) for f in names) if v is not None]

    def counts(self, view: TextView, unit: str) -> np.ndarray:
        """Characters or tokens per value of a view, cached for every check of the batch."""
        key = (view.field, unit)
        if key not in self._counts:
            if unit == "chars":
                self._counts[key] = char_counts(view.values)  # utf8_length; ASCII from the offsets
            else:
                self._counts[key] = self.tokenizer.count(view.values)
        return self._counts[key]

    def per_row(self, view: TextView, values: np.ndarray) -> np.ndarray:
        """Sum a per-value array into one value per row."""
        if view.rows is None:
            return values
        summed: np.ndarray = np.bincount(view.rows, weights=values, minlength=self.num_rows).astype(values.dtype)
        return summed

    def derived(self, key: str, compute: Callable[[BatchContext], Any]) -> Any:
        """A feature of the batch (language, output format, ...), computed once for every check that
        asks; checks run on threads, so the first computes while the others wait."""
        with self._derived_lock:
            if key not in self._derived:
                self._derived[key] = compute(self)
            return self._derived[key]

    def memo(self, key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        """A cheap derived value (a field's normalised text) kept for the other checks of the batch. No
        lock: two checks asking at the same moment may both compute it, and one result is kept."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def row_ids(self, rows: np.ndarray) -> np.ndarray:
        """Stable identity of rows across any split of the data: file index and line."""
        ids: np.ndarray = (np.uint64(self.file_index) << np.uint64(40)) | self.lines[rows].astype(np.uint64)
        return ids
