"""A MinHash of the distinct token ids of a text: SKETCH values, each the smallest rank that one fixed
permutation of the vocabulary gives any of the text's tokens. Two texts agree on a value with probability the
Jaccard similarity of their token sets, so the share of agreeing values estimates it (standard error at most
0.0625 with 64 values). Each permutation is a keyed bijection of 16-bit integers (add, odd multiply,
xor-shift, twice), so a rank names its token and a vocabulary of up to 65,535 tokens fits in a uint16."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SKETCH = 64  # values per text: 128 bytes
EMPTY = 0xFFFF  # (a uint16) the rank no text reaches first: a text without tokens, and the padding id
_MASK = 0xFFFF


def _mix(x: np.ndarray, key: int) -> np.ndarray:
    """A bijection of 16-bit integers chosen by `key`."""
    for step in range(2):
        x = (x + (key * 0x9E37 + step * 0x7F4B + 0x3C6F)) & _MASK
        x = (x * (((key * 0x2C1B + step * 0x6A09) << 1) | 1)) & _MASK
        x ^= x >> (7 + step)
    return x


@lru_cache(maxsize=4)
def ranks(vocabulary: int) -> np.ndarray:
    """(SKETCH, vocabulary + 1) uint16: each permutation's rank of every token id; the last id, padding, ranks
    EMPTY so that it never comes first."""
    if vocabulary > _MASK:
        raise ValueError(f"a token sketch holds at most {_MASK:,} token ids, not {vocabulary:,}")
    ids = np.arange(vocabulary, dtype=np.int64)
    table = np.empty((SKETCH, vocabulary + 1), dtype=np.uint16)
    for key in range(SKETCH):
        table[key, :vocabulary] = _mix(ids, key)  # one token may rank EMPTY too: padding never lowers a minimum
        table[key, vocabulary] = EMPTY
    return table


def window_sketches(padded_ids: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(windows, SKETCH): the smallest rank of each padded window of token ids, per permutation."""
    out: np.ndarray = table[:, padded_ids].min(axis=2).T
    return out


def shared(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The estimated Jaccard similarity of the token sets of each pair of sketches (row by row)."""
    out: np.ndarray = (left == right).mean(axis=1)
    return out
