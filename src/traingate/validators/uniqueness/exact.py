"""Exact duplicates after normalisation. State: 24 bytes per row (row key, row id, prompt key); under
memory pressure (`--max-memory`) the rows are written to disk split by prompt (or content) key, and read
back and grouped one part at a time at the end (validators/common/partitioned.py): the counts stay exact.
What the check holds per row is in exact_state.py; its details and message in exact_result.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain, SpillsRows
from traingate.validators.common.keep import (
    KEEP_DESCRIPTION,
    KeepRule,
    add_values,
    duplicate_findings,
    kept_rows,
    rule_columns,
    rule_reads,
    rule_values,
)
from traingate.validators.common.normalize import content_fields, row_keys
from traingate.validators.common.options import DEFAULT_NORMALISATION, Normalisation
from traingate.validators.common.partitioned import Partitioned
from traingate.validators.common.registry import check
from traingate.validators.common.thresholds import judge
from traingate.validators.uniqueness.exact_result import ExactDuplicatesDetails, exact_details, exact_message
from traingate.validators.uniqueness.exact_state import PROMPT_FIELDS, KeyState
from traingate.validators.uniqueness.ranked import Ranked, from_rows, from_summary
from traingate.validators.uniqueness.shown import describe_cluster


class ExactDuplicatesCheck(CheckConfig):
    summary: ClassVar[str] = "rows whose fields are equal after normalisation; clusters and prompt-only repeats"
    type: Literal["exact_duplicates"]
    on: list[str] | None = Field(None, description="Logical fields compared; default the kind's content fields.")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(DEFAULT_NORMALISATION),
                                           description="Applied before comparing: case, whitespace, unicode, punctuation.")
    top_clusters: int = Field(10, ge=0, le=100, description="Largest clusters listed in the report.")
    keep: KeepRule = Field("first", description=KEEP_DESCRIPTION)


@check("exact_duplicates", group="uniqueness", options=ExactDuplicatesCheck, details=ExactDuplicatesDetails)
class ExactDuplicatesValidator(Validator[ExactDuplicatesCheck, KeyState], SpillsRows[KeyState], LooksAgain[KeyState],
                               ListsFindings[KeyState]):
    spills = "rows' keys"
    _grouped: tuple[KeyState, tuple[Ranked, Ranked]] | None = None

    def fields(self) -> list[str]:
        return content_fields(self.spec.kind, self.spec.fields, self.config.on)

    def prompt_fields(self) -> list[str]:
        fields = self.fields()
        prompt = [f for f in PROMPT_FIELDS if f in fields]
        return prompt if prompt and len(prompt) < len(fields) else []

    def columns(self) -> set[str]:
        return super().columns() | rule_columns(self.config.keep)

    def reads_columns(self) -> list[str]:
        return rule_reads(self.config.keep)

    def create_state(self) -> KeyState:
        return KeyState(table=Partitioned(by=2 if self.prompt_fields() else 0))  # rows sharing a prompt share a part

    def add_batch(self, state: KeyState, batch: BatchContext) -> KeyState:
        steps = self.config.normalize
        every = np.arange(batch.num_rows)
        columns = [row_keys(batch, self.fields(), steps), batch.row_ids(every)]
        add_values(state.values, columns[1], rule_values(self.config.keep, batch, self.fields(), every))
        if self.prompt_fields():
            columns.append(row_keys(batch, self.prompt_fields(), steps))
        state.table.add(np.column_stack(columns))
        state.rows += batch.num_rows
        state.files[batch.file_index] = (batch.file, batch.unit)
        return state

    def merge_states(self, a: KeyState, b: KeyState) -> KeyState:
        return a.merge(b)

    def spill(self, state: KeyState) -> tuple[KeyState, int]:
        """Write the keys held in memory to disk, split by key: called when memory runs short."""
        state.key_runs = {}  # grouped part by part from here: the sorted keys are no longer needed
        return state, state.table.spill() + state.values.spill()

    def take_back(self, state: KeyState) -> KeyState:
        state.table.load()
        state.values.load()
        return state

    def cached_form(self, state: KeyState) -> KeyState:
        """The state as the cache keeps it: its rows sorted, their content keys beside them (KeyState.sorted_runs)."""
        return state.sorted_runs(bool(self.prompt_fields()))

    def prefix_form(self, state: KeyState) -> KeyState:
        """The state as the cache keeps it for a run's leading files: its rows summarised (KeyState.summary).
        It lists the first rows of each group only: not for a run that lists every finding."""
        return state.summary(bool(self.prompt_fields()))

    def _groups(self, state: KeyState) -> tuple[Ranked, Ranked]:
        """Duplicate clusters and prompt conflicts, largest first: computed once for wanted_rows and finalize."""
        if self._grouped is not None and self._grouped[0] is state:
            return self._grouped[1]
        prompts = bool(self.prompt_fields())
        grouped = from_rows(state.table, state.key_runs, prompts) if state.kept is None else \
            from_summary(state.kept, state.table, prompts)
        self._grouped = (state, grouped)
        return grouped

    def wanted_rows(self, state: KeyState) -> list[int]:
        groups, conflicts = self._groups(state)
        return [int(i) for g in groups.shown(self.config.top_clusters) + conflicts.shown(3) for i in g]

    def finalize(self, state: KeyState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        groups, conflicts = self._groups(state)
        self._grouped = None
        if self.keeps_findings:
            if groups.members is None:
                raise RuntimeError("exact duplicates: a summarised state cannot list every finding")
            state.findings = duplicate_findings(groups.members, state.files, kept_rows(groups.members, state.values))
        duplicates = int((groups.sizes - 1).sum())
        verdict = judge(self.config, state.rows, duplicates)
        rate = duplicates / state.rows if state.rows else 0.0
        largest = [describe_cluster(g, state.files, rows, self.spec, self.fields(), int(size))
                   for g, size in zip(groups.shown(self.config.top_clusters), groups.sizes)]
        examples = [describe_cluster(g, state.files, rows, self.spec, self.fields(), int(size))
                    for g, size in zip(conflicts.shown(3), conflicts.sizes)] if self.prompt_fields() else None
        details = exact_details(self.config, self.fields(), groups, conflicts, largest, examples)
        samples = [m for c in details.largest_clusters for m in c.members[1:2]]
        message = exact_message(details, state.rows, len(conflicts))
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=state.rows, findings=duplicates, rate=rate, message=message,
                           details=details.dump(), samples=samples[:20])

    def findings(self, state: KeyState) -> Iterator[dict[str, Any]]:
        return state.findings.records()
