"""Consistency of labels: the same input labelled differently, and preferences that contradict each
other. State: per row, hashes of input and label, the row id and the label as a number (32 bytes), or
hashes of prompt, chosen and rejected and the row id (32 bytes); under `--max-memory`, only the rows of a
hash-chosen share of inputs (or prompts), so every group stays whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.contracts.mix import ConflictingLabelsCheck, PreferenceConsistencyCheck
from traingate.engine.batch import BatchContext
from traingate.results.model import CheckResult, Sample
from traingate.validators import shares
from traingate.validators.base import Validator
from traingate.validators.exact import MEMBERS_SHOWN, clusters, describe_cluster
from traingate.validators.features import feature_values
from traingate.validators.normalize import hash_texts, row_keys
from traingate.validators.registry import register_validator
from traingate.validators.thresholds import judge

TEXT_LABELS = {"sft": "response", "chat": "messages", "preference": "chosen", "pretraining": "text"}


@dataclass
class HashState:
    rows: int = 0
    columns: list[np.ndarray] = field(default_factory=list)  # (n, k) uint64 per batch, last column the row id
    numbers: list[np.ndarray] = field(default_factory=list)  # numeric labels per batch (NaN: not a number)
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    keep_below: int = shares.FULL_SHARE  # rows whose first column (input or prompt hash) is below it are kept

    def kept(self, below: int) -> HashState:
        if below >= self.keep_below:
            return self
        samplers = [c[:, 0] for c in self.columns]
        return HashState(self.rows, shares.keep(self.columns, samplers, below),
                         shares.keep(self.numbers, samplers, below), self.files, below)

    def append(self, columns: np.ndarray, numbers: np.ndarray | None = None) -> None:
        """One batch's rows (those in the share kept)."""
        self.columns += shares.keep([columns], [columns[:, 0]], self.keep_below)
        if numbers is not None:
            self.numbers += shares.keep([numbers], [columns[:, 0]], self.keep_below)

    def merge(self, other: HashState) -> HashState:
        below = min(self.keep_below, other.keep_below)
        a, b = self.kept(below), other.kept(below)
        return HashState(a.rows + b.rows, a.columns + b.columns, a.numbers + b.numbers, {**a.files, **b.files}, below)

    def table(self, width: int) -> np.ndarray:
        return np.concatenate(self.columns) if self.columns else np.zeros((0, width), np.uint64)


class _HashingValidator(Validator[Any, HashState]):
    def create_state(self) -> HashState:
        return HashState()

    def merge_states(self, a: HashState, b: HashState) -> HashState:
        return a.merge(b)

    def shed(self, state: HashState) -> HashState:
        """Keep half of the current share of inputs (by hash): called when memory runs short."""
        return state.kept(state.keep_below // 2)

    def groups(self, state: HashState) -> list[np.ndarray]:
        raise NotImplementedError

    def wanted_rows(self, state: HashState) -> list[int]:
        return [int(i) for g in self.groups(state)[:10] for i in g[:MEMBERS_SHOWN]]

    def report(self, state: HashState, rows: Mapping[int, dict[str, Any]] | None, fields: list[str],
               what: str) -> CheckResult:
        groups = self.groups(state)
        kept = int(sum(len(c) for c in state.columns))
        findings = shares.scaled(int(sum(len(g) for g in groups)), kept, state.rows, state.keep_below)
        verdict = judge(self.config, state.rows, findings)
        rate = findings / state.rows if state.rows else 0.0
        shown = [describe_cluster(g, state.files, rows, self.spec, fields) for g in groups[:10]]
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=state.rows, findings=findings, rate=rate, details={
                               "groups": len(groups), "largest_clusters": shown, "fields": fields,
                               "cluster_sizes": {str(len(g)): sum(1 for h in groups if len(h) == len(g)) for g in groups},
                               **shares.details(state.keep_below, kept, "input or prompt hash")},
                           message=f"{findings} rows in {len(groups)} {what} ({rate:.2%})"
                                   + shares.note(state.keep_below, kept),
                           samples=[Sample(**m) for c in shown for m in c["members"][:1]])


@register_validator
class ConflictingLabelsValidator(_HashingValidator):
    config_model = ConflictingLabelsCheck

    def label(self) -> str:
        return self.config.label or ("score" if self.spec.kind == "reward" else TEXT_LABELS[self.spec.kind])

    def columns(self) -> set[str]:
        return super().columns() | {self.spec.column(self.label()).split(".")[0]}

    def add_batch(self, state: HashState, batch: BatchContext) -> HashState:
        steps, label = self.config.normalize, self.label()
        inputs = row_keys(batch, self.config.on, steps)
        labels = row_keys(batch, [label], steps) if batch.text(label) is not None and label != "score" else None
        numbers = np.full(batch.num_rows, np.nan)  # NaN: the label is no number
        if labels is None:
            raw = feature_values(batch, self.spec.column(label))
            labels = hash_texts(pa.array(raw, pa.string()))
            numbers = np.array([_number(v) for v in raw], dtype=np.float64)
        state.append(np.stack([inputs, labels, batch.row_ids(np.arange(batch.num_rows))], axis=1), numbers)
        state.rows += batch.num_rows
        state.files[batch.file_index] = (batch.file, batch.unit)
        return state

    def groups(self, state: HashState) -> list[np.ndarray]:
        table = state.table(3)
        numeric = self.config.tolerance > 0 and state.numbers
        label_of = dict(zip(table[:, 2].tolist(), table[:, 1].tolist()))
        number_of = dict(zip(table[:, 2].tolist(), np.concatenate(state.numbers).tolist())) if numeric else {}
        out = []
        for group in clusters(table[:, 0], table[:, 2]):
            values = [number_of.get(int(i), float("nan")) for i in group]
            if numeric and not np.isnan(values).any():
                disagree = max(values) - min(values) > self.config.tolerance
            else:
                disagree = len({label_of[int(i)] for i in group}) > 1
            if disagree:
                out.append(group)
        return out

    def finalize(self, state: HashState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        return self.report(state, rows, [*self.config.on, self.label()], "groups of one input with different labels")


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


@register_validator
class PreferenceConsistencyValidator(_HashingValidator):
    config_model = PreferenceConsistencyCheck

    def add_batch(self, state: HashState, batch: BatchContext) -> HashState:
        steps = self.config.normalize
        prompt = row_keys(batch, ["prompt"], steps) if batch.text("prompt") is not None else np.zeros(batch.num_rows, np.uint64)
        chosen, rejected = row_keys(batch, ["chosen"], steps), row_keys(batch, ["rejected"], steps)
        state.append(np.stack([prompt, chosen, rejected, batch.row_ids(np.arange(batch.num_rows))], axis=1))
        state.rows += batch.num_rows
        state.files[batch.file_index] = (batch.file, batch.unit)
        return state

    def groups(self, state: HashState) -> list[np.ndarray]:
        """Rows whose preference lies on a cycle of one prompt's answers (a swapped pair is a 2-cycle):
        strongly connected components of the graph chosen -> rejected."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        table = state.table(4)
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
