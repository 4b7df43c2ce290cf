"""Consistency of labels: the same input labelled differently, and preferences that contradict each
other. State: per row, hashes of input and label, the label as a number and the row id (32 bytes), or
hashes of prompt, chosen and rejected and the row id (32 bytes); under `--max-memory`, written to disk
split by input (or prompt) hash and grouped one part at a time (validators/common/partitioned.py), so every
group stays whole and the counts exact. An input empty in every row, or the same in every row, is a
contract problem (the check errs with a hint), not one group of every row."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult
from traingate.results.words import counted
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain, SpillsRows
from traingate.validators.common.details import Cluster, ClusterListing
from traingate.validators.common.features import feature_values
from traingate.validators.common.findings import Findings, cluster_findings
from traingate.validators.common.grouping import KeySeen, blank, clusters, fields_with_text, largest_first, named, seen_in_data
from traingate.validators.common.normalize import hash_texts, row_keys, row_texts
from traingate.validators.common.options import DEFAULT_NORMALISATION, FULL_NORMALISATION, Normalisation
from traingate.validators.common.partitioned import Partitioned
from traingate.validators.common.registry import check
from traingate.validators.common.thresholds import judge
from traingate.validators.common.turns import prompt_fields
from traingate.validators.uniqueness.exact import MEMBERS_SHOWN, describe_cluster


class ConflictingLabelsCheck(CheckConfig):
    summary: ClassVar[str] = "the same normalised input with different labels, scores or responses"
    type: Literal["conflicting_labels"]
    on: list[str] = Field(default_factory=lambda: ["prompt"], description="Logical fields forming the input.")
    label: str | None = Field(None, description="Logical field or column that must agree; default score (reward), "
                                                "chosen (preference), response (others).")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(FULL_NORMALISATION))
    tolerance: float = Field(0.0, ge=0, description="Numeric labels: largest spread that still agrees.")
    top_clusters: int = Field(10, ge=0, le=100)


class PreferenceConsistencyCheck(CheckConfig):
    summary: ClassVar[str] = "preference pairs that contradict each other: swapped (A>B, B>A) or cycles (A>B>C>A)"
    type: Literal["preference_consistency"]
    normalize: list[Normalisation] = Field(default_factory=lambda: list(DEFAULT_NORMALISATION))

TEXT_LABELS = {"sft": "response", "chat": "messages", "preference": "chosen", "pretraining": "text"}


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


class _HashingValidator(Validator[Any, HashState], SpillsRows[HashState], LooksAgain[HashState],
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


@check("conflicting_labels", group="consistency", options=ConflictingLabelsCheck, details=ConflictDetails)
class ConflictingLabelsValidator(_HashingValidator):

    def label(self) -> str:
        return self.config.label or ("score" if self.spec.kind == "reward" else TEXT_LABELS[self.spec.kind])

    def columns(self) -> set[str]:
        return super().columns() | {self.spec.column(self.label()).split(".")[0]}

    def reads(self) -> list[str]:
        return list(dict.fromkeys([*self.config.on, self.label()]))

    def add_batch(self, state: HashState, batch: BatchContext) -> HashState:
        steps, label = self.config.normalize, self.label()
        inputs = row_keys(batch, self.config.on, steps)
        state.key.add(inputs, np.logical_and.reduce([blank(row_texts(batch, [name], steps)) for name in self.config.on]))
        state.held |= fields_with_text(batch, state.held)
        labels = row_keys(batch, [label], steps) if batch.text(label) is not None and label != "score" else None
        numbers = np.full(batch.num_rows, np.nan)  # NaN: the label is no number
        if labels is None:
            raw = feature_values(batch, self.spec.column(label))
            labels = hash_texts(pa.array(raw, pa.string()))
            numbers = np.array([_number(v) for v in raw], dtype=np.float64)
        state.table.add(np.stack([inputs, labels, numbers.view(np.uint64), batch.row_ids(np.arange(batch.num_rows))], axis=1))
        state.rows += batch.num_rows
        state.files[batch.file_index] = (batch.file, batch.unit)
        return state

    def groups_in(self, table: np.ndarray) -> list[np.ndarray]:
        """Rows sharing an input whose labels differ; when every label of the input is a number and
        `tolerance` is set, whose labels span more than it."""
        inputs, labels, numbers, ids = table[:, 0], table[:, 1], table[:, 2].view(np.float64), table[:, 3]
        spread = (numbers, self.config.tolerance) if self.config.tolerance > 0 else None
        return clusters(inputs, ids, labels, spread)

    def problem(self, state: HashState) -> str | None:
        """An input empty in every row, or one input for every row: the contract names the wrong fields."""
        hint = ("set `on:` to the fields that identify an input"
                + (", or map the prompt's column in dataset.fields (fields: {prompt: <column>})"
                   if self.spec.kind == "preference" and "prompt" not in self.spec.fields else "")
                + seen_in_data("fields", state.held))
        return state.key.problem(named("field", self.config.on), hint)

    def wanted_rows(self, state: HashState) -> list[int]:
        return [] if self.problem(state) else super().wanted_rows(state)

    def finalize(self, state: HashState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        problem = self.problem(state)
        if problem:
            return self.result(status="errored", error=problem, message=problem, rows=state.rows)
        return self.report(state, rows, [*self.config.on, self.label()], "groups of one input with different labels")


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


@check("preference_consistency", group="consistency", options=PreferenceConsistencyCheck,
       details=ConflictDetails)
class PreferenceConsistencyValidator(_HashingValidator):
    finding = "contradicting_preference"

    def reads(self) -> list[str]:
        return ["chosen", "rejected", *prompt_fields(self.spec)]

    def add_batch(self, state: HashState, batch: BatchContext) -> HashState:
        steps = self.config.normalize
        prompt = row_keys(batch, ["prompt"], steps) if batch.text("prompt") is not None else np.zeros(batch.num_rows, np.uint64)
        chosen, rejected = row_keys(batch, ["chosen"], steps), row_keys(batch, ["rejected"], steps)
        state.table.add(np.stack([prompt, chosen, rejected, batch.row_ids(np.arange(batch.num_rows))], axis=1))
        state.rows += batch.num_rows
        state.files[batch.file_index] = (batch.file, batch.unit)
        return state

    def groups_in(self, table: np.ndarray) -> list[np.ndarray]:
        """Rows whose preference lies on a cycle of one prompt's answers (a swapped pair is a 2-cycle):
        strongly connected components of the graph chosen -> rejected."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        if not len(table):
            return []
        with np.errstate(over="ignore"):
            heads = table[:, 0] * np.uint64(0x9E3779B97F4A7C15) ^ table[:, 1]
            tails = table[:, 0] * np.uint64(0x9E3779B97F4A7C15) ^ table[:, 2]
        nodes, index = np.unique(np.concatenate([heads, tails]), return_inverse=True)
        a, b = index[: len(table)], index[len(table):]
        graph = coo_matrix((np.ones(len(table)), (a, b)), shape=(len(nodes), len(nodes)))
        _, component = connected_components(graph, directed=True, connection="strong")
        inside = (component[a] == component[b]) & (a != b)
        return [g for g in clusters(component[a][inside].astype(np.uint64), table[inside, 3])]

    def finalize(self, state: HashState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        return self.report(state, rows, ["prompt", "chosen", "rejected"],
                           "contradicting preference groups (swapped pairs or cycles)")
