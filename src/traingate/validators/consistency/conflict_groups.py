"""Groups of rows that contradict each other, as both consistency checks of conflicts.py find them: the
hashes they hold per row (spilled to disk under `--max-memory`, split by input or prompt hash, so every group
stays whole), the groups listed largest first, every row of every group as evidence, and the result."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import Field

from traingate.results.model import CheckResult
from traingate.results.words import counted
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain, SpillsRows
from traingate.validators.common.contract_problems import KeySeen
from traingate.validators.common.details import ClusterListing
from traingate.validators.common.details_parts import Cluster
from traingate.validators.common.findings import Findings, cluster_findings
from traingate.validators.common.grouping import largest_first
from traingate.validators.common.partitioned import Partitioned
from traingate.validators.common.thresholds import judge
from traingate.validators.uniqueness.shown import MEMBERS_SHOWN, describe_cluster


class ConflictDetails(ClusterListing):
    """Groups of rows that contradict each other: one input with different labels (conflicting_labels), or
    preferences on a cycle (preference_consistency)."""

    groups: int = Field(description="Groups of rows found.")
    largest_clusters: list[Cluster] = Field(description="The largest groups (at most 10), largest first.")
    fields: list[str] = Field(description="Logical fields read: the input fields, then the label "
                              "(prompt, chosen, rejected for preference_consistency).")
    cluster_sizes: dict[str, int] = Field(description="Groups per size (rows in the group), largest size first.")


@dataclass
class HashState:
    rows: int = 0
    table: Partitioned = field(default_factory=Partitioned)  # (n, 4) uint64: input or prompt hash first, row id last
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    key: KeySeen = field(default_factory=KeySeen)  # the input's evidence (conflicting_labels)
    held: set[str] = field(default_factory=set)  # the kind's text fields some row holds text in
    findings: Findings = field(default_factory=Findings)  # every row of every group, set by finalize

    def merge(self, other: HashState) -> HashState:
        return HashState(self.rows + other.rows, self.table.merge(other.table), {**self.files, **other.files},
                         self.key.merge(other.key), self.held | other.held)


class HashingValidator(Validator[Any, HashState], SpillsRows[HashState], LooksAgain[HashState],
                        ListsFindings[HashState]):
    spills = "rows' hashes"
    finding = "conflicting_label"  # the reason each row of a group is listed under in the evidence

    def create_state(self) -> HashState:
        return HashState()

    def merge_states(self, a: HashState, b: HashState) -> HashState:
        return a.merge(b)

    def spill(self, state: HashState) -> tuple[HashState, int]:
        """Write the hashes held in memory to disk, split by input or prompt: called when memory runs short."""
        return state, state.table.spill()

    def take_back(self, state: HashState) -> HashState:
        state.table.load()
        return state

    def groups(self, state: HashState) -> list[np.ndarray]:
        """The flagged groups, largest first, then by first row."""
        found = [g for table in state.table.tables(4) for g in self.groups_in(table)]
        return largest_first(found) if state.table.parts else found

    def groups_in(self, table: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError

    def findings(self, state: HashState) -> Iterator[dict[str, Any]]:
        return state.findings.records()

    def wanted_rows(self, state: HashState) -> list[int]:
        return [int(i) for g in self.groups(state)[:10] for i in g[:MEMBERS_SHOWN]]

    def report(self, state: HashState, rows: Mapping[int, dict[str, Any]] | None, fields: list[str],
               what: str) -> CheckResult:
        groups = self.groups(state)
        if self.keeps_findings:
            state.findings = cluster_findings(groups, state.files, self.finding, "group", first=False)
        findings = int(sum(len(g) for g in groups))
        verdict = judge(self.config, state.rows, findings)
        rate = findings / state.rows if state.rows else 0.0
        shown = [describe_cluster(g, state.files, rows, self.spec, fields) for g in groups[:10]]
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=state.rows, findings=findings, rate=rate, details=ConflictDetails(
                               groups=len(groups), largest_clusters=shown, fields=fields,
                               cluster_sizes={str(len(g)): sum(1 for h in groups if len(h) == len(g)) for g in groups},
                           ).dump(), message=f"{counted(findings, 'row')} in {len(groups):,} {what} ({rate:.2%})",
                           samples=[m for c in shown for m in c.members[:1]])

