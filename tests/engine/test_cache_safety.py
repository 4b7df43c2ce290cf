"""The cache is never trusted blindly: a flipped byte, a truncated entry, another format, another secret or a
payload naming a function is ignored with a warning and folded again; two runs share a cache; a run killed
half way continues; the cache stays under its bound."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.engine.test_cache import comparable, contract_of, drop_entries, two_files, write_parts
from tests.validators.test_merge_law import _rows
from traingate.contracts import Contract
from traingate.engine import cache_entry
from traingate.engine.cache_decode import decode
from traingate.engine.cache_entry import BadEntry, encode
from traingate.engine.cache_evict import entries, prune
from traingate.engine.cache_files import read_entry, secret_key
from traingate.engine.runner import RunOptions, validate

ROOT = Path(__file__).resolve().parents[2]
# checks that read no file besides the data (the merge-law eval set's folder differs in each process)
SHARED_CHECKS = ("  format:\n    - type: max_tokens\n      limit: 5\n    - type: whitespace\n"
                 "  uniqueness:\n    - type: exact_duplicates\n    - type: near_duplicates\n      threshold: 0.5\n"
                 "  compliance:\n    - type: secrets\n")


def _check_entries(cache: Path, what: str = "format.max_tokens") -> list[Path]:
    return [Path(e.path) for e in entries(str(cache)) if e.label.endswith(what)]


def _drop_finished(cache: Path) -> None:
    """The finished results and the files' merged states dropped: each file's own states are loaded."""
    drop_entries(cache, "finished result", "merged state")


def test_a_spoiled_finished_result_is_ignored_and_the_check_finished_from_its_states(tmp_path: Path) -> None:
    contract, paths, cache = two_files(tmp_path)
    validate(contract, paths, options=cache)
    _flip(_check_entries(tmp_path / "cache", "format.max_tokens · finished result")[0])
    result = validate(contract, paths, options=cache)
    assert [w for w in result.warnings if "(finished result) was ignored" in w]
    assert result.dataset.cache is not None and "format.max_tokens" not in result.dataset.cache.finished
    assert len(result.dataset.cache.finished) == len(result.checks) - 1
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]


def _flip(path: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0x01
    path.write_bytes(bytes(blob))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


def _other_format(path: Path) -> None:
    head, _, payload = path.read_bytes().partition(b"\n")
    header = json.loads(head[len(cache_entry.MAGIC) + 1:])
    header["format"] = 999
    path.write_bytes(cache_entry.MAGIC + b" " + json.dumps(header).encode() + b"\n" + payload)


def _other_layout(path: Path) -> None:
    """The arrays' offsets moved within the signed bytes (the header line is not signed; its layout is)."""
    head, _, payload = path.read_bytes().partition(b"\n")
    header = json.loads(head[len(cache_entry.MAGIC) + 1:])
    header["layout"] = [[at, size - cache_entry.ALIGN] for at, size in header["layout"]] or [[0, 1]]
    path.write_bytes(cache_entry.MAGIC + b" " + json.dumps(header).encode() + b"\n" + payload)


def _other_secret(path: Path) -> None:
    key = path.read_bytes().partition(b"\n")[0]
    header = json.loads(key[len(cache_entry.MAGIC) + 1:])
    path.write_bytes(encode(b"x" * 32, header["key"], {"forged": True}))


@pytest.mark.parametrize("spoil", [_flip, _truncate, _other_format, _other_layout, _other_secret])
def test_a_spoiled_entry_is_ignored_with_a_warning_and_folded_again(spoil: object, tmp_path: Path) -> None:
    contract, paths, cache = two_files(tmp_path)
    validate(contract, paths, options=cache)
    _drop_finished(tmp_path / "cache")  # so that the states are loaded
    spoiled = _check_entries(tmp_path / "cache")[0]
    spoil(spoiled)  # type: ignore[operator]
    result = validate(contract, paths, options=cache)
    assert [w for w in result.warnings if "was ignored and folded again" in w and "format.max_tokens" in w]
    assert result.dataset.cache is not None
    assert sum(checks == ["format.max_tokens"] for checks in result.dataset.cache.refolded.values()) == 1
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]
    assert validate(contract, paths, options=cache).warnings == []  # written again, whole


