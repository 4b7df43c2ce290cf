"""A rich progress bar on a terminal, nothing in CI or when output is piped."""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any

from traingate.data.sources import SourceFile


class Progress:
    def __init__(self, enabled: bool, files: list[SourceFile]):
        self.enabled = enabled and sys.stderr.isatty() and not os.environ.get("CI")
        self._bar: Any = None
        self._task: Any = None
        self._raw: Any = None
        self._size = 0
        self._done_bytes = 0
        self._rows = 0
        self._total = sum(f.size for f in files) or None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("[bold]validating"), BarColumn(), DownloadColumn(),
                            TextColumn("{task.fields[rows]:,} rows"), TimeRemainingColumn(), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("read", total=self._total, rows=0)
        return self

    def start_file(self, source: SourceFile, raw: Any) -> None:
        if self._raw is not None:
            self._done_bytes += self._size
        self._raw, self._size = raw, source.size

    def update(self, rows: int) -> None:
        self._rows += rows
        if self._bar is not None:
            try:
                position = self._raw.tell()
            except (OSError, AttributeError, ValueError):
                position = 0
            self._bar.update(self._task, completed=self._done_bytes + position, rows=self._rows)

    def advance(self, nbytes: int) -> None:
        """A shard folded elsewhere (a worker process or Ray) is done."""
        self._done_bytes += nbytes
        if self._bar is not None:
            self._bar.update(self._task, completed=self._done_bytes)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)
