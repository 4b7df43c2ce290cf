"""Text normalisation and row keys shared by the uniqueness checks (vectorised with pyarrow)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS
from traingate.data.arrays import arrow_of, scalar, strings
from traingate.data.batch import BatchContext, TextView

FIELD_SEP, TURN_SEP = " \x1f ", " \x1e "  # spaced, so shingles never glue two fields together
# A run of punctuation, symbols and (RE2's ASCII) whitespace other than a lone space.
PUNCTUATION_OR_SPACE = r"[\p{P}\p{S}\t\n\f\r][\p{P}\p{S}\s]*| [\p{P}\p{S}\s]+"


def normalize(values: pa.Array, steps: Sequence[str]) -> pa.Array:
    """Apply the declared steps in a fixed order: unicode (NFKC), case, punctuation, whitespace."""
    out = filled(values)
    if "unicode" in steps:
        out = nfkc(out)
    if "case" in steps:
        out = pc.utf8_lower(out)
    if "punctuation" in steps and "whitespace" in steps:
        # Both at once: every run of punctuation, symbols and whitespace becomes one space, as the two
        # passes below one after the other; a single space, the common case, is not rewritten.
        return pc.utf8_trim_whitespace(pc.replace_substring_regex(out, PUNCTUATION_OR_SPACE, " "))
    if "punctuation" in steps:
        out = pc.replace_substring_regex(out, r"[\p{P}\p{S}]+", " ")
    if "whitespace" in steps:
        # Same result as \s+ -> " ", but single spaces, the common case, are not rewritten.
        out = pc.utf8_trim_whitespace(pc.replace_substring_regex(out, r"\s\s+|[^\S ]", " "))
    return out


def filled(values: pa.Array) -> pa.Array:
    """Nulls as empty strings (through an Arrow scalar: a Python "" would load pandas in pyarrow)."""
    return values.fill_null(scalar("", values.type)) if values.null_count else values


def nfkc(values: pa.Array) -> pa.Array:
    """NFKC of each value; ASCII text, which NFKC leaves as it is, is not rewritten (most rows of most sets)."""
    ascii_ = pc.string_is_ascii(values)
    plain = pc.or_kleene(ascii_, pc.is_null(ascii_)) if ascii_.null_count else ascii_  # a null is left as it is
    if pc.all(plain).as_py():
        return values
    other = pc.invert(plain)
    return pc.replace_with_mask(values, other, pc.utf8_normalize(pc.filter(values, other), "NFKC"))


def per_row_text(view: TextView, num_rows: int, steps: Sequence[str]) -> pa.Array:
    """One normalised string per row; the turns of a message list are joined with their roles."""
    values = normalize(view.values, steps)
    if view.rows is None:
        return values
    if view.roles is not None:
        values = pc.binary_join_element_wise(filled(view.roles.cast(values.type)), values, scalar(":", values.type))
    offsets = np.searchsorted(view.rows, np.arange(num_rows + 1), side="left").astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(arrow_of(offsets), values), scalar(TURN_SEP, values.type))


def row_texts(batch: BatchContext, fields: Sequence[str], steps: Sequence[str]) -> pa.Array:
    """The normalised fields of each row joined into one string; a missing field counts as empty."""
    parts = [batch.memo(("normalized", name, *steps), partial(_field_text, batch, name, steps)) for name in fields]
    return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, scalar(FIELD_SEP, parts[0].type))


def _field_text(batch: BatchContext, name: str, steps: Sequence[str]) -> pa.Array:
    view = batch.text(name)
    return per_row_text(view, batch.num_rows, steps) if view is not None else strings([""] * batch.num_rows).cast(pa.string())


def hash_texts(values: pa.Array) -> np.ndarray:
    """xxh64 of each value's UTF-8 bytes (a null hashes as the empty text), read from Arrow's buffers."""
    if not len(values):
        return np.zeros(0, np.uint64)
    values = filled(values)
    wide = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    offsets = np.frombuffer(values.buffers()[1], np.int64 if wide else np.int32)[values.offset: values.offset + len(values) + 1]
    data = values.buffers()[2]
    view, digest = memoryview(data if data is not None else b""), xxhash.xxh64_intdigest
    bounds = offsets.tolist()
    return np.fromiter((digest(view[a:b]) for a, b in zip(bounds, bounds[1:])), np.uint64, len(values))


def row_keys(batch: BatchContext, fields: Sequence[str], steps: Sequence[str]) -> np.ndarray:
    """xxh64 of each row's normalised, joined fields."""
    return hash_texts(row_texts(batch, fields, steps))


def content_fields(kind: str, mapped: Mapping[str, str], on: Sequence[str] | None) -> list[str]:
    """The fields uniqueness checks compare by default: the kind's text fields without `system`."""
    if on:
        return list(on)
    required = KIND_FIELDS[kind][0]
    return [f for f in TEXT_FIELDS[kind] if f != "system" and (f in required or f in mapped)]
