"""Row ids: one uint64 per row, its file's index in the high bits and its line in the low LINE_BITS. Apart from
data/lookup.py (which reads rows again by id), so that a check naming rows by id loads no reader."""

from __future__ import annotations

LINE_BITS = 40


def split_row_id(row_id: int) -> tuple[int, int]:
    return row_id >> LINE_BITS, row_id & ((1 << LINE_BITS) - 1)
