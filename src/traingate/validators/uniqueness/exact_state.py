"""What exact_duplicates holds per row and how its states meet: 24 bytes a row (its content key, row id and,
with prompt fields, prompt key; 16 without), split by prompt (or content) key so that under `--max-memory`
they are written to disk and grouped one part at a time at the end (validators/common/partitioned.py), beside
the keep rule's values; and the forms the cache keeps: a file's rows sorted with its content keys beside them
(runs.py), or the leading files' rows summarised (ranked.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from traingate.data.spill import Rows
from traingate.validators.common.findings import Findings
from traingate.validators.common.partitioned import Partitioned
from traingate.validators.uniqueness.ranked import Kept, summarised
from traingate.validators.uniqueness.runs import sort_rows

PROMPT_FIELDS = ("context", "prompt")


@dataclass
class KeyState:
    rows: int = 0
    table: Partitioned = field(default_factory=Partitioned)  # row key, row id[, prompt key]
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    findings: Findings = field(default_factory=Findings)  # every clustered row, set by finalize
    values: Rows = field(default_factory=Rows)  # row id, the keep rule's value (a rule other than first)
    key_runs: dict[int, np.ndarray] = field(default_factory=dict)  # file index -> its content keys, sorted (cache)
    kept: Kept | None = None  # the rows of the cache's leading files, summarised (ranked.py), beside `table`

    def merge(self, other: KeyState) -> KeyState:
        kept = self.kept.merge(other.kept) if self.kept is not None and other.kept is not None else self.kept or other.kept
        return KeyState(self.rows + other.rows, self.table.merge(other.table), {**self.files, **other.files},
                        values=self.values.merge(other.values), key_runs={**self.key_runs, **other.key_runs}, kept=kept)

    def sorted_runs(self, prompts: bool) -> KeyState:
        """The state as the cache keeps it: its rows sorted by prompt key and row id (with `prompts`), and its
        content keys sorted beside them, so that a later run merges the files' sorted runs rather than sorting
        all rows (validators/uniqueness/runs.py)."""
        if self.table.memory and not self.table.parts:
            table = np.concatenate(self.table.memory)
            self.table.memory = [sort_rows(table) if prompts else table]
            if len(self.files) == 1:
                self.key_runs = {next(iter(self.files)): np.sort(table[:, 0])}
        return self

    def summary(self, prompts: bool) -> KeyState:
        """The state as the cache keeps it for a run's leading files: its rows summarised (ranked.py), so that a
        run over those files and more looks the new rows' keys up in it rather than grouping every row again."""
        kept = summarised(self.table, prompts)
        return KeyState(self.rows, Partitioned(by=self.table.by), dict(self.files),
                        kept=self.kept.merge(kept) if self.kept is not None else kept)