@pytest.mark.parametrize("spoil", [_flip, _truncate, _other_secret])
def test_a_spoiled_merged_state_is_ignored_and_each_files_states_are_merged(spoil: object, tmp_path: Path) -> None:
    contract, paths, cache = two_files(tmp_path)
    validate(contract, paths, options=cache)
    drop_entries(tmp_path / "cache", "finished result")
    spoil(_check_entries(tmp_path / "cache", "format.max_tokens · merged state")[0])  # type: ignore[operator]
    result = validate(contract, paths, options=cache)
    assert [w for w in result.warnings if "merged state of the first 2 files · format.max_tokens" in w
            and "was ignored" in w]
    assert result.dataset.cache is not None and result.dataset.cache.merged_files == 0
    assert result.dataset.cache.read_files == []  # each file's own entries stood in for it
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]
    drop_entries(tmp_path / "cache", "finished result")
    again = validate(contract, paths, options=cache)  # written again by the run that could not use it
    assert again.warnings == [] and again.dataset.cache is not None and again.dataset.cache.merged_files == 2


def test_a_planted_entry_of_gigabytes_is_refused_after_its_first_line(tmp_path: Path) -> None:
    contract, paths, cache = two_files(tmp_path)
    validate(contract, paths, options=cache)
    _drop_finished(tmp_path / "cache")
    planted = _check_entries(tmp_path / "cache")[0]
    head = planted.read_bytes().partition(b"\n")[0] + b"\n"  # its own header: the length it gives is not the file's
    with planted.open("wb") as out:
        out.write(head)
        out.truncate(8 << 30)  # 8 GiB, sparse: read whole, it would take that much memory
    with pytest.raises(BadEntry, match="bytes, where its header gives"):
        read_entry(str(planted))
    result = validate(contract, paths, options=cache)
    assert [w for w in result.warnings if "format.max_tokens" in w and "where its header gives" in w]
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]


def test_entry_folders_that_are_symbolic_links_are_neither_followed_nor_pruned(tmp_path: Path) -> None:
    contract, paths, cache = two_files(tmp_path)
    validate(contract, paths, options=cache)
    _drop_finished(tmp_path / "cache")
    elsewhere = tmp_path / "elsewhere"
    folder = _check_entries(tmp_path / "cache")[0].parent
    folder.rename(elsewhere)  # its entries, signed by this user's key, now outside the cache
    folder.symlink_to(elsewhere, target_is_directory=True)
    held = sorted(p.name for p in elsewhere.iterdir())
    result = validate(contract, paths, options=cache)
    assert [w for w in result.warnings if "is a symbolic link" in w]
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]
    assert sorted(p.name for p in elsewhere.iterdir()) == held  # nothing written or removed there
    prune(str(tmp_path / "cache"), 0)
    assert sorted(p.name for p in elsewhere.iterdir()) == held
    validate(contract, paths, options=cache)  # the other folders filled again
    top = tmp_path / "cache" / "entries"
    top.rename(tmp_path / "moved")
    top.symlink_to(tmp_path / "moved", target_is_directory=True)
    moved = sorted(str(p) for p in (tmp_path / "moved").rglob("*"))
    assert [p for p in moved if p.endswith(".entry")]
    assert entries(str(tmp_path / "cache")) == []
    prune(str(tmp_path / "cache"), 0)
    assert sorted(str(p) for p in (tmp_path / "moved").rglob("*")) == moved


