"""Per-row uint64 tables (data/spill.py Rows, row id in column 0) read back in row-id order a block at a time,
never whole: the tables held in memory are sorted together, each file on disk was sorted before it was written
(`sort_rows`), and the sorted runs are merged. A row's entries (its findings, say) are never split between two
blocks, so a reader may order them within a block."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from traingate.data.spill import Rows, Spilled

BLOCK = 8192  # entries read from each run at a time


def sort_rows(tables: list[np.ndarray]) -> list[np.ndarray]:
    """The tables as one, sorted by row id (stable: a row's entries keep the order they came in)."""
    if not tables:
        return []
    table = np.concatenate(tables) if len(tables) > 1 else tables[0]
    return [table[np.argsort(table[:, 0], kind="stable")]]


def _file_blocks(spilled: Spilled, width: int) -> Iterator[np.ndarray]:
    columns = np.load(spilled.path, mmap_mode="r")  # (width, rows): a column is contiguous on disk
    for start in range(0, spilled.rows, BLOCK):
        yield np.array(columns[:width, start: start + BLOCK]).T


def _memory_blocks(tables: list[np.ndarray]) -> Iterator[np.ndarray]:
    for table in sort_rows(tables):
        for start in range(0, len(table), BLOCK):
            yield table[start: start + BLOCK]


def _whole_rows(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """The same entries, a row's entries never split between two blocks."""
    held: np.ndarray | None = None
    for block in blocks:
        block = block if held is None else np.concatenate([held, block])
        cut = int(np.searchsorted(block[:, 0], block[-1, 0], side="left"))
        if cut == 0:
            held = block  # one row fills the block: read on
            continue
        held = block[cut:]
        yield block[:cut]
    if held is not None and len(held):
        yield held


def in_row_order(rows: Rows) -> Iterator[np.ndarray]:
    """Every entry of `rows` in row-id order, as (n, width) blocks of whole rows."""
    width = rows.width()
    runs = [_whole_rows(_memory_blocks(rows.memory))] + [_whole_rows(_file_blocks(s, width)) for s in rows.disk]
    heads = [next(run, None) for run in runs]
    while True:
        live = [k for k, head in enumerate(heads) if head is not None]
        if not live:
            return
        bound = min(heads[k][-1, 0] for k in live)  # type: ignore[index]  # every row up to it is in the heads
        taken = []
        for k in live:
            head = heads[k]
            assert head is not None
            cut = int(np.searchsorted(head[:, 0], bound, side="right"))
            taken.append(head[:cut])
            heads[k] = head[cut:] if cut < len(head) else next(runs[k], None)
        block = np.concatenate(taken) if len(taken) > 1 else taken[0]
        yield block[np.argsort(block[:, 0], kind="stable")] if len(taken) > 1 else block
