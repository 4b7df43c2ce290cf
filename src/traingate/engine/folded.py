"""What a fold hands back: one state per check (or why it errored), the shared statistics and the
bookkeeping of the rows read; folds of consecutive parts of the data merge in data order."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from traingate.data.chunk import Span
from traingate.engine.column_types import ColumnTypes
from traingate.engine.faults import FaultLog
from traingate.engine.presence import Presence
from traingate.engine.stats_collector import StatsCollector
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings


@dataclass
class Folded:
    """What a worker hands back: one state per check, the shared statistics and the bookkeeping."""

    states: list[Any]
    errors: list[str | None]
    seconds: list[float]
    stats: Any
    faults: FaultLog = field(default_factory=FaultLog)
    rows_per_file: Counter[int] = field(default_factory=Counter)
    rows: int = 0
    stopped: str | None = None  # why reading stopped before the end of the data
    worker_rss_mib: float = 0.0  # peak resident memory of the largest worker process that folded a part
    memory_actions: list[str] = field(default_factory=list)  # checks that sampled to stay under the limit
    blocks: dict[int, list[Span]] = field(default_factory=dict)  # JSON lines blocks read, by file (second look)
    halvings: int = 0  # times the sampling checks of this fold halved their share
    types: ColumnTypes = field(default_factory=ColumnTypes)  # each column's type, first in data order
    presence: Presence = field(default_factory=Presence)  # the fields checks read that some row holds

    @classmethod
    def empty(cls, validators: list[Validator[Any, Any]]) -> Folded:
        every = any(isinstance(v, ListsFindings) and v.keeps_findings for v in validators)  # the rejected rows
        return cls([v.create_state() for v in validators], [None] * len(validators), [0.0] * len(validators),
                   StatsCollector().create_state(), FaultLog(keep_every=every), types=ColumnTypes(keep_every=every))

    def merge(self, other: Folded, validators: list[Validator[Any, Any]]) -> Folded:
        states = [a if ea else b if eb else v.merge_states(a, b)
                  for v, a, b, ea, eb in zip(validators, self.states, other.states, self.errors, other.errors)]
        return Folded(states, [a or b for a, b in zip(self.errors, other.errors)],
                      [a + b for a, b in zip(self.seconds, other.seconds)],
                      StatsCollector().merge_states(self.stats, other.stats), self.faults.merge(other.faults),
                      self.rows_per_file + other.rows_per_file, self.rows + other.rows, self.stopped or other.stopped,
                      max(self.worker_rss_mib, other.worker_rss_mib), self.memory_actions + other.memory_actions,
                      {i: self.blocks.get(i, []) + other.blocks.get(i, []) for i in self.blocks.keys() | other.blocks},
                      max(self.halvings, other.halvings), self.types.merge(other.types),
                      self.presence.merge(other.presence))