def test_arrays_load_in_place_writable_and_equal_to_those_written() -> None:
    import numpy as np

    key, value = secret_key(), {"keys": np.arange(1000, dtype=np.uint64), "odd": np.arange(7, dtype=np.int8),
                                "columns": np.arange(12.0).reshape(3, 4).T}
    blob = bytearray(encode(key, "k", value))
    loaded = decode(key, "k", blob)
    for name, array in value.items():
        assert np.array_equal(loaded[name], array) and loaded[name].dtype == array.dtype
    assert loaded["keys"].flags.writeable and np.shares_memory(loaded["keys"], np.frombuffer(blob, np.uint8))
    assert (loaded["keys"].ctypes.data - np.frombuffer(blob, np.uint8).ctypes.data) % cache_entry.ALIGN == 0
    assert all(a.flags.aligned for a in loaded.values())
    loaded["keys"][0] = 5  # a state may be changed in place by a merge
    swapped = encode(key, "k", {"a": np.arange(8), "b": np.arange(8) + 100})  # two arrays of one size
    head, _, payload = swapped.partition(b"\n")
    header = json.loads(head[len(cache_entry.MAGIC) + 1:])
    header["layout"].reverse()  # each a valid array: only the signature tells
    with pytest.raises(BadEntry, match="checksum"):
        decode(key, "k", cache_entry.MAGIC + b" " + json.dumps(header).encode() + b"\n" + payload)


