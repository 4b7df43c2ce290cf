"""Attacks on the cache entry format (format 3) by someone who can write the cache directory but does not hold
the key, and checks that a cached run's result is the uncached one: each test is a defence that holds."""

from __future__ import annotations

import json
import os
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.engine.test_cache import comparable, drop_entries, two_files
from traingate.data.spill import SPILL_DIR_ENV, Spilled
from traingate.engine import cache_entry, cache_evict, cache_spill, stats
from traingate.engine.cache_decode import decode
from traingate.engine.cache_entry import ALIGN, FORMAT, MAGIC, MAX_HEADER, BadEntry, encode
from traingate.engine.cache_evict import entries, prune
from traingate.engine.cache_files import read_entry, secret_key
from traingate.engine.cache_spill import SpillMissing
from traingate.engine.cache_store import Store
from traingate.engine.runner import RunOptions, validate
from traingate.engine.stats import RowSample


@pytest.fixture(autouse=True)
def _own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINGATE_CACHE_KEY", "a key of this test module, 32 chars")


def _blob(header: dict[str, Any], payload: bytes) -> bytes:
    return MAGIC + b" " + json.dumps(header).encode() + b"\n" + payload


def _planted(store: Store, key: str, blob: bytes) -> str:
    path = store.path(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Path(path).write_bytes(blob)
    return path


def _signed_header(key: bytes, entry_key: str, payload: bytes, layout: list[list[int]]) -> dict[str, Any]:
    return {"format": FORMAT, "key": entry_key, "bytes": len(payload), "layout": layout,
            "hmac": cache_entry.entry_mac(key, entry_key, payload, layout)}


# --- the header line, untrusted ---------------------------------------------------------------------------

@pytest.mark.parametrize("bytes_given", [True, 1.0, -1, 10**400, "1", None, [1]])
def test_a_header_length_of_another_type_or_size_is_refused_before_the_payload_is_read(tmp_path: Path,
                                                                                        bytes_given: Any) -> None:
    """JSON true is an int in Python: `bytes: true` with a one-byte payload passes the length check, and the
    signature must still refuse it."""
    store = Store(str(tmp_path / "c"))
    header = {"format": FORMAT, "key": "ab12", "bytes": bytes_given, "layout": [], "hmac": "0" * 64}
    path = _planted(store, "ab12", _blob(header, b"."))
    with pytest.raises(BadEntry):
        store.get("ab12")
    assert os.path.exists(path)  # Store.get only refuses; the run's cache discards it (RunCache.entry)


@pytest.mark.parametrize("layout", [[[True, 0]], [[-64, 8]], [[0, 1.0]], [[64, 1 << 70]], [[1 << 70, 0]],
                                    [[0, 0, 0]], [[0]], {"0": [0, 1]}, [[None, 1]], "[[0, 1]]"])
def test_a_layout_of_bools_negative_floats_or_outside_the_payload_is_refused(layout: Any) -> None:
    payload = bytes(128)
    header = {"format": FORMAT, "key": "k", "bytes": len(payload), "layout": layout, "hmac": "0" * 64}
    with pytest.raises(BadEntry, match="layout"):
        decode(secret_key(), "k", bytearray(_blob(header, payload)))


def test_a_header_line_without_its_end_in_the_first_mib_costs_one_mib(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    path = _planted(store, "ab12", MAGIC + b" " + b"x" * (MAX_HEADER + 10) + b"\n")
    with pytest.raises(BadEntry, match="not a traingate cache entry"):
        read_entry(path)


def _deep_header_entry(depth: int) -> bytes:
    return MAGIC + b" " + b"[" * depth + b"]" * depth + b"\n"


def test_a_deeply_nested_header_is_a_bad_entry_not_a_crash(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    _planted(store, "ab12", _deep_header_entry(100_000))
    with pytest.raises(BadEntry):
        store.get("ab12")


def test_a_deeply_nested_header_does_not_stop_listing_or_pruning(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    _planted(store, "ab12", _deep_header_entry(3000))
    assert [e.label for e in entries(store.directory)] == ["(unreadable)"]
    assert prune(store.directory, None) == (1, 3000 * 2 + len(MAGIC) + 2)


@pytest.mark.parametrize("label", ["format.max_tokens", "format.max_tokens · merged state"])
def test_a_run_ignores_a_planted_deeply_nested_entry_and_folds_again(tmp_path: Path, label: str) -> None:
    """In a file's own entry (the merged states dropped, so that it is read) or in the files' merged state."""
    contract, paths, cache = two_files(tmp_path)
    validate(contract, paths, options=cache)
    drop_entries(tmp_path / "cache", "finished result", *(["merged state"] if "merged" not in label else []))
    planted = next(Path(e.path) for e in entries(str(tmp_path / "cache")) if e.label.endswith(label))
    planted.write_bytes(_deep_header_entry(100_000))
    result = validate(contract, paths, options=cache)
    assert [w for w in result.warnings if "format.max_tokens" in w and "ignored" in w]
    assert result.dataset.cache is not None and result.dataset.cache.merged_files == 0
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]


def test_a_non_ascii_hmac_is_a_bad_entry_not_a_crash(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    payload = bytes(64)
    header = {"format": FORMAT, "key": "ab12", "bytes": len(payload), "layout": [], "hmac": "é" * 64}
    _planted(store, "ab12", _blob(header, payload))
    with pytest.raises(BadEntry):
        store.get("ab12")


def test_a_layout_moved_or_widened_breaks_the_signature() -> None:
    key = secret_key()
    blob = encode(key, "k", {"a": np.arange(16, dtype=np.int64), "b": np.arange(16, dtype=np.int64) + 7})
    head, _, payload = blob.partition(b"\n")
    header = json.loads(head[len(MAGIC) + 1:])
    (a_at, a_size), (b_at, b_size) = header["layout"]
    for layout in ([[a_at, b_at + b_size - a_at], [b_at, b_size]],  # overlapping
                   [[a_at, a_size], [a_at, a_size]],  # the same bytes twice
                   [[0, a_size], [b_at, b_size]],  # an array over the pickle
                   [[a_at, a_size]]):  # fewer buffers than the pickle refers to
        header["layout"] = layout
        with pytest.raises(BadEntry, match="checksum"):
            decode(key, "k", bytearray(_blob(header, payload)))


def test_a_signed_pickle_referring_to_more_buffers_than_its_layout_gives_is_a_bad_entry() -> None:
    key = secret_key()
    blob = encode(key, "k", [np.arange(8), np.arange(8)])
    payload = blob.partition(b"\n")[2]
    layout = json.loads(blob.partition(b"\n")[0][len(MAGIC) + 1:])["layout"][:1]  # signed with one buffer only
    with pytest.raises(BadEntry, match="does not load"):
        decode(key, "k", bytearray(_blob(_signed_header(key, "k", payload, layout), payload)))


# --- arrays through encode and decode ---------------------------------------------------------------------

ARRAYS: dict[str, np.ndarray] = {
    "sliced": np.arange(40, dtype=np.int64)[::3],
    "fortran": np.asfortranarray(np.arange(24.0).reshape(4, 6)),
    "transposed_view": np.arange(24, dtype=np.int32).reshape(4, 6)[:, 1:4].T,
    "zero_length": np.empty(0, np.uint64),
    "zero_rows": np.zeros((0, 5)),
    "scalar": np.array(3.5),
    "objects": np.array([1, "x", None, {"k": 2}], dtype=object),
    "big_endian": np.arange(5, dtype=">u8"),
    "structured": np.array([(1, 2.5), (3, 4.5)], dtype=[("a", "<i4"), ("b", "<f8")]),
    "unicode": np.array(["aé", "", "\U0001f600"]),
    "datetime": np.arange(3).astype("datetime64[s]"),
    "bools": np.array([True, False, True]),
    "odd_size": np.arange(7, dtype=np.int8),
    "float16": np.arange(5, dtype=np.float16),
    "read_only": np.arange(9, dtype=np.uint64),
}
ARRAYS["read_only"].flags.writeable = False


def test_arrays_of_every_layout_and_dtype_come_back_equal_writable_and_not_sharing_bytes(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    store.put("ab12", dict(ARRAYS), "arrays")
    loaded = store.get("ab12")
    for name, array in ARRAYS.items():
        got = loaded[name]
        assert got.dtype == array.dtype and got.shape == array.shape, name
        assert (list(got.ravel()) == list(array.ravel())) if array.dtype == object else np.array_equal(got, array)
        assert got.flags.writeable == array.flags.writeable, name  # as in memory: read-only stays so
    views = [a for a in loaded.values() if a.dtype != object and a.size]
    for i, a in enumerate(views):  # one bytearray holds them all: a change to one must not change another
        assert not any(np.shares_memory(a, b) for b in views[i + 1:])
    before = {n: a.copy() for n, a in loaded.items()}
    loaded["sliced"][:] = -1
    loaded["fortran"][:] = -1
    assert all(np.array_equal(loaded[n], before[n]) for n in before if n not in ("sliced", "fortran")
               and before[n].dtype != object)
    assert np.array_equal(store.get("ab12")["sliced"], ARRAYS["sliced"])  # the entry on disk unchanged


def test_each_out_of_band_array_starts_at_a_multiple_of_the_alignment_in_the_file(tmp_path: Path) -> None:
    blob = encode(secret_key(), "k", [np.arange(n, dtype=np.int8) for n in (1, 63, 64, 65, 0, 130)])
    head = blob.partition(b"\n")[0]
    assert (len(head) + 1) % ALIGN == 0
    layout = json.loads(head[len(MAGIC) + 1:])["layout"]
    assert [size for _, size in layout] == [1, 63, 64, 65, 0, 130]
    assert all(at % ALIGN == 0 for at, _ in layout)
    ends = [at + size for at, size in layout]
    assert all(end <= nxt for end, nxt in zip(ends, [at for at, _ in layout][1:], strict=False))


def _spilled_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: int,
                   **arrays: np.ndarray) -> tuple[Store, dict[str, Any]]:
    """A store holding entry `ab12`: a state of 4 rows spilled to a file (`columns` columns) and `arrays`."""
    monkeypatch.setenv(SPILL_DIR_ENV, str(tmp_path / "spill"))
    spilled = tmp_path / "rows.npy"
    np.save(spilled, np.arange(4 * columns, dtype=np.uint64).reshape(columns, 4))
    store = Store(str(tmp_path / "c"))
    value = {**arrays, "rows": Spilled(str(spilled), 4)}
    store.put("ab12", value, "spilled")
    return store, value


def test_a_state_with_spilled_rows_and_arrays_round_trips_and_a_swapped_copy_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = _spilled_entry(tmp_path, monkeypatch, 3, before=np.arange(5), after=np.arange(3.0))
    loaded = store.get("ab12")
    assert np.array_equal(loaded["before"], np.arange(5)) and np.array_equal(loaded["after"], np.arange(3.0))
    assert loaded["rows"].rows == 4 and np.array_equal(loaded["rows"].column(1), np.arange(4, 8, dtype=np.uint64))
    copy = next(Path(store.path("ab12")).parent.glob("*.spill"))
    other = tmp_path / "other.npy"
    np.save(other, np.arange(12, dtype=np.uint64).reshape(3, 4)[::-1].copy())
    copy.write_bytes(other.read_bytes())  # same length, other rows
    with pytest.raises(SpillMissing, match="does not hold"):
        store.get("ab12")
    copy.unlink()
    copy.symlink_to(tmp_path / "rows.npy")  # the right bytes, behind a link
    with pytest.raises(SpillMissing, match=r"not a regular file|cannot be read"):
        store.get("ab12")


# --- links, FIFOs and the lock ----------------------------------------------------------------------------

def test_an_entry_that_is_a_link_or_fifo_is_neither_followed_nor_waited_on(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    store.put("ab12", {"x": 1}, "real")
    outside = tmp_path / "outside.entry"
    os.replace(store.path("ab12"), outside)  # signed by this key: would verify if followed
    os.symlink(outside, store.path("ab12"))
    with pytest.raises(OSError):
        store.get("ab12")
    store.discard("ab12")
    assert outside.exists() and not os.path.lexists(store.path("ab12"))
    os.mkfifo(store.path("ab12"))
    with pytest.raises(BadEntry, match="not a regular file"):
        store.get("ab12")


def test_a_hard_link_to_a_file_outside_is_replaced_not_written_through(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    os.makedirs(os.path.dirname(store.path("ab12")), exist_ok=True)
    os.link(outside, store.path("ab12"))
    with pytest.raises(BadEntry):
        store.get("ab12")
    store.put("ab12", {"x": np.arange(3)}, "written")
    assert outside.read_text() == "keep me" and np.array_equal(store.get("ab12")["x"], np.arange(3))
    os.unlink(store.path("ab12"))
    os.link(outside, store.path("ab12"))
    os.utime(store.path("ab12"), (1, 1))
    prune(store.directory, 0)
    assert outside.read_text() == "keep me"


def test_a_dangling_entries_link_stops_the_run_cleanly_and_creates_nothing_where_it_points(tmp_path: Path) -> None:
    contract, paths, _ = two_files(tmp_path)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "entries").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    from traingate.errors import UsageError
    with pytest.raises(UsageError, match="--cache"):
        validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache")))
    assert not (tmp_path / "elsewhere").exists()


def test_a_lock_that_is_a_link_creates_nothing_outside_the_cache(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    os.symlink(tmp_path / "outside-made", os.path.join(store.directory, "lock"))
    with suppress(OSError):
        prune(store.directory, None)
    assert not (tmp_path / "outside-made").exists()


def test_a_lock_that_is_a_fifo_does_not_stop_a_bounded_run(tmp_path: Path) -> None:
    contract, paths, _ = two_files(tmp_path)
    (tmp_path / "cache").mkdir()
    os.mkfifo(tmp_path / "cache" / "lock")
    result = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache"), cache_max_bytes=1 << 30))
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]


# --- listing ----------------------------------------------------------------------------------------------

def test_the_label_of_an_entry_with_many_arrays_is_listed(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c"))
    store.put("ab12", [np.arange(i % 7 + 1) for i in range(400)], "many arrays")
    assert len(store.get("ab12")) == 400
    assert [e.label for e in entries(store.directory)] == ["many arrays"]


# --- a write and a prune at once --------------------------------------------------------------------------

def test_an_entry_written_while_prune_evicts_it_is_not_left_without_its_spill_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, value = _spilled_entry(tmp_path, monkeypatch, 2)
    discard, writers = cache_spill.discard_copies, list[threading.Thread]()

    def concurrent_put_then_discard(entry_path: str, keep: Any = frozenset()) -> int:
        if not writers:  # another run writes the entry again right after prune removed it
            writers.append(threading.Thread(target=store.put, args=("ab12", value, "spilled")))
            writers[0].start()
            writers[0].join(timeout=1.0)  # a put that waits for the lock lets prune finish
        return discard(entry_path, keep)

    monkeypatch.setattr(cache_evict, "discard_copies", concurrent_put_then_discard)
    prune(store.directory, 0)
    writers[0].join(timeout=10)
    assert store.get("ab12")["rows"].rows == 4


# --- the row sample merge: the same rows as one pass ------------------------------------------------------

def _smallest(samples: list[RowSample], q: int) -> set[tuple[int, float]]:
    pairs = sorted((int(k), float(v)) for s in samples for k, v in zip(s.keys, s.values, strict=True))
    return set(pairs[:q])


def _sample(keys: np.ndarray) -> RowSample:
    return RowSample(keys.astype(np.uint64), keys.astype(np.float64) * 0.5 + 1)


def test_row_sample_merges_keep_the_smallest_keys_of_both_whatever_the_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    q = 8
    monkeypatch.setattr(stats, "QUANTILE_SAMPLE", q)
    rng = np.random.default_rng(3)
    for _ in range(400):
        pool = rng.permutation(40)[:2 * q]  # distinct keys, interleaved between the sides
        cut = int(rng.integers(0, 2 * q + 1))
        a, b = _sample(pool[:min(cut, q)]), _sample(pool[cut:][:q])
        for merged in (a.merge(b), b.merge(a)):
            got = set(zip(map(int, merged.keys), map(float, merged.values), strict=True))
            assert got == _smallest([a, b], q) and len(merged.keys) == min(q, len(a.keys) + len(b.keys))
            assert merged.keys.dtype == np.uint64 and merged.values.dtype == np.float64
    parts = [_sample(rng.permutation(1000)[:q] + 1000 * i) for i in range(5)]
    left = parts[0].merge(parts[1]).merge(parts[2]).merge(parts[3]).merge(parts[4])
    right = parts[0].merge(parts[1].merge(parts[2].merge(parts[3].merge(parts[4]))))
    one = RowSample()
    for part in parts:
        one.add(part.keys, part.values)
    assert set(left.keys.tolist()) == set(right.keys.tolist()) == set(one.keys.tolist())


def test_a_merged_sample_changed_in_place_does_not_change_the_states_it_came_from(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge may hand one side's arrays on unchanged (views of an entry's bytes): a later add must not write
    into them."""
    monkeypatch.setattr(stats, "QUANTILE_SAMPLE", 4)
    a, b = _sample(np.array([1, 2, 3, 4])), _sample(np.array([10, 11, 12, 13]))
    merged = a.merge(b)
    merged.add(np.array([0], dtype=np.uint64), np.array([9.0]))
    assert a.keys.tolist() == [1, 2, 3, 4] and a.values.tolist() == [1.5, 2.0, 2.5, 3.0]
    assert sorted(merged.keys.tolist()) == [0, 1, 2, 3]


def test_a_merge_of_full_samples_sharing_their_largest_key_stays_full(monkeypatch: pytest.MonkeyPatch) -> None:
    q = 4
    monkeypatch.setattr(stats, "QUANTILE_SAMPLE", q)
    merged = _sample(np.array([1, 2, 3, 7])).merge(_sample(np.array([7, 7, 7, 7])))
    assert len(merged.keys) == q


# --- defence in depth: what a signed payload can do -------------------------------------------------------

def test_a_signed_payload_cannot_create_a_file_through_a_numpy_class(tmp_path: Path) -> None:
    target = tmp_path / "made-by-a-payload"

    class Writes:
        def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
            return (np.memmap, (str(target), "uint8", "w+", 0, (4,)))

    key = secret_key()
    with suppress(BadEntry):
        decode(key, "k", bytearray(encode(key, "k", Writes())))
    assert not target.exists()


def test_a_large_entry_is_read_into_memory_of_its_own_that_its_arrays_may_write(tmp_path: Path) -> None:
    """An entry past MAPPED_BYTES is read into anonymous memory mapped at once: its arrays are the values
    written, writable, and neither a write to them nor the file cut short afterwards reaches the other."""
    from traingate.engine import cache_files

    store, values = Store(str(tmp_path / "c")), np.arange(3 << 18, dtype=np.int64)  # 6 MiB
    assert values.nbytes > cache_files.MAPPED_BYTES
    store.put("ab12", {"values": values}, "large")
    got = store.get("ab12")["values"]
    assert np.array_equal(got, values) and got.flags.writeable
    got[:] = -1  # the state's arrays are changed in place as runs merge them
    assert np.array_equal(store.get("ab12")["values"], values)  # the file is not
    os.truncate(store.path("ab12"), 0)  # a file mapped, not read, would kill the process on the next touch
    assert int(got.sum()) == -values.size
