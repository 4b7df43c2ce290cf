"""Exact duplicates after normalisation. State: 24 bytes per row (row key, row id, prompt key); under
memory pressure (`--max-memory`) the rows are written to disk split by prompt (or content) key, and read
back and grouped one part at a time at the end (validators/common/partitioned.py): the counts stay exact."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.data.spill import Rows
from traingate.results.details import Absent
from traingate.results.model import CheckResult
from traingate.results.words import counted
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain, SpillsRows
from traingate.validators.common.details import Cluster, ClusterListing, PromptConflictListing, PromptConflicts
from traingate.validators.common.findings import Findings
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
from traingate.validators.uniqueness.ranked import Kept, Ranked, from_rows, from_summary, summarised
from traingate.validators.uniqueness.runs import sort_rows
from traingate.validators.uniqueness.shown import describe_cluster


class ExactDuplicatesCheck(CheckConfig):
    summary: ClassVar[str] = "rows whose fields are equal after normalisation; clusters and prompt-only repeats"
    type: Literal["exact_duplicates"]
    on: list[str] | None = Field(None, description="Logical fields compared; default the kind's content fields.")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(DEFAULT_NORMALISATION),
                                           description="Applied before comparing: case, whitespace, unicode, punctuation.")
    top_clusters: int = Field(10, ge=0, le=100, description="Largest clusters listed in the report.")
    keep: KeepRule = Field("first", description=KEEP_DESCRIPTION)


class ExactDuplicatesDetails(ClusterListing, PromptConflictListing):
    """Clusters of rows equal after normalisation; with prompt fields, the prompts repeated with other content."""

    fields: list[str] = Field(description="Logical fields compared.")
    normalize: list[str] = Field(description="Normalisation steps applied before comparing.")
    clusters: int = Field(description="Clusters of two or more equal rows.")
    duplicate_rows: int = Field(description="Rows beyond the first of each cluster.")
    cluster_sizes: dict[str, int] = Field(description="Clusters per size (rows in the cluster), smallest size first.")
    largest_clusters: list[Cluster] = Field(description="The largest clusters (at most `top_clusters`), largest first.")
    bytes_per_row: int = Field(description="Memory the check holds per row.")
    same_prompt_different_content: Absent[PromptConflicts] = Field(
        None, description="Prompts that repeat with different content (when the kind has prompt fields besides "
        "the content compared).")

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
        kept = a.kept.merge(b.kept) if a.kept is not None and b.kept is not None else a.kept or b.kept
        return KeyState(a.rows + b.rows, a.table.merge(b.table), {**a.files, **b.files}, values=a.values.merge(b.values),
                        key_runs={**a.key_runs, **b.key_runs}, kept=kept)

    def spill(self, state: KeyState) -> tuple[KeyState, int]:
        """Write the keys held in memory to disk, split by key: called when memory runs short."""
        state.key_runs = {}  # grouped part by part from here: the sorted keys are no longer needed
        return state, state.table.spill() + state.values.spill()

    def take_back(self, state: KeyState) -> KeyState:
        state.table.load()
        state.values.load()
        return state

    def cached_form(self, state: KeyState) -> KeyState:
        """The state as the cache keeps it: its rows sorted by prompt key and row id, and its content keys
        sorted beside them, so that a later run merges the files' sorted runs rather than sorting all rows
        (validators/uniqueness/runs.py)."""
        if state.table.memory and not state.table.parts:
            table = np.concatenate(state.table.memory)
            state.table.memory = [sort_rows(table) if self.prompt_fields() else table]
            if len(state.files) == 1:
                state.key_runs = {next(iter(state.files)): np.sort(table[:, 0])}
        return state

    def prefix_form(self, state: KeyState) -> KeyState:
        """The state as the cache keeps it for a run's leading files: its rows summarised (ranked.py), so that a
        run over those files and more looks the new rows' keys up in it rather than grouping every row again.
        It lists the first rows of each group only: not for a run that lists every finding."""
        kept = summarised(state.table, bool(self.prompt_fields()))
        return KeyState(state.rows, Partitioned(by=state.table.by), dict(state.files),
                        kept=state.kept.merge(kept) if state.kept is not None else kept)

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
        details = ExactDuplicatesDetails(
            fields=self.fields(), normalize=list(self.config.normalize), clusters=len(groups),
            duplicate_rows=duplicates,
            cluster_sizes={str(k): v for k, v in sorted(Counter(groups.sizes.tolist()).items())},
            largest_clusters=[describe_cluster(g, state.files, rows, self.spec, self.fields(), int(size))
                              for g, size in zip(groups.shown(self.config.top_clusters), groups.sizes)],
            bytes_per_row=24 if self.prompt_fields() else 16,
            same_prompt_different_content=PromptConflicts(
                prompts=len(conflicts), rows=int(conflicts.sizes.sum()),
                examples=[describe_cluster(g, state.files, rows, self.spec, self.fields(), int(size))
                          for g, size in zip(conflicts.shown(3), conflicts.sizes)])
            if self.prompt_fields() else None)
        samples = [m for c in details.largest_clusters for m in c.members[1:2]]
        message = (f"{counted(duplicates, 'duplicate row')} in {counted(len(groups), 'cluster')} among "
                   f"{counted(state.rows, 'row')} ({rate:.2%})"
                   + (f"; {len(conflicts)} prompts repeat with different content" if conflicts else ""))
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=state.rows, findings=duplicates, rate=rate, message=message,
                           details=details.dump(), samples=samples[:20])

    def findings(self, state: KeyState) -> Iterator[dict[str, Any]]:
        return state.findings.records()
