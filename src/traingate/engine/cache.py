"""The cache of a run (`validate --cache DIR`): which files' states can be taken from it, and each file's
states written to it as soon as that file is folded (so a stopped run continues from the files it finished).

A file's entries: its record (size, mtime or etag and version, sha256), the shared part of its fold
(statistics, presence, types, faults, rows, the JSON lines blocks read) and one entry per check (its state
after folding that file alone). Folds of single files merge in data order, as the folds of shards do, so a run
that takes every state from the cache gives the result of a run that reads everything. Row ids carry the file's
index (data/rowids.py): an entry is valid at that index only, which is in its key. A state that spilled rows to
disk keeps its spill files beside its entry (cache_spill.py). A file whose fold under --max-memory sampled or
stopped reading is not cached: a sampled state is not the file's whole state."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from traingate.contracts.model import Contract
from traingate.data.sources import SourceFile
from traingate.engine.cache_entry import BadEntry
from traingate.engine.cache_evict import prune
from traingate.engine.cache_keys import check_keys, entry_key, identity, record_key, same_file, settled, shared_key
from traingate.engine.cache_store import Store
from traingate.engine.folded import Folded
from traingate.validators.common.base import Validator

SHARED = ("stats", "faults", "rows_per_file", "rows", "blocks", "types", "presence")


@dataclass
class Found:
    """What the cache holds for one file, before its sha256 confirms it (or, `trusted`, in its place)."""

    sha256: str
    trusted: bool = False  # the file's stat is the record's, settled: its sha256 is the record's, not hashed
    renew: bool = True  # the record's identity is not the file's, or had not settled: write it again once confirmed
    shared: bool = False  # it holds the shared part (loaded with the states: `shared_part`)
    part: dict[str, Any] | None = None  # the shared part, once loaded
    checks: set[int] = field(default_factory=set)  # the checks whose entries it holds, loaded when needed
    states: dict[int, Any] = field(default_factory=dict)  # check index -> state, as loaded


@dataclass
class RunCache:
    store: Store
    validators: list[Validator[Any, Any]]
    files: list[SourceFile]
    checks: list[str]  # each check's key
    shared: str  # the shared part's key
    max_bytes: int | None = None
    verify: bool = False  # --cache-verify: every file hashed, its stat not trusted for its content
    hashes: list[Future[str]] = field(default_factory=list)  # each file's sha256 (digests())
    seen: list[tuple[dict[str, Any], bool]] = field(default_factory=list)  # each file's identity, settled
    found: dict[int, Found] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    read: set[int] = field(default_factory=set)  # files folded in this run
    kept: set[int] = field(default_factory=set)  # files folded in this run and written to the cache
    refolded: dict[int, list[str]] = field(default_factory=dict)  # files read for some checks only
    written: int = 0
    finished_from_cache: list[str] = field(default_factory=list)  # checks whose result came from the cache
    hands_on: bool = False  # the run hands its states on (evidence, rejects): every state is needed
    finished: dict[int, Any] = field(default_factory=dict)  # check index -> finished result kept (cache_results.py)
    merged_files: int = 0  # the leading files whose states came merged in one entry per check (cache_prefix.py)

    def look_up(self) -> None:
        """Each file's identity, taken before it is hashed (a change after it shows in the next run's), and
        the entries of the files whose record it matches."""
        for index, source in enumerate(self.files):
            at, now = time.time_ns(), identity(source)
            self.seen.append((now, settled(now, at)))
            record = self.entry(record_key(source, index), source, "record")
            if not isinstance(record, dict) or not same_file(record.get("identity"), now):
                continue
            steady = record.get("settled") is True and record.get("identity") == now
            found = Found(str(record.get("sha256")), steady and not self.verify, not steady)
            found.shared = self.store.has(self.key_of(index, found.sha256, "shared", self.shared))
            found.checks = {c for c, key in enumerate(self.checks) if self.store.has(self.key_of(index, found.sha256,
                                                                                               "check", key))}
            self.found[index] = found

    def load_states(self, start: int, fresh: set[int]) -> dict[int, frozenset[int]]:
        """The states of the checks whose finished result the cache does not hold, and the shared part of the
        files not read (`fresh` those read), loaded and checked, from the file at `start` on (those before it
        came merged: cache_prefix.py); the files with an entry that must not be trusted, each with the checks
        still cached (to fold the rest)."""
        spoiled = {}
        for index, found in ((i, f) for i, f in self.found.items() if i >= start):
            if index not in fresh and self.shared_part(index) is None:
                spoiled[index] = frozenset(found.checks)
            for check in sorted(found.checks - set(self.finished)):
                key = self.key_of(index, found.sha256, "check", self.checks[check])
                state = self.entry(key, self.files[index], self.validators[check].check_id)
                if state is None:
                    found.checks.discard(check)
                    spoiled[index] = frozenset(found.checks)
                else:
                    found.states[check] = state
        return spoiled

    def skip(self, index: int) -> frozenset[int] | None:
        """The checks not to fold on this file; None when nothing of it needs reading."""
        found = self.found.get(index)
        if found is None:
            return frozenset()
        if found.shared and len(found.checks) == len(self.validators):
            return None
        return frozenset(found.checks)

    def digests(self, submit: Callable[[SourceFile], Future[str]]) -> list[Future[str]]:
        """Each file's sha256: the record's for a file its stat vouches for, else hashed (`submit`)."""
        for index, source in enumerate(self.files):
            found = self.found.get(index)
            if found is not None and found.trusted:
                known: Future[str] = Future()
                known.set_result(found.sha256)
                self.hashes.append(known)
            else:
                self.hashes.append(submit(source))
        return self.hashes

    def confirm(self) -> list[int]:
        """Files whose content is not what their record says (changed with the same size and mtime): their
        entries are dropped and they must be read whole. A file hashed and found unchanged whose stat has
        settled since its record was written gets a new record, so the next run need not hash it."""
        hashed = [i for i, found in self.found.items() if not found.trusted]
        changed = [i for i in hashed if self.hashes[i].result() != self.found[i].sha256]
        for index in changed:
            self.warnings.append(f"cache: {self.files[index].path} changed without a new size or mtime; read again")
            del self.found[index]
        for index in (i for i in hashed if i not in changed and self.found[i].renew and self.seen[i][1]
                      and i not in self.read):
            self._record(index)
        return changed

    def merged(self, index: int, fresh: Folded | None) -> Folded:
        """The file's fold: what was read now, with the states the cache held."""
        found = self.found.get(index)
        out = fresh if fresh is not None else Folded.empty(self.validators)
        if found is not None:
            shared = self.shared_part(index) if fresh is None else None
            for name, value in (shared or {}).items():
                setattr(out, name, value)
            for check, state in found.states.items():
                out.states[check] = state
            if fresh is not None and found.checks:
                self.refolded[index] = [v.check_id for i, v in enumerate(self.validators) if i not in found.checks]
        return out

    def shared_part(self, index: int) -> dict[str, Any] | None:
        """The shared part of a cached file's fold, loaded once; None when it must not be trusted."""
        found = self.found[index]
        if found.shared and found.part is None:
            part = self.entry(self.key_of(index, found.sha256, "shared", self.shared), self.files[index], "shared part")
            found.part = part if isinstance(part, dict) else None
            found.shared = found.part is not None
        return found.part

    def keep(self, index: int, folded: Folded, skip: frozenset[int]) -> None:
        """The file's fresh fold written to the cache, its record last (it is what later runs look up)."""
        source = self.files[index]
        self.read.add(index)
        if folded.stopped or folded.halvings:
            self.warnings.append(f"cache: {source.path} not cached: under --max-memory its fold kept a share of "
                                 "the rows or stopped reading (a cached state must be the whole file's)")
            return
        sha = self.hashes[index].result()
        shared = {name: getattr(folded, name) for name in SHARED}
        self.keep_entry(self.key_of(index, sha, "shared", self.shared), shared, f"{source.path} · shared")
        for check, key in enumerate(self.checks):
            if check not in skip and folded.errors[check] is None:
                kept = getattr(self.validators[check], "cached_form", None)  # a form that is quicker to finish
                state = kept(folded.states[check]) if callable(kept) else folded.states[check]
                label = f"{source.path} · {self.validators[check].check_id}"
                self.keep_entry(self.key_of(index, sha, "check", key), state, label)
        self._record(index)
        self.kept.add(index)

    def _record(self, index: int) -> None:
        """The file's record: its identity taken before it was hashed, whether that can stand for the hash
        (settled), and its sha256. Written last: it is what later runs look up."""
        source, (now, steady) = self.files[index], self.seen[index]
        self.keep_entry(record_key(source, index), {"identity": now, "settled": steady, "sha256": self.hashes[index].result()},
                  f"{source.path} · record")

    def result(self, key: str) -> Any:
        """A check's finished result kept by an earlier run over the same data (cache_results.py)."""
        return self.entry(key, self.files[0] if self.files else None, "finished result")

    def keep_result(self, key: str, result: dict[str, Any], check_id: str) -> None:
        self.keep_entry(key, result, f"run · {check_id} · finished result")

    def close(self) -> None:
        if self.max_bytes is not None:
            try:
                prune(self.store.directory, self.max_bytes)
            except OSError as exc:  # the run's result stands; the cache stays over its bound until the next prune
                self.warnings.append(f"cache: not pruned to --cache-max: {exc}")

    def key_of(self, index: int, sha: str, part: str, key: str) -> str:
        """The key of an entry of the file at `index` with sha256 `sha` (cache_rows.py keeps rows by it)."""
        return entry_key(sha, self.files[index], index, f"{part}:{key}")

    def entry(self, key: str, source: SourceFile | None, what: str) -> Any:
        """An entry's value; None when there is none or it must not be trusted (with a warning)."""
        try:
            return self.store.get(key)
        except FileNotFoundError:
            return None
        except (BadEntry, OSError) as exc:
            of = f"the entry of {source.path} ({what})" if source is not None else f"the entry ({what})"
            self.warnings.append(f"cache: {of} was ignored and folded again: {exc}")
            self.store.discard(key)
            return None

    def keep_entry(self, key: str, value: Any, label: str) -> None:
        try:
            self.store.put(key, value, label)
            self.written += 1
        except OSError as exc:
            self.warnings.append(f"cache: {label} could not be written: {exc}")


def open_cache(directory: str, contract: Contract, validators: list[Validator[Any, Any]], columns: set[str],
               files: list[SourceFile], max_bytes: int | None, hands_on: bool, verify: bool = False) -> RunCache:
    cache = RunCache(Store(directory), validators, files, check_keys(contract, validators, columns),
                     shared_key(contract, validators, columns), max_bytes, verify, hands_on=hands_on)
    cache.look_up()
    return cache


Keep = Callable[[int, Folded, frozenset[int]], None]
