"""Eval sets as n-gram indexes, built once per process (never stored in a check's state)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.engine.readers import open_raw, read_source
from traingate.engine.sources import resolve
from traingate.errors import SourceError
from traingate.validators.normalize import normalize
from traingate.validators.shingles import shingle_sets


@dataclass(frozen=True)
class EvalIndex:
    name: str
    hashes: np.ndarray     # sorted n-gram hashes
    items: np.ndarray      # item index of each hash
    sizes: np.ndarray      # distinct n-grams per item
    lines: np.ndarray      # line (or item/row number) of each item in its file
    excerpts: tuple[str, ...]


def _column(table: pa.Table, path: str) -> pa.Array | None:
    head, *rest = path.split(".")
    if head not in table.column_names:
        return None
    array = table.column(head).combine_chunks()
    for part in rest:
        array = pc.struct_field(array, part)
    return array.cast(pa.string())


@lru_cache(maxsize=16)
def load_index(path: str, field: str, answer: str | None, ngram: int, steps: tuple[str, ...], name: str) -> EvalIndex:
    texts: list[pa.Array] = []
    lines: list[np.ndarray] = []
    for source in resolve([path], None, None):
        with open_raw(source) as raw:
            for chunk in read_source(source, None, raw):
                question = _column(chunk.table, field)
                if question is None:
                    raise SourceError(f"{path}: eval set has no column {field!r}; columns: {chunk.table.column_names}")
                if answer is not None:
                    extra = _column(chunk.table, answer)
                    if extra is None:
                        raise SourceError(f"{path}: eval set has no column {answer!r}")
                    question = pc.binary_join_element_wise(question.fill_null(""), extra.fill_null(""), " ")
                texts.append(question)
                lines.append(chunk.lines)
    raw_text = pa.concat_arrays(texts) if texts else pa.array([], pa.string())
    hashes, offsets = shingle_sets(normalize(raw_text, steps), "word", ngram)
    item_of = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    order = np.lexsort((hashes, item_of))
    hashes, item_of = hashes[order], item_of[order]
    distinct = np.concatenate(([True], (hashes[1:] != hashes[:-1]) | (item_of[1:] != item_of[:-1])))
    hashes, item_of = hashes[distinct], item_of[distinct]
    sizes = np.bincount(item_of, minlength=len(offsets) - 1)
    by_hash = np.argsort(hashes, kind="stable")
    excerpts = tuple((t or "")[:300] for t in raw_text.to_pylist())
    return EvalIndex(name, hashes[by_hash], item_of[by_hash], sizes, np.concatenate(lines) if lines else np.zeros(0),
                     excerpts)


def overlaps(index: EvalIndex, hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, item, share) for every row and eval item sharing n-grams; share = found / item's n-grams."""
    rows = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    if not len(hashes) or not len(index.hashes):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    left = np.searchsorted(index.hashes, hashes, side="left")
    right = np.searchsorted(index.hashes, hashes, side="right")
    counts = right - left
    hit = counts > 0
    rows, hashes, left, counts = rows[hit], hashes[hit], left[hit], counts[hit]
    starts = np.cumsum(counts) - counts
    positions = np.repeat(left, counts) + (np.arange(counts.sum()) - np.repeat(starts, counts))
    pair_rows, pair_items = np.repeat(rows, counts), index.items[positions]
    pair_hashes = np.repeat(hashes, counts)
    triples = np.unique(np.stack([pair_rows, pair_items, pair_hashes.view(np.int64)], axis=1), axis=0)
    keys, found = np.unique(triples[:, :2], axis=0, return_counts=True)
    return keys[:, 0], keys[:, 1], found / index.sizes[keys[:, 1]]
