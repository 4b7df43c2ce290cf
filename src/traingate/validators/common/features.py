"""Features derived from rows, computed once per batch and shared by every check that names them
(and by `coverage` checks as `feature:`): language, output_format, length_bucket, turns, the source
file and split, programming_language, typo_rate, topic and task_type (zero-shot, validators/common/topics.py),
any column. What a row's text says (its language, its code's language, its typo rate) is read in
common/text_features.py."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.data.batch import BatchContext, TextView
from traingate.validators.common.text_features import language_labels, programming_languages, typo_bands
from traingate.validators.common.turns import per_row_chars, responses

ZERO_SHOT = ("topic", "task_type")  # labelled zero-shot from embeddings (topics.py), unless the data has the column
FEATURES = ("language", "output_format", "length_bucket", "turns", "file", "split", "programming_language", "typo_rate",
            *ZERO_SHOT)


def output_format(batch: BatchContext) -> list[str]:
    """json, invalid_json (looks like JSON, does not parse), code, html, markdown or plain, per response."""

    def compute(b: BatchContext) -> list[str]:
        view = responses(b)
        out = ["plain"] * b.num_rows
        if view is not None:
            for row, value in zip(view.row_of().tolist(), view.values.to_pylist()):
                out[row] = _format_of(value or "")
        return out

    result: list[str] = batch.derived("output_format", compute)
    return result


def _format_of(text: str) -> str:
    body = text.strip()
    if body[:1] in "{[":
        try:
            json.loads(body)
        except ValueError:
            return "invalid_json"
        return "json"
    if "```" in body:
        return "code"
    if re.search(r"<(?:html|body|div|p|table|ul|span)\b", body, re.I):
        return "html"
    if re.search(r"(?m)^(?:#{1,6} |[-*] |\d+\. |\|.+\|)", body):
        return "markdown"
    return "plain"


def length_bucket(batch: BatchContext, bounds: Sequence[int]) -> list[str]:
    """short / medium / long by the characters of a row's text fields, split at `bounds` (two numbers)."""
    chars = sum(per_row_chars(batch, v) for v in batch.views())
    names = np.array(["short", "medium", "long"])
    return list(names[np.searchsorted(np.asarray(bounds), np.asarray(chars), side="right")])


def turns(batch: BatchContext) -> list[str]:
    view: TextView | None = batch.text("messages") if batch.spec.kind == "chat" else None
    counts = np.bincount(view.row_of(), minlength=batch.num_rows) if view is not None else np.ones(batch.num_rows, int)
    return [str(c) for c in counts.tolist()]


def feature_values(batch: BatchContext, name: str, bounds: Sequence[int] = (200, 1000), ask: Any = None) -> list[str]:
    """A named feature, or else the column of that name, as one string per row ('' when missing). `ask`:
    topic and task_type's labels, model and floor (a topics.ZeroShot; None: the defaults); data holding a
    column of that name is counted by its column, as before these features existed, unless `ask` names
    labels, a model or a floor (topics.classifies)."""
    if name in ZERO_SHOT:
        from traingate.validators.common.topics import ZeroShot, classifies, zero_shot

        ask = ask or ZeroShot(name)
        if classifies(batch, ask):
            return zero_shot(batch, ask)
    if name == "language":
        return language_labels(batch)
    if name == "output_format":
        return output_format(batch)
    if name == "length_bucket":
        return length_bucket(batch, bounds)
    if name == "turns":
        return turns(batch)
    if name == "programming_language":
        return batch.derived(name, programming_languages)  # type: ignore[no-any-return]
    if name == "typo_rate":
        return batch.derived(name, typo_bands)  # type: ignore[no-any-return]
    if name in ("file", "split"):  # where rows come from: the source mix
        return [os.path.basename(batch.file) if name == "file" else batch.split] * batch.num_rows
    column = batch.column(name)
    if column is None:
        return [""] * batch.num_rows
    if pa.types.is_nested(column.type):
        return ["" if v is None else json.dumps(v, sort_keys=True, default=str) for v in column.to_pylist()]
    return ["" if v is None else str(v) for v in pc.cast(column, pa.string()).to_pylist()]
