"""Consistency of labels: the same input labelled differently, and preferences that contradict each
other. State: per row, hashes of input and label, the label as a number and the row id (32 bytes), or
hashes of prompt, chosen and rejected and the row id (32 bytes); under `--max-memory`, written to disk
split by input (or prompt) hash and grouped one part at a time (validators/common/partitioned.py), so every
group stays whole and the counts exact; what both checks share is in conflict_groups.py. An input empty in
every row, or the same in every row, is a contract problem (the check errs with a hint), not one group of
every row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult
from traingate.validators.common.contract_problems import blank, fields_with_text, named, seen_in_data
from traingate.validators.common.features import feature_values
from traingate.validators.common.grouping import clusters
from traingate.validators.common.normalize import hash_texts, row_keys, row_texts
from traingate.validators.common.options import DEFAULT_NORMALISATION, FULL_NORMALISATION, Normalisation
from traingate.validators.common.registry import check
from traingate.validators.common.turns import prompt_fields
from traingate.validators.consistency.conflict_groups import ConflictDetails, HashingValidator, HashState


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


@check("conflicting_labels", group="consistency", options=ConflictingLabelsCheck, details=ConflictDetails)
class ConflictingLabelsValidator(HashingValidator):

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
class PreferenceConsistencyValidator(HashingValidator):
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
