"""The pass of a run with a cache: only the files (and, within a file, the checks) the cache does not hold are
folded, each file on its own (in this process, or its shards on worker processes, merged when the last of them
is done), and written to the cache as soon as it is; then every file's fold, read or cached, merges in data
order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from traingate.contracts.model import Contract
from traingate.data.sources import SourceFile
from traingate.engine.cache import RunCache
from traingate.engine.cache_prefix import keep_prefix, load_prefix
from traingate.engine.cache_results import look_up_finished
from traingate.engine.executors import Outcome, run_shards
from traingate.engine.fold import fold
from traingate.engine.folded import Folded
from traingate.engine.progress import Progress
from traingate.engine.shards import Shard, numbered, shard_ranges
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings


class Folding:
    """A cached run's pass: what it reads with, and the files folded so far."""

    def __init__(self, contract: Contract, validators: list[Validator[Any, Any]], files: list[SourceFile],
                 columns: set[str], cache: RunCache, progress: Progress, max_rss_mib: float | None) -> None:
        self.contract, self.validators, self.files, self.columns = contract, validators, files, columns
        self.cache, self.progress, self.max_rss_mib = cache, progress, max_rss_mib
        self.fresh: dict[int, Folded] = {}
        self.skips = {i: cache.skip(i) for i in range(len(files))}
        for index in (i for i, skip in self.skips.items() if skip is None):
            progress.advance(files[index].size)

    def due_shards(self, workers: int) -> list[Shard]:
        """The shards of the files to read, cut as if they were the whole data (each worker has several)."""
        due = [i for i, skip in self.skips.items() if skip is not None]
        return [replace(s, file_index=due[s.file_index]) for s in shard_ranges([self.files[i] for i in due], workers)]

    def here(self, index: int, skip: frozenset[int], threads: int = 1) -> None:
        """One file folded alone in this process and written to the cache."""
        self.fresh[index] = fold(self.contract, self.validators, self.files, [Shard(index)], self.columns,
                                 progress=self.progress, max_rss_mib=self.max_rss_mib, threads=threads, skip=skip)
        self.cache.keep(index, self.fresh[index], skip)

    def all_here(self, threads: int) -> None:
        for index, skip in self.skips.items():
            if skip is not None:
                self.here(index, skip, threads)

    def on_workers(self, shards: list[Shard], pool: Any, workers: int, share: float | None) -> tuple[list[str], int]:
        """The due shards on worker processes; a file is merged and cached when its last shard is done (a file
        whose shard failed twice is merged from the shards read, not cached). The failed shards, and the pieces
        of the data: the shards read and the files taken from the cache."""
        due = [s for s in shards if self.skips[s.file_index] is not None]
        cached = sum(skip is None for skip in self.skips.values())
        if not due:
            return [], cached
        ids = [v.check_id for v in self.validators]
        findings = any(isinstance(v, ListsFindings) and v.keeps_findings for v in self.validators)
        tasks = ((self.contract, ids, self.files, shard, self.columns, share, findings, self.skips[shard.file_index])
                 for shard in numbered(self.files, due))
        outcomes, _pairs = run_shards(tasks, "local", workers, None, pool, self._collector(due))
        failed = [f"{s.describe(self.files)}: {o}" for s, o in zip(due, outcomes) if isinstance(o, str)]
        for index in sorted({s.file_index for s in due} - set(self.fresh)):  # retried, or with a failed shard
            parts = [o for s, o in zip(due, outcomes) if s.file_index == index and isinstance(o, Folded)]
            self.fresh[index] = self._merge(parts)
            if len(parts) == sum(s.file_index == index for s in due):
                self.cache.keep(index, self.fresh[index], self.skips[index] or frozenset())
        return failed, len(due) + cached

    def _collector(self, due: list[Shard]) -> Callable[[int, Outcome], None]:
        got: dict[int, Outcome] = {}
        per_file = {i: [k for k, s in enumerate(due) if s.file_index == i] for i in {s.file_index for s in due}}

        def done(k: int, outcome: Outcome) -> None:
            self.progress.advance(due[k].size(self.files))
            got[k] = outcome
            parts = [got.get(j) for j in per_file[due[k].file_index]]
            if all(isinstance(p, Folded) for p in parts):
                index = due[k].file_index
                self.fresh[index] = self._merge([p for p in parts if isinstance(p, Folded)])
                self.cache.keep(index, self.fresh[index], self.skips[index] or frozenset())
        return done

    def finish(self) -> Folded:
        """Files whose sha256 shows a change their size and mtime did not are folded again here, whole; then
        every file's fold, read or cached, merged in data order."""
        for index in self.cache.confirm():
            self.here(index, frozenset())
        look_up_finished(self.cache)
        prefix = load_prefix(self.cache, self._whole())
        start = prefix.files if prefix is not None else 0
        for index, cached in self.cache.load_states(start, set(self.fresh)).items():  # not to be trusted: fold again
            self.here(index, cached)
        self.cache.merged_files = start
        merged = self._merge(([prefix.folded] if prefix is not None else [])
                             + [self.cache.merged(i, self.fresh.get(i)) for i in range(start, len(self.files))])
        complete = self.max_rss_mib is None and all(i in self.cache.kept or i not in self.fresh
                                                    for i in range(len(self.files)))
        kept = keep_prefix(self.cache, merged, prefix, complete)
        merged.states = kept if kept is not None else merged.states
        return merged

    def _whole(self) -> int:
        """How many leading files are cached whole and were not read."""
        count = 0
        while count < len(self.files) and self.skips[count] is None and count not in self.fresh:
            count += 1
        return count

    def _merge(self, parts: list[Folded]) -> Folded:
        merged = Folded.empty(self.validators)
        for part in parts:
            merged = merged.merge(part, self.validators)
        return merged
