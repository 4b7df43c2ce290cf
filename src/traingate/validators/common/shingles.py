"""Shingle hashing over Arrow's buffers: words (or bytes) -> 64-bit hashes -> rolling n-gram hashes, flat
with row offsets, ready for MinHash (rensa) or for n-gram overlap. Each distinct word of a batch is
hashed once (xxh64 of its UTF-8 bytes, read from the dictionary's buffers); no Python object is made
per word or per shingle."""

from __future__ import annotations

from functools import lru_cache
from importlib.util import find_spec

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from traingate.validators.common.normalize import filled, hash_texts

MIX = 0x9E3779B97F4A7C15  # used as np.uint64: as a Python int here, importing reads nothing of numpy
# ASCII \t \n \v \f \r and space (as the ASCII kernel), plus Unicode separators and NEL.
UNICODE_SPACE = r"[\s\x{0b}\p{Z}\x{85}]+"
COMPILED_AFTER = 128 << 20
_TEXT_SEEN = [0]  # bytes of text this process has cut into words


@lru_cache(maxsize=1)
def _byte_hashes() -> np.ndarray:
    """xxh64 of each byte value, built on first use."""
    return np.array([xxhash.xxh64_intdigest(bytes([b])) for b in range(256)], dtype=np.uint64)


def token_hashes(values: pa.Array, unit: str, compiled: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hash of every word (unit 'word') or byte (unit 'char') and the offsets of each value's run. Words
    are hashed by the compiled pass (`word_kernel`) when `compiled`, or by default once this process has
    hashed COMPILED_AFTER bytes of text and numba is installed; both give the same hashes."""
    values = filled(values).cast(pa.large_string())
    if unit == "char":
        data, offsets = _utf8(values)
        return _byte_hashes()[data], offsets
    if compiled or (compiled is None and _compiled_pays(values)):
        from traingate.validators.common.word_kernel import word_hashes

        return word_hashes(*_utf8(values))
    return _split_hashes(values)


def _utf8(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of a large string array without nulls, and each value's offsets into them from 0."""
    offsets = _offsets(values)
    data = values.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return raw[offsets[0]: offsets[-1]], offsets - offsets[0]


def _compiled_pays(values: pa.Array) -> bool:
    """Whether loading numba (about half a second) has paid or will: after COMPILED_AFTER bytes of text."""
    if _TEXT_SEEN[0] < COMPILED_AFTER:
        _TEXT_SEEN[0] += values.nbytes
        return False
    return _numba_installed()


@lru_cache(maxsize=1)
def _numba_installed() -> bool:
    return find_spec("numba") is not None


def _split_hashes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Words split by pyarrow, each distinct word of the batch hashed once."""
    words = split_words(values)
    word_offsets = _offsets(words)
    offsets = word_offsets - word_offsets[0]
    flat = pc.list_flatten(words)
    if not len(flat):
        return np.zeros(0, np.uint64), offsets
    encoded = pc.dictionary_encode(flat)
    table, real = _vocabulary(encoded.dictionary)
    indices = _indices(encoded.indices)
    hashes: np.ndarray = table[indices]
    if real.all():
        return hashes, offsets
    keep = real[indices]
    counted = np.concatenate(([0], np.cumsum(keep)))
    return hashes[keep], counted[offsets]


def split_words(values: pa.Array) -> pa.Array:
    """Words between whitespace (possibly with empty words at the ends). pyarrow 26's
    utf8_split_whitespace gives different words from one call to the next on some inputs (a trailing
    space kept), so ASCII batches use the ASCII kernel and other batches a regex with the same set."""
    if pc.all(pc.string_is_ascii(values)).as_py() is not False:
        return pc.ascii_split_whitespace(values)
    return pc.split_pattern_regex(values, UNICODE_SPACE)


def _vocabulary(words: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """xxh64 of each distinct word, and whether it is a word: not the empty word that whitespace at
    either end gives, nor a field or turn separator (one byte of U+001C..U+001F standing alone)."""
    offsets = _offsets(words)
    lengths = np.diff(offsets)
    data = words.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    first = raw[np.minimum(offsets[:-1], len(raw) - 1)] if len(raw) else np.zeros(len(lengths), np.uint8)
    separator = (lengths == 1) & (first >= 0x1C) & (first <= 0x1F)
    return hash_texts(words), (lengths > 0) & ~separator


def _indices(indices: pa.Array) -> np.ndarray:
    """A dictionary's int32 indices (no nulls) as numpy, from the buffer."""
    raw: np.ndarray = np.frombuffer(indices.buffers()[1], dtype=np.int32)
    return raw[indices.offset: indices.offset + len(indices)]


def _offsets(array: pa.Array) -> np.ndarray:
    """The offsets buffer of a (large) string or list array, for its slice."""
    large = pa.types.is_large_string(array.type) or pa.types.is_large_list(array.type)
    raw: np.ndarray = np.frombuffer(array.buffers()[1], dtype=np.int64 if large else np.int32)
    return raw[array.offset: array.offset + len(array) + 1].astype(np.int64)


def ngram_hashes(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling hashes of n consecutive tokens within each value; a value shorter than n but not empty
    gives one shingle of all its tokens. Returns flat hashes and per-value offsets."""
    lengths = np.diff(offsets)
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    counts = np.where(lengths >= n, lengths - n + 1, (lengths > 0).astype(np.int64))
    out_offsets = np.concatenate(([0], np.cumsum(counts)))
    rolling = _window_hashes(tokens, n)  # every window of the flat stream, some crossing values
    inside = np.ones(len(rolling), dtype=bool)
    for k in range(1, n):  # windows starting in a value's last n-1 tokens run into the next value
        start = offsets[1:] - k
        inside[start[(start >= offsets[:-1]) & (start < len(rolling))]] = False
    if not len(short):
        return _finish(rolling[inside]), out_offsets
    long_shingle = np.repeat(lengths >= n, counts)
    out = np.empty(int(out_offsets[-1]), dtype=np.uint64)
    out[long_shingle] = rolling[inside]
    out[~long_shingle] = _whole_hashes(tokens, offsets, short)
    return _finish(out), out_offsets


def _whole_hashes(tokens: np.ndarray, offsets: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each of the given values (all shorter than n), the rolling hash of all its tokens, as
    `_window_hashes` of the value alone: one step per token position, not one Python call per value."""
    starts, lengths = offsets[values], offsets[values + 1] - offsets[values]
    acc = np.zeros(len(values), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(int(lengths.max()) if len(values) else 0):
            live = lengths > k
            acc[live] = acc[live] * np.uint64(MIX) + tokens[starts[live] + k]
    return acc


def _window_hashes(tokens: np.ndarray, n: int) -> np.ndarray:
    """((t0 * MIX + t1) * MIX + t2)... over every n consecutive tokens, modulo 2^64, in place."""
    size = len(tokens) - n + 1
    if size <= 0:
        return np.zeros(0, dtype=np.uint64)
    acc = tokens[:size].astype(np.uint64, copy=True)
    for k in range(1, n):
        acc *= np.uint64(MIX)
        acc += tokens[k: k + size]
    return acc


def _finish(h: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (murmur3's first half), into a new array."""
    mixed: np.ndarray = h >> np.uint64(33)
    mixed ^= h
    mixed *= np.uint64(0xFF51AFD7ED558CCD)
    mixed ^= mixed >> np.uint64(33)
    return mixed


def shingle_sets(values: pa.Array, unit: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    tokens, offsets = token_hashes(values, unit)
    return ngram_hashes(tokens, offsets, size)
