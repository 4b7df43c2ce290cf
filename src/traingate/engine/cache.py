"""The cache of a run (`validate --cache DIR`): which files' states can be taken from it, and each file's
states written to it as soon as that file is folded (so a stopped run continues from the files it finished;
what the run keeps account of and the entries it writes: cache_ledger.py).

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
from typing import Any

from traingate.contracts.model import Contract
from traingate.data.sources import SourceFile
from traingate.engine.cache_keys import check_keys, identity, record_key, same_file, settled, shared_key
from traingate.engine.cache_ledger import CacheLedger, Found
from traingate.engine.cache_store import Store
from traingate.engine.folded import Folded
from traingate.validators.common.base import Validator


class RunCache(CacheLedger):
    """A run's cache: the files whose entries it holds, confirmed by their sha256, and their states taken from it."""

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



def open_cache(directory: str, contract: Contract, validators: list[Validator[Any, Any]], columns: set[str],
               files: list[SourceFile], max_bytes: int | None, hands_on: bool, verify: bool = False) -> RunCache:
    cache = RunCache(Store(directory), validators, files, check_keys(contract, validators, columns),
                     shared_key(contract, validators, columns), max_bytes, verify, hands_on=hands_on)
    cache.look_up()
    return cache


Keep = Callable[[int, Folded, frozenset[int]], None]
