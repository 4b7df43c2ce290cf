"""Eval sets as n-gram indexes, built once per process (never stored in a check's state)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.engine.readers import open_raw, read_source
from traingate.engine.sources import resolve
from traingate.errors import SourceError
from traingate.validators.normalize import normalize
from traingate.validators.shingles import ngram_hashes, token_hashes


@dataclass(frozen=True)
class Lookup:
    """Sorted shingle hashes of eval items and the item each belongs to, for one shingle length."""

    length: int
    hashes: np.ndarray
    items: np.ndarray


@dataclass(frozen=True)
class EvalIndex:
    name: str
    lookups: tuple[Lookup, ...]  # n-grams of long items, then whole word sequences of short ones
    sizes: np.ndarray            # distinct shingles per item (0: too short to match)
    lines: np.ndarray            # line (or item/row number) of each item in its file
    excerpts: tuple[str, ...]


def _column(table: pa.Table, path: str) -> pa.Array | None:
    head, *rest = path.split(".")
    if head not in table.column_names:
        return None
    array = table.column(head).combine_chunks()
    for part in rest:
        array = pc.struct_field(array, part)
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):  # e.g. the turns of a question
        return pc.binary_join(array.cast(pa.list_(pa.string())), " ")
    return array.cast(pa.string())


def read_text_column(path: str, field: str) -> Iterator[tuple[pa.Table, pa.Array, np.ndarray]]:
    """Each chunk of the file(s) at `path` with the text of `field` (dots for nested paths, lists joined)
    and the chunk's line numbers; a file without the column is an error naming the columns it has."""
    for source in resolve([path], None, None):
        with open_raw(source) as raw:
            for chunk in read_source(source, None, raw):
                text = _column(chunk.table, field)
                if text is None:
                    raise SourceError(f"{path}: no column {field!r}; columns: {chunk.table.column_names}")
                yield chunk.table, text, chunk.lines


@lru_cache(maxsize=16)
def load_index(path: str, field: str, answer: str | None, ngram: int, min_words: int, steps: tuple[str, ...],
               name: str) -> EvalIndex:
    texts: list[pa.Array] = []
    lines: list[np.ndarray] = []
    for table, question, chunk_lines in read_text_column(path, field):
        if answer is not None:
            extra = _column(table, answer)
            if extra is None:
                raise SourceError(f"{path}: eval set has no column {answer!r}")
            question = pc.binary_join_element_wise(question.fill_null(""), extra.fill_null(""), " ")
        texts.append(question)
        lines.append(chunk_lines)
    raw_text = pa.concat_arrays(texts) if texts else pa.array([], pa.string())
    tokens, offsets = token_hashes(normalize(raw_text, steps), "word")
    words = np.diff(offsets)
    lookups = [_lookup(ngram, *ngram_hashes(tokens, offsets, ngram), words >= ngram)]
    for length in sorted(set(words[(words >= min_words) & (words < ngram)].tolist())):
        lookups.append(_lookup(length, *ngram_hashes(tokens, offsets, length), words == length))
    sizes = np.zeros(len(words), dtype=np.int64)
    for lookup in lookups:
        sizes += np.bincount(lookup.items, minlength=len(words))
    excerpts = tuple((t or "")[:300] for t in raw_text.to_pylist())
    return EvalIndex(name, tuple(lookups), sizes, np.concatenate(lines) if lines else np.zeros(0), excerpts)


def _lookup(length: int, hashes: np.ndarray, offsets: np.ndarray, wanted: np.ndarray) -> Lookup:
    """Distinct (hash, item) pairs of the wanted items, sorted by hash."""
    item_of = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    keep = wanted[item_of]
    pairs = np.unique(np.stack([hashes[keep].view(np.int64), item_of[keep]], axis=1), axis=0)
    unsigned = pairs[:, 0].copy().view(np.uint64)
    order = np.argsort(unsigned, kind="stable")  # unique() sorted them as signed numbers
    return Lookup(length, unsigned[order], pairs[order, 1])


def overlaps(index: EvalIndex, tokens: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, item, share) for every row and eval item sharing shingles; share = found / item's shingles."""
    found: list[np.ndarray] = []
    for lookup in index.lookups:
        if not len(lookup.hashes):
            continue
        hashes, row_offsets = ngram_hashes(tokens, offsets, lookup.length)
        rows = np.repeat(np.arange(len(row_offsets) - 1), np.diff(row_offsets))
        left = np.searchsorted(lookup.hashes, hashes, side="left")
        counts = np.searchsorted(lookup.hashes, hashes, side="right") - left
        starts = np.cumsum(counts) - counts
        positions = np.repeat(left, counts) + (np.arange(counts.sum()) - np.repeat(starts, counts))
        found.append(np.stack([np.repeat(rows, counts), lookup.items[positions],
                               np.repeat(hashes, counts).view(np.int64)], axis=1))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    triples = np.unique(np.concatenate(found), axis=0)
    keys, count = np.unique(triples[:, :2], axis=0, return_counts=True)
    return keys[:, 0], keys[:, 1], count / index.sizes[keys[:, 1]]
