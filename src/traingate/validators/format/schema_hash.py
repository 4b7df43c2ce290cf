"""The hashes the schema's `unique` rule keeps per value: xxh64 (seed 0) of each value's UTF-8 bytes, the
same numbers as `normalize.hash_texts`, computed for every value shorter than 32 bytes at once in numpy
(xxh64 reads such a value as 8-byte lanes, one 4-byte lane and single bytes, with no 32-byte stripes),
and for longer values one call of the xxhash library each, as `hash_texts` does.

Identifiers (the usual unique columns) are short: for them this is about 5x a call per value."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from traingate.data.arrays import text_bytes
from traingate.validators.common.normalize import hash_texts

SHORT = 32  # xxh64 hashes a value this long or longer in 32-byte stripes: those go to the library
# xxh64's primes, as Python ints: importing this module reads nothing of numpy (cli/deferred.py)
PRIMES = (11400714785074694791, 14029467366897019727, 1609587929392839161, 9650029242287828579, 2870177450012600261)


def value_hashes(values: pa.Array) -> np.ndarray:
    """xxh64 of each value's UTF-8 bytes, a null hashing as the empty text (as `hash_texts`)."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)) or not len(values):
        return hash_texts(values)
    if values.null_count:
        values = values.fill_null("")
    text, offsets = text_bytes(values)
    lengths = np.diff(offsets)
    data = np.concatenate([text, np.zeros(8, np.uint8)])  # every lane read stays inside
    short = lengths < SHORT
    out = np.empty(len(values), np.uint64)
    out[short] = _short(data, offsets[:-1][short], lengths[short])
    if not short.all():
        long = np.flatnonzero(~short)
        out[long] = hash_texts(values.take(pa.array(long)))
    return out


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    rotated: np.ndarray = (x << np.uint64(r)) | (x >> np.uint64(64 - r))
    return rotated


def _lane(data: np.ndarray, at: np.ndarray, width: int) -> np.ndarray:
    """The little-endian unsigned integer of `width` bytes at each position: `data` seen as integers that
    start at every byte (a stride of one byte), so each lane is one read."""
    kind = np.dtype("<u8" if width == 8 else "<u4")
    every = np.ndarray(shape=(len(data) - 7,), dtype=kind, buffer=data, strides=(1,))
    lanes: np.ndarray = every[at].astype(np.uint64)
    return lanes


def _short(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """xxh64 (seed 0) of the values at `starts` with `lengths`, each under 32 bytes: the values of one length
    at a time (sorted by length), so every step applies to a whole slice."""
    order = np.argsort(lengths.astype(np.uint8), kind="stable")
    bounds = np.searchsorted(lengths[order], np.arange(SHORT + 1)).tolist()
    out = np.empty(len(starts), np.uint64)
    with np.errstate(over="ignore"):
        for length in range(SHORT):
            if bounds[length] < bounds[length + 1]:
                chosen = order[bounds[length]: bounds[length + 1]]
                out[chosen] = _of_length(data, starts[chosen], length)
    return out


def _of_length(data: np.ndarray, at: np.ndarray, length: int) -> np.ndarray:
    """xxh64 (seed 0) of the `length`-byte values starting at `at`."""
    P1, P2, P3, P4, P5 = (np.uint64(p) for p in PRIMES)
    h = np.full(len(at), P5 + np.uint64(length), np.uint64)
    done = 0
    while length - done >= 8:  # whole 8-byte lanes
        k = _rotl(_lane(data, at + done, 8) * P2, 31) * P1
        h = _rotl(h ^ k, 27) * P1 + P4
        done += 8
    if length - done >= 4:  # one 4-byte lane
        h = _rotl(h ^ (_lane(data, at + done, 4) * P1), 23) * P2 + P3
        done += 4
    for byte in range(done, length):  # the last bytes one at a time
        h = _rotl(h ^ (data[at + byte].astype(np.uint64) * P5), 11) * P1
    h ^= h >> np.uint64(33)
    h *= P2
    h ^= h >> np.uint64(29)
    h *= P3
    h ^= h >> np.uint64(32)
    return h
