"""The prompt side and the response side of a row, for every kind: sft and reward have fields for
them, preference answers with `chosen`, chat with its assistant turns after user turns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.contracts.model import DatasetSpec
from traingate.data.batch import BatchContext, TextView


def _by_role(batch: BatchContext, canonical: str) -> TextView | None:
    view = batch.text("messages")
    if view is None or view.roles is None or view.rows is None:
        return view
    raws = [raw for raw, role in batch.spec.raw_roles().items() if role == canonical]
    keep = np.asarray(pc.is_in(view.roles.cast(pa.string()), value_set=pa.array(raws, pa.string())).fill_null(False),
                      dtype=bool)
    turns = np.arange(len(view.rows)) - np.searchsorted(view.rows, view.rows)
    return TextView(view.field, view.values.filter(pa.array(keep)), view.rows[keep], view.roles.filter(pa.array(keep)),
                    turns[keep])


RESPONSE_FIELDS = {"sft": "response", "reward": "response", "preference": "chosen", "chat": "messages", "pretraining": "text"}


def responses(batch: BatchContext) -> TextView | None:
    kind = batch.spec.kind
    if kind == "chat":
        return _by_role(batch, "assistant")
    return batch.text(RESPONSE_FIELDS[kind])


def prompt_fields(spec: DatasetSpec) -> list[str]:
    """The field `prompts` reads: a chat's messages; preference's optional prompt only when mapped."""
    if spec.kind == "chat":
        return ["messages"]
    return ["prompt"] if spec.kind in ("sft", "reward") or "prompt" in spec.fields else []


def prompts(batch: BatchContext) -> TextView | None:
    kind = batch.spec.kind
    if kind == "chat":
        return _by_role(batch, "user")
    return batch.text("prompt") if kind != "pretraining" else None


def per_row_chars(batch: BatchContext, view: TextView | None) -> np.ndarray:
    """Characters per row of a view (0 for rows it lacks)."""
    if view is None:
        return np.zeros(batch.num_rows, dtype=np.int64)
    lengths = np.asarray(pc.utf8_length(view.values).fill_null(0), dtype=np.int64)
    return np.bincount(view.row_of(), weights=lengths, minlength=batch.num_rows).astype(np.int64)
