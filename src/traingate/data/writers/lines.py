"""Copying the kept lines of a text file byte for byte: JSON lines, and the lines of CSV records.

Lines are counted as the readers count them (data/jsonl_reader.py, data/csv_strict.py): 1-based, cut at each
`\\n`, so a CRLF line keeps its `\\r` and counts once, and a last line without a newline is a line. Which
lines are kept is asked of `keep` a block at a time, and the kept lines are copied in runs of consecutive
lines, so the copy costs a write per run, not per line. A line longer than a block is held until its end
only when it is kept; a dropped one is skipped as it streams by."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

BLOCK_BYTES = 8 << 20
BOM = b"\xef\xbb\xbf"
_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(b" \t\n\r\x0b\x0c")] = True  # what bytes.strip() removes: a line of only these is blank

Keep = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (line numbers, blank?) -> kept?


def _blank(data: bytes, array: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each line [start, end) holds only white space; only lines starting with white space are read."""
    blank: np.ndarray = ends == starts
    if not len(array):
        return blank
    maybe = np.flatnonzero((ends == starts) | _SPACE[array[np.minimum(starts, len(array) - 1)]])
    for k in maybe.tolist():
        blank[k] = not data[int(starts[k]): int(ends[k])].strip()
    return blank


class LineCopier:
    """Feeds blocks of a stream, writes the kept lines to `out`. `whole`: end every kept line with a newline
    and drop a byte-order mark before the first line (lines joined from several files)."""

    def __init__(self, out: BinaryIO, keep: Keep, whole: bool = False):
        self.out, self.keep, self.whole = out, keep, whole
        self.line = 1  # the number of the line the next byte starts or continues
        self.pending: list[bytes] = []  # the start of a line not yet ended, when it may be kept
        self.skipping = False  # the line not yet ended is dropped
        self.kept = 0

    def feed(self, block: bytes) -> None:
        cut = block.find(b"\n")
        if cut < 0:
            self._partial(block)
            return
        head, last = block[: cut + 1], block.rfind(b"\n")
        if self.pending or self.skipping:  # the line begun in an earlier block ends here
            dropped = self.skipping
            self.pending.append(head)
            self._lines(b"".join(self.pending) if not dropped else b"\n", dropped)
            self.pending, self.skipping, block, last = [], False, block[cut + 1:], last - cut - 1
        if last >= 0:
            self._lines(block[: last + 1], False)
        if last + 1 < len(block):
            self._partial(block[last + 1:])

    def finish(self) -> None:
        """The last line, when the stream does not end with a newline."""
        if self.pending:
            self._lines(b"".join(self.pending), False, ended=False)
        self.pending, self.skipping = [], False

    def _partial(self, piece: bytes) -> None:
        if self.skipping:
            return
        if not self.pending and not bool(self.keep(np.array([self.line]), np.array([False]))[0]):
            self.skipping = True
            return
        self.pending.append(piece)

    def _lines(self, data: bytes, dropped: bool, ended: bool = True) -> None:
        """Whole lines (each ending in a newline, unless not `ended`), the first numbered self.line."""
        array = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(array == 10) + 1
        if not ended:
            ends = np.append(ends, len(array))
        starts = np.concatenate(([0], ends[:-1]))
        numbers = np.arange(self.line, self.line + len(ends), dtype=np.int64)
        self.line += len(ends) if ended else 0
        kept = np.zeros(len(ends), dtype=bool) if dropped else self.keep(numbers, _blank(data, array, starts, ends))
        self._write(data, starts, ends, numbers, kept)

    def _write(self, data: bytes, starts: np.ndarray, ends: np.ndarray, numbers: np.ndarray, kept: np.ndarray) -> None:
        """The kept lines in runs of consecutive lines; `whole`: the first line's mark dropped, a last line
        given its newline."""
        if not kept.any():
            return
        self.kept += int(kept.sum())
        if self.whole and numbers[0] == 1 and data.startswith(BOM):
            starts = starts.copy()
            starts[0] += len(BOM)
        view = memoryview(data)
        edges = np.flatnonzero(np.diff(np.concatenate(([False], kept, [False])).astype(np.int8)))
        for first, after in zip(edges[0::2].tolist(), edges[1::2].tolist()):
            self.out.write(view[int(starts[first]): int(ends[after - 1])])
        if self.whole and kept[-1] and not data.endswith(b"\n"):
            self.out.write(b"\n")


def copy_lines(stream: Any, out: BinaryIO, keep: Keep, whole: bool = False) -> int:
    """Copy the kept lines of `stream` to `out`; how many lines were kept."""
    copier = LineCopier(out, keep, whole)
    while block := stream.read(BLOCK_BYTES):
        copier.feed(block)
    copier.finish()
    return copier.kept
