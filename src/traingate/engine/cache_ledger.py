"""What a run keeps account of in its cache (engine/cache.py, RunCache, builds on it): the store, the files
and each check's key, what it found for each file, the files read, kept and folded again for some checks, the
entries written and its warnings; and the entries it reads and writes. A file's fold is written as soon as
that file is folded, its record last (it is what later runs look up), so a stopped run continues from the
files it finished; a file whose fold under --max-memory sampled or stopped reading is not kept. An entry that
must not be trusted is ignored and one that cannot be written is skipped, each with a warning: the run goes on."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from traingate.data.sources import SourceFile
from traingate.engine.cache_entry import BadEntry
from traingate.engine.cache_evict import prune
from traingate.engine.cache_keys import entry_key, record_key
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
class CacheLedger:
    """What a run keeps account of in its cache, and the entries it reads and writes (see the module's docstring)."""

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
