"""Eval sets as n-gram indexes, built once per process (never stored in a check's state)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.data.masking import window
from traingate.data.readers import open_raw, read_source
from traingate.data.sources import resolve
from traingate.errors import SourceError
from traingate.validators.common.normalize import normalize
from traingate.validators.common.shingles import ngram_hashes, token_hashes


@dataclass(frozen=True)
class Lookup:
    """Sorted shingle hashes of eval items and the item each belongs to, for one shingle length."""

    length: int
    hashes: np.ndarray
    items: np.ndarray
    whole: bool  # the items' whole word sequences, searched within one turn or field (not across a row)


@dataclass(frozen=True)
class EvalIndex:
    name: str
    lookups: tuple[Lookup, ...]  # n-grams of long items, then whole word sequences of short ones
    sizes: np.ndarray            # distinct shingles per variant (0: too short to match)
    lines: np.ndarray            # line (or item/row number) of each item in its file
    excerpts: tuple[str, ...]
    count: int                   # items; variant v (question and answer, or question alone) is item v % count

    def too_short(self) -> int:
        """Items none of whose variants can match."""
        return int((self.sizes.reshape(-1, self.count).max(axis=0) == 0).sum()) if self.count else 0


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
def load_index(path: str, field: str, answer: str | None, match: str, ngram: int, min_words: int,
               steps: tuple[str, ...], name: str) -> EvalIndex:
    questions, answers, lines = _read(path, field, answer)
    joined = questions if answers is None else pc.binary_join_element_wise(questions, answers, " ")
    variants = [joined] if answers is None or match == "question_and_answer" else \
        [questions] if match == "question" else [joined, questions]
    tokens, offsets = token_hashes(normalize(pa.concat_arrays(variants), steps), "word")
    words = np.diff(offsets)
    lookups = [_lookup(ngram, False, *ngram_hashes(tokens, offsets, ngram), words >= max(ngram, min_words))]
    for length in sorted(set(words[(words >= min_words) & (words < ngram)].tolist())):
        lookups.append(_lookup(length, True, *ngram_hashes(tokens, offsets, length), words == length))
    sizes = np.zeros(len(words), dtype=np.int64)
    for lookup in lookups:
        sizes += np.bincount(lookup.items, minlength=len(words))
    excerpts = tuple(window(t or "", 0, 299) for t in joined.to_pylist())
    return EvalIndex(name, tuple(lookups), sizes, lines, excerpts, len(questions))


def _read(path: str, field: str, answer: str | None) -> tuple[pa.Array, pa.Array | None, np.ndarray]:
    """The questions, the answers (None without `answer`) and the line of each item."""
    questions: list[pa.Array] = []
    answers: list[pa.Array] = []
    lines: list[np.ndarray] = []
    for table, question, chunk_lines in read_text_column(path, field):
        if answer is not None:
            extra = _column(table, answer)
            if extra is None:
                raise SourceError(f"{path}: eval set has no column {answer!r}")
            answers.append(extra.fill_null(""))
        questions.append(question.fill_null(""))
        lines.append(chunk_lines)
    return _concat(questions), _concat(answers) if answer is not None else None, \
        np.concatenate(lines) if lines else np.zeros(0, np.int64)


def _concat(arrays: list[pa.Array]) -> pa.Array:
    return pa.concat_arrays(arrays) if arrays else pa.array([], pa.string())


def _lookup(length: int, whole: bool, hashes: np.ndarray, offsets: np.ndarray, wanted: np.ndarray) -> Lookup:
    """Distinct (hash, item) pairs of the wanted items, sorted by hash."""
    item_of = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    keep = wanted[item_of]
    pairs = np.unique(np.stack([hashes[keep].view(np.int64), item_of[keep]], axis=1), axis=0)
    unsigned = pairs[:, 0].copy().view(np.uint64)
    order = np.argsort(unsigned, kind="stable")  # unique() sorted them as signed numbers
    return Lookup(length, unsigned[order], pairs[order, 1], whole)


def overlaps(index: EvalIndex, tokens: np.ndarray, offsets: np.ndarray, segment_rows: np.ndarray,
             num_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, item, share) for every row and eval item sharing shingles; share = found / item's shingles (the
    best of the item's variants). `tokens` are the turns and fields of the rows one after another, `offsets`
    bound each turn or field and `segment_rows` gives its row: n-grams run across a row's turns and fields,
    short items' whole sequences within one."""
    row_offsets = offsets[np.searchsorted(segment_rows, np.arange(num_rows + 1))]
    found: list[np.ndarray] = []
    for lookup in index.lookups:
        if not len(lookup.hashes):
            continue
        hashes, value_offsets = ngram_hashes(tokens, offsets if lookup.whole else row_offsets, lookup.length)
        values = np.repeat(np.arange(len(value_offsets) - 1), np.diff(value_offsets))
        rows = segment_rows[values] if lookup.whole else values
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
    share = count / index.sizes[keys[:, 1]]
    pairs = np.stack([keys[:, 0], keys[:, 1] % index.count], axis=1)
    order = np.lexsort((-share, pairs[:, 1], pairs[:, 0]))  # per (row, item), the best variant first
    pairs, share = pairs[order], share[order]
    first = np.concatenate(([True], (pairs[1:] != pairs[:-1]).any(axis=1)))[: len(pairs)]
    return pairs[first, 0], pairs[first, 1], share[first]
