"""Word hashes in one compiled pass (numba) over a string array's UTF-8 buffer: each word's xxh64, exactly
as `shingles.token_hashes` computes it with pyarrow (split, dictionary, xxhash), without a list of words.
Words lie between the separators `shingles.UNICODE_SPACE` names (ASCII \\t \\n \\v \\f \\r and space, U+0085,
the Unicode space separators Zs, Zl, Zp); a field or turn separator (one byte of U+001C..U+001F standing
alone) is no word. Imported only where numba is installed and a batch is large enough to repay loading it."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

P1, P2, P3 = np.uint64(0x9E3779B185EBCA87), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)
P4, P5 = np.uint64(0x85EBCA77C2B2AE63), np.uint64(0x27D4EB2F165667C5)
ZERO = np.uint64(0)


def word_hashes(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word, offsets of each value's words from 0) for UTF-8 `data` cut by int64 `offsets`."""
    hashes = np.empty(len(data) // 2 + len(offsets) + 1, dtype=np.uint64)
    counts = np.zeros(len(offsets), dtype=np.int64)
    total = _words(data, offsets.astype(np.int64, copy=False), hashes, counts)
    return hashes[:total].copy(), np.cumsum(counts)


@njit(inline="always", cache=True)
def _rotl(x: Any, r: int) -> Any:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


@njit(inline="always", cache=True)
def _lane(data: Any, at: int, width: int) -> Any:
    v = ZERO
    for k in range(width):
        v |= np.uint64(data[at + k]) << np.uint64(8 * k)
    return v


@njit(inline="always", cache=True)
def _round(acc: Any, value: Any) -> Any:
    return _rotl(acc + value * P2, 31) * P1


@njit(inline="always", cache=True)
def _merge(acc: Any, value: Any) -> Any:
    return (acc ^ _round(ZERO, value)) * P1 + P4


@njit(cache=True)
def _xxh64(data: Any, start: int, end: int) -> Any:
    """xxh64 (seed 0) of data[start:end]."""
    at = start
    if end - start >= 32:
        v1, v2, v3, v4 = P1 + P2, P2, ZERO, ZERO - P1
        while at + 32 <= end:
            v1 = _round(v1, _lane(data, at, 8))
            v2 = _round(v2, _lane(data, at + 8, 8))
            v3 = _round(v3, _lane(data, at + 16, 8))
            v4 = _round(v4, _lane(data, at + 24, 8))
            at += 32
        h = _rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)
        h = _merge(_merge(_merge(_merge(h, v1), v2), v3), v4)
    else:
        h = P5
    h += np.uint64(end - start)
    while at + 8 <= end:
        h = _rotl(h ^ _round(ZERO, _lane(data, at, 8)), 27) * P1 + P4
        at += 8
    if at + 4 <= end:
        h = _rotl(h ^ (_lane(data, at, 4) * P1), 23) * P2 + P3
        at += 4
    while at < end:
        h = _rotl(h ^ (np.uint64(data[at]) * P5), 11) * P1
        at += 1
    h ^= h >> np.uint64(33)
    h *= P2
    h ^= h >> np.uint64(29)
    h *= P3
    return h ^ (h >> np.uint64(32))


@njit(inline="always", cache=True)
def _separator(data: Any, at: int, end: int) -> int:
    """How many bytes the separator starting at `at` spans (0: it is no separator)."""
    b = data[at]
    if b < 0x80:
        return 1 if b == 0x20 or 0x09 <= b <= 0x0D else 0
    c = data[at + 1] if at + 1 < end else 0
    if b == 0xC2:
        return 2 if c == 0x85 or c == 0xA0 else 0
    d = data[at + 2] if at + 2 < end else 0
    if b == 0xE1:
        return 3 if c == 0x9A and d == 0x80 else 0
    if b == 0xE2:
        space = c == 0x80 and (0x80 <= d <= 0x8A or d == 0xA8 or d == 0xA9 or d == 0xAF)
        return 3 if space or (c == 0x81 and d == 0x9F) else 0
    if b == 0xE3:
        return 3 if c == 0x80 and d == 0x80 else 0
    return 0


@njit(nogil=True, cache=True)
def _words(data: Any, offsets: Any, hashes: Any, counts: Any) -> int:
    total = 0
    for row in range(len(offsets) - 1):
        at, end = offsets[row], offsets[row + 1]
        while at < end:
            start, width = at, 0
            while at < end:  # to the end of the word
                b = data[at]
                if 0x20 < b < 0x80:
                    at += 1
                    continue
                width = _separator(data, at, end)
                if width:
                    break
                at += 1
            if at > start and not (at - start == 1 and 0x1C <= data[start] <= 0x1F):
                hashes[total] = _xxh64(data, start, at)
                total += 1
                counts[row + 1] += 1
            at += width
    return total
