"""Shingle hashing with numpy: words (or bytes) -> 64-bit hashes -> rolling n-gram hashes, flat with
row offsets, ready for MinHash (rensa) or for n-gram overlap. No Python loop per shingle."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from traingate.data.tokenizers import string_bytes

MIX = np.uint64(0x9E3779B97F4A7C15)
# ASCII \t \n \v \f \r and space (as the ASCII kernel), plus Unicode separators and NEL.
UNICODE_SPACE = r"[\s\x{0b}\p{Z}\x{85}]+"
_BYTE_HASHES = np.array([xxhash.xxh64_intdigest(bytes([b])) for b in range(256)], dtype=np.uint64)


def token_hashes(values: pa.Array, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Hash of every word (unit 'word') or byte (unit 'char') and the offsets of each value's run."""
    if unit == "char":
        data, offsets = string_bytes(values)
        return _BYTE_HASHES[data], offsets
    words = split_words(values.fill_null("").cast(pa.large_string()))
    flat = pc.list_flatten(words)
    keep = _real_words(flat)
    counted = np.concatenate(([0], np.cumsum(keep)))
    word_offsets = _offsets(words)
    offsets = counted[word_offsets - word_offsets[0]]
    if not keep.any():
        return np.zeros(0, np.uint64), offsets
    encoded = pc.dictionary_encode(flat if keep.all() else flat.filter(pa.array(keep)))
    vocabulary = encoded.dictionary.to_pylist()
    table = np.fromiter((xxhash.xxh64_intdigest(w.encode("utf-8")) for w in vocabulary), np.uint64, len(vocabulary))
    return table[np.asarray(encoded.indices)], offsets


def split_words(values: pa.Array) -> pa.Array:
    """Words between whitespace (possibly with empty words at the ends). pyarrow 26's
    utf8_split_whitespace gives different words from one call to the next on some inputs (a trailing
    space kept), so ASCII batches use the ASCII kernel and other batches a regex with the same set."""
    if pc.all(pc.string_is_ascii(values)).as_py() is not False:
        return pc.ascii_split_whitespace(values)
    return pc.split_pattern_regex(values, UNICODE_SPACE)


def _real_words(words: pa.Array) -> np.ndarray:
    """False for the empty words that whitespace at either end gives, and for the field and turn
    separators (one byte of U+001C..U+001F standing alone) that join a row's fields."""
    offsets = _offsets(words)
    lengths = np.diff(offsets)
    data = words.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    first = raw[np.minimum(offsets[:-1], max(len(raw) - 1, 0))] if len(raw) else np.zeros(len(lengths), np.uint8)
    separator = (lengths == 1) & (first >= 0x1C) & (first <= 0x1F)
    keep: np.ndarray = (lengths > 0) & ~separator
    return keep


def _offsets(array: pa.Array) -> np.ndarray:
    """The offsets buffer of a (large) string or list array, for its slice."""
    large = pa.types.is_large_string(array.type) or pa.types.is_large_list(array.type)
    raw: np.ndarray = np.frombuffer(array.buffers()[1], dtype=np.int64 if large else np.int32)
    return raw[array.offset: array.offset + len(array) + 1].astype(np.int64)


def ngram_hashes(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling hashes of n consecutive tokens within each value; a value shorter than n but not empty
    gives one shingle of all its tokens. Returns flat hashes and per-value offsets."""
    lengths = np.diff(offsets)
    counts = np.where(lengths >= n, lengths - n + 1, (lengths > 0).astype(np.int64))
    out_offsets = np.concatenate(([0], np.cumsum(counts)))
    rolling = _window_hashes(tokens, n)  # every window of the flat stream, some crossing values
    crossing = np.zeros(len(tokens), dtype=bool)
    for k in range(1, n):  # windows starting in a value's last n-1 tokens run into the next value
        start = offsets[1:] - k
        crossing[start[start >= offsets[:-1]]] = True
    long_shingle = np.repeat(lengths >= n, counts)
    out = np.empty(int(out_offsets[-1]), dtype=np.uint64)
    out[long_shingle] = rolling[~crossing[: len(rolling)]]
    out[~long_shingle] = _whole_hashes(tokens, offsets, np.flatnonzero((lengths > 0) & (lengths < n)))
    return _finish(out), out_offsets


def _whole_hashes(tokens: np.ndarray, offsets: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each of the given values (all shorter than n), the rolling hash of all its tokens, as
    `_window_hashes` of the value alone: one step per token position, not one Python call per value."""
    starts, lengths = offsets[values], offsets[values + 1] - offsets[values]
    acc = np.zeros(len(values), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(int(lengths.max()) if len(values) else 0):
            live = lengths > k
            acc[live] = acc[live] * MIX + tokens[starts[live] + k]
    return acc


def _window_hashes(tokens: np.ndarray, n: int) -> np.ndarray:
    size = len(tokens) - n + 1
    if size <= 0:
        return np.zeros(0, dtype=np.uint64)
    acc = np.zeros(size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            acc = acc * MIX + tokens[k: k + size]
    return acc


def _finish(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)
        mixed: np.ndarray = h ^ (h >> np.uint64(33))
    return mixed


def shingle_sets(values: pa.Array, unit: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    tokens, offsets = token_hashes(values, unit)
    return ngram_hashes(tokens, offsets, size)
