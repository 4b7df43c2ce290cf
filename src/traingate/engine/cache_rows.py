"""The rows the second look reads again, kept in the cache per file: the checks of a run over data that changed
must be finished again, and most of the rows they show (the largest duplicate clusters, the first failing rows)
are in files that did not change, which an earlier run read again already. A row's record is a function of its
file's content, the columns read and the block it is parsed in (pyarrow infers a block's types), so the entry is
keyed by the file's entry key (its sha256 and place), the shared part's key (the columns, the dataset section,
the code), the blocks of the file the run knows and the longest line parsed whole: a row is then what reading
it again would give. Only files of JSON lines read in blocks (the others are read from their start, in chunks
the reader chooses) and only files the cache holds (not one whose fold let memory go) keep rows. Only the rows
not kept are read; each file's entry holds the rows its latest runs asked for."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from traingate.data.chunk import Span, max_line_bytes
from traingate.data.lookup import fetch_rows
from traingate.data.rowids import split_row_id
from traingate.data.sources import SourceFile
from traingate.engine.cache import RunCache
from traingate.engine.cache_keys import digest

KEPT_ROWS = 1000  # at most this many rows in a file's entry: past it, only the rows the run asked for


class KeptRows:
    """`fetch_rows` for the second look of a run with a cache: rows kept by earlier runs, the rest read."""

    def __init__(self, cache: RunCache) -> None:
        self.cache = cache

    def __call__(self, files: list[SourceFile], columns: set[str] | None, wanted: set[int],
                 blocks: dict[int, list[Span]] | None = None) -> dict[int, dict[str, Any]]:
        by_file: dict[int, set[int]] = defaultdict(set)
        for row_id in wanted:
            by_file[split_row_id(row_id)[0]].add(row_id)
        keys = {index: self._key(index, columns, (blocks or {}).get(index)) for index in by_file}
        kept = {index: self._kept(index, key) for index, key in keys.items()}
        missing = {row_id for index, ids in by_file.items() for row_id in ids - kept[index].keys()}
        read = fetch_rows(files, columns, missing, blocks) if missing else {}
        found: dict[int, dict[str, Any]] = {}
        for index, ids in sorted(by_file.items()):
            new = {row_id: row for row_id, row in read.items() if row_id in ids}
            if new and keys[index] is not None:
                rows = kept[index] if len(kept[index]) + len(new) <= KEPT_ROWS else \
                    {i: r for i, r in kept[index].items() if i in ids}
                self.cache.keep_entry(str(keys[index]), rows | new, f"{files[index].path} · rows read again")
            found.update({row_id: row for row_id, row in kept[index].items() if row_id in ids} | new)
        return found

    def _key(self, index: int, columns: set[str] | None, spans: list[Span] | None) -> str | None:
        """The entry's key; None for a file whose rows are read, not kept: one the cache does not hold, one
        without blocks, or one whose sha256 the run does not have."""
        if not spans or (index not in self.cache.found and index not in self.cache.kept):
            return None
        try:
            sha = self.cache.hashes[index].result()
        except Exception:
            return None
        placed = [(s.first_line, s.start, s.end) for s in sorted(spans, key=lambda s: s.first_line)]
        part = digest("rows", self.cache.shared, None if columns is None else sorted(columns), placed,
                      max_line_bytes())  # a block past it is parsed line by line
        return self.cache.key_of(index, sha, "rows", part)

    def _kept(self, index: int, key: str | None) -> dict[int, dict[str, Any]]:
        if key is None:
            return {}
        kept = self.cache.entry(key, self.cache.files[index], "rows read again")
        if not isinstance(kept, dict) or not all(isinstance(r, dict) for r in kept.values()):
            return {}
        return kept
