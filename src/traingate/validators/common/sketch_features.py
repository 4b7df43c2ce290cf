"""The values a feature sketch folds, per batch: characters or tokens per text field (chars.<field>,
tokens.<field>), turns per conversation, a numeric column as numbers; any other feature (language,
output_format, topic, a text column, ...) as one label per row, through `feature_values`."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from traingate.data.arrays import bools, numbers
from traingate.data.batch import BatchContext, TextView
from traingate.validators.common.features import FEATURES, ZERO_SHOT, feature_values
from traingate.validators.common.sketches import AnySketch, CategoricalSketch, NumericSketch

UNITS = ("chars", "tokens")


def is_length(name: str) -> bool:
    return name == "turns" or (name.partition(".")[0] in UNITS and bool(name.partition(".")[2]))


def length_values(batch: BatchContext, view: TextView, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """A field's characters or tokens per row, and which rows hold the field (a chat's turns summed)."""
    valid = bools(view.values.is_valid()) if view.rows is None else np.ones(batch.num_rows, bool)
    return batch.per_row(view, batch.counts(view, unit)), valid


def turn_counts(batch: BatchContext) -> tuple[np.ndarray, np.ndarray] | None:
    """Turns per conversation and which rows hold one (a chat kind's messages), else None."""
    messages = batch.field("messages") if batch.spec.kind == "chat" else None
    if messages is None or not hasattr(messages.type, "value_type"):
        return None
    import pyarrow.compute as pc

    return numbers(pc.list_value_length(messages), fill=0).astype(np.int64), bools(messages.is_valid())


def numeric_values(batch: BatchContext, name: str) -> np.ndarray | None:
    """The numbers of a numeric feature in this batch (rows without one left out); None for a label feature."""
    if name == "turns":
        turns = turn_counts(batch)
        return np.empty(0) if turns is None else turns[0][turns[1]]
    if is_length(name):
        unit, _, field = name.partition(".")
        view = batch.text(field)
        if view is None:
            return np.empty(0)
        values, valid = length_values(batch, view, unit)
        kept: np.ndarray = values[valid]
        return kept
    column = batch.column(name)
    if column is not None and (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        present = bools(column.is_valid())
        out: np.ndarray = numbers(column, fill=0).astype(np.float64)[present]
        return out
    return None


def observe(sketches: dict[str, AnySketch], batch: BatchContext, names: list[str]) -> dict[str, AnySketch]:
    """Fold a batch into the sketches of `names`; a feature that is numbers in one batch and labels in
    another is an error (ValueError)."""
    for name in names:
        column = None if is_length(name) else batch.column(name)
        if name in ZERO_SHOT and _no_value(sketches, name, column):
            continue
        if (column is not None and pa.types.is_null(column.type)) or (
                column is None and not is_length(name) and name not in FEATURES):
            continue  # no value in this batch (a null column, or a file without it): neither numbers nor labels
        values = numeric_values(batch, name)
        sketch = sketches.get(name)
        if values is not None:
            sketch = sketches.setdefault(name, NumericSketch()) if sketch is None else sketch
            if not isinstance(sketch, NumericSketch):
                raise ValueError(f"feature {name!r} holds numbers in some rows and text in others")
            sketch.add(values)
        else:
            sketch = sketches.setdefault(name, CategoricalSketch()) if sketch is None else sketch
            if not isinstance(sketch, CategoricalSketch):
                raise ValueError(f"feature {name!r} holds numbers in some rows and text in others")
            sketch.add(feature_values(batch, name))
    return sketches


def _no_value(sketches: dict[str, AnySketch], name: str, column: pa.Array | None) -> bool:
    """topic, task_type: a file holding the column makes it the feature (labels given zero-shot before go);
    then a file without it has no value of it. Whether to skip this batch."""
    sketch = sketches.get(name)
    if column is None:
        return isinstance(sketch, CategoricalSketch) and sketch.column_seen
    numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    if isinstance(sketch, CategoricalSketch) or (sketch is None and not numeric):
        sketches[name] = (sketch or CategoricalSketch()).to_column()
    return False