def test_a_payload_naming_a_function_is_refused_even_when_signed(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo owned",))

    key = secret_key()
    payload = pickle.dumps(Evil())
    header = {"format": cache_entry.FORMAT, "key": "k", "bytes": len(payload), "hmac": cache_entry.entry_mac(key, "k", payload)}
    blob = cache_entry.MAGIC + b" " + json.dumps(header).encode() + b"\n" + payload
    with pytest.raises(BadEntry, match=r"(posix|os)\.system"):
        decode(key, "k", blob)
    numpy_load = pickle.dumps(__import__("numpy").load)
    header.update(bytes=len(numpy_load), hmac=cache_entry.entry_mac(key, "k", numpy_load))
    with pytest.raises(BadEntry, match="numpy"):
        decode(key, "k", cache_entry.MAGIC + b" " + json.dumps(header).encode() + b"\n" + numpy_load)


def test_the_key_is_private_and_one_others_can_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINGATE_CACHE_KEY_FILE", str(tmp_path / "keys" / "cache.key"))
    secret_key()
    assert (tmp_path / "keys" / "cache.key").stat().st_mode & 0o777 == 0o600
    os.chmod(tmp_path / "keys" / "cache.key", 0o644)
    with pytest.raises(PermissionError, match="0600"):
        secret_key()
    monkeypatch.setenv("TRAINGATE_CACHE_KEY", "short")
    with pytest.raises(PermissionError, match="16 characters"):
        secret_key()


def test_a_cache_copied_from_elsewhere_brings_no_key_and_is_not_trusted(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A poisoned cache restored in CI must not carry what makes it verify: the key is outside the directory,
    so entries signed with another key are ignored and folded again, and the result is the uncached one."""
    contract, paths, cache = two_files(tmp_path)
    monkeypatch.setenv("TRAINGATE_CACHE_KEY", "the attacker's key, 32 characters")
    validate(contract, paths, options=cache)  # written under another key
    assert not list((tmp_path / "cache").rglob("secret")) and not list((tmp_path / "cache").rglob("*.key"))
    monkeypatch.setenv("TRAINGATE_CACHE_KEY", "the team's own key of 32 characters")
    result = validate(contract, paths, options=cache)
    assert result.warnings and all("checksum does not match" in w for w in result.warnings)
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]
    assert validate(contract, paths, options=cache).warnings == []  # written again under the team's key


def test_a_signed_payload_never_imports_a_module(tmp_path: Path) -> None:
    """Resolving a class must not import its module: `traingate.__main__` would start the command line (and
    its SystemExit end the run) before any check of what it names."""
    key = secret_key()
    for module, name in (("traingate.__main__", "main"), ("numpy.f2py.__main__", "main"),
                         ("traingate.not_imported_here", "Thing")):
        payload = b"\x80\x04\x95" + (len(module) + len(name) + 4).to_bytes(8, "little") + b"\x8c" + \
            bytes([len(module)]) + module.encode() + b"\x8c" + bytes([len(name)]) + name.encode() + b"\x93."
        header = {"format": cache_entry.FORMAT, "key": "k", "bytes": len(payload),
                  "hmac": cache_entry.entry_mac(key, "k", payload)}
        blob = cache_entry.MAGIC + b" " + json.dumps(header).encode() + b"\n" + payload
        with pytest.raises(BadEntry, match="not imported"):
            decode(key, "k", blob)
        assert module not in sys.modules


def test_an_edit_of_the_code_keys_new_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An editable install keeps its version number when a check's code changes: the keys hold a digest of
    the code, so what the old code folded is not reused."""
    from traingate.engine import cache_keys

    contract, paths, cache = two_files(tmp_path)
    validate(contract, paths, options=cache)
    cached = validate(contract, paths, options=cache).dataset.cache
    assert cached is not None and cached.read_files == [] and len(cached.cached_files) == 2
    monkeypatch.setattr(cache_keys, "code_digest", lambda: "another build of the code")
    again = validate(contract, paths, options=cache).dataset.cache
    assert again is not None and again.cached_files == [] and len(again.read_files) == 2


def test_the_cache_keeps_under_its_bound_removing_the_least_recently_used(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 60), 2)
    validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache")))
    stored = entries(str(tmp_path / "cache"))
    total = sum(e.bytes for e in stored)
    oldest = stored[0]
    os.utime(oldest.path, (1, 1))
    removed, freed = prune(str(tmp_path / "cache"), total - 1)
    assert removed == 1 and freed == oldest.bytes and not os.path.exists(oldest.path)
    bounded = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache"), cache_max_bytes=100_000))
    assert sum(e.bytes for e in entries(str(tmp_path / "cache"))) <= 100_000
    assert bounded.gate.verdict == validate(contract, paths).gate.verdict
    assert prune(str(tmp_path / "cache"), None)[0] > 0 and entries(str(tmp_path / "cache")) == []


RUN = textwrap.dedent("""
    import json, os, signal, sys
    from tests.engine.test_cache import contract_of
    from traingate.engine import cache as cache_module
    from traingate.engine.runner import RunOptions, validate

    folder, kill_after = sys.argv[1], int(sys.argv[2])
    checks = open(os.path.join(folder, "checks.yaml")).read()
    paths = json.loads(open(os.path.join(folder, "paths.json")).read())
    if kill_after:
        keep, kept = cache_module.RunCache.keep, []
        def keep_then_die(self, index, folded, skip):
            keep(self, index, folded, skip)
            kept.append(index)
            if len(kept) == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        cache_module.RunCache.keep = keep_then_die
    result = validate(contract_of("sft", __import__("pathlib").Path(folder), checks), paths,
                      options=RunOptions(cache=os.path.join(folder, "cache")))
    print(json.dumps({"warnings": result.warnings, "read": result.dataset.cache.read_files}))
""")


def _six_files(folder: Path) -> tuple[Contract, list[str]]:
    """120 rows in six files, with the paths and checks written where the RUN script reads them."""
    paths = write_parts(folder, _rows("sft", 120), 6)
    (folder / "paths.json").write_text(json.dumps(paths))
    (folder / "checks.yaml").write_text(SHARED_CHECKS)
    return contract_of("sft", folder, SHARED_CHECKS), paths


def _run(folder: Path, kill_after: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", RUN, str(folder), str(kill_after)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_a_run_killed_half_way_continues_from_the_files_it_finished(tmp_path: Path) -> None:
    contract, paths = _six_files(tmp_path)
    killed = _run(tmp_path, kill_after=3)
    killed.communicate(timeout=300)
    assert killed.returncode == -signal.SIGKILL
    resumed = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache")))
    files = [p.split("=", 1)[1] for p in paths]
    assert resumed.dataset.cache is not None
    assert resumed.dataset.cache.cached_files == files[:3] and resumed.dataset.cache.read_files == files[3:]
    assert comparable(resumed) == comparable(validate(contract, paths))


@pytest.mark.slow
def test_two_runs_sharing_a_cache_at_once_leave_it_whole(tmp_path: Path) -> None:
    contract, paths = _six_files(tmp_path)
    runs = [_run(tmp_path), _run(tmp_path)]
    outs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outs]
    assert [json.loads(out.splitlines()[-1])["warnings"] for out, _ in outs] == [[], []]
    third = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache")))
    assert third.warnings == [] and third.dataset.cache is not None and third.dataset.cache.read_files == []
    assert comparable(third) == comparable(validate(contract, paths))
    assert not [p for p in (tmp_path / "cache").rglob(".tmp-*")]
