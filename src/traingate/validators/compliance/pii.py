"""Personal data, found by Presidio over the kind's text fields (see data/presidio.py).
State: counts, 56 bytes of evidence per finding (row, field, turn, entity, offsets, score; written to disk
under --max-memory, see pii_evidence.py), 20 masked samples; with `sample`, the texts of at most
`sample.rows` rows until the end."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from traingate.contracts.compliance import PiiCheck
from traingate.data.batch import BatchContext
from traingate.data.lookup import split_row_id
from traingate.data.masking import window
from traingate.data.presidio import Finding, analyze_batch, mask
from traingate.results.model import CheckResult, Sample
from traingate.validators.common.base import Validator
from traingate.validators.common.registry import register_validator
from traingate.validators.common.samples import Reservoir, row_keys, seeded_keys
from traingate.validators.common.thresholds import Judgement, judge, judge_sampled, wilson_interval
from traingate.validators.compliance.pii_evidence import Evidence, Record
from traingate.validators.compliance.pii_texts import Item, analyze_items, engine_spec, row_texts


@dataclass
class PiiState:
    rows: int = 0
    scanned: int = 0
    patterns_only: int = 0  # rows in another language than `language`, scanned without NER
    flagged: int = 0
    per_entity: Counter[str] = field(default_factory=Counter)  # rows holding the entity
    evidence: Evidence = field(default_factory=Evidence)
    samples: Reservoir = field(default_factory=Reservoir)
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    pending: dict[int, tuple[int, list[Item]]] = field(default_factory=dict)  # sample: row id -> (priority, items)


@register_validator
class PiiValidator(Validator[PiiCheck, PiiState]):
    config_model = PiiCheck
    spills = "findings"
    preload = ("presidio_analyzer",)

    def create_state(self) -> PiiState:
        return PiiState()

    def columns(self) -> set[str]:
        extra = {self.config.language_field.split(".")[0]} if self.config.language_field else set()
        return super().columns() | extra

    def reads_columns(self) -> list[str]:
        return [self.config.language_field] if self.config.language_field else []

    def add_batch(self, state: PiiState, batch: BatchContext) -> PiiState:
        state.rows += batch.num_rows
        state.files[batch.file_index] = (batch.file, batch.unit)
        items = row_texts(batch, self.config)
        if self.config.sample is None:
            return self._scan(state, batch.num_rows, items)
        seed = self.config.sample.seed
        for item in items:
            priority = int(seeded_keys(np.array([item[0]], dtype=np.uint64), seed)[0])
            state.pending.setdefault(item[0], (priority, []))[1].append(item)
        ids = batch.row_ids(np.arange(batch.num_rows))
        for row_id, priority in zip(ids.tolist(), seeded_keys(ids, seed).tolist()):
            state.pending.setdefault(row_id, (priority, []))  # rows without text are sampled too
        return self._cap(state)

    def _cap(self, state: PiiState) -> PiiState:
        assert self.config.sample is not None
        if len(state.pending) > self.config.sample.rows:
            kept = sorted(state.pending.items(), key=lambda kv: kv[1][0])[: self.config.sample.rows]
            state.pending = dict(kept)
        return state

    def _scan(self, state: PiiState, rows: int, items: list[Item]) -> PiiState:
        found = analyze_items(self.config, items)
        entities_of: dict[int, set[str]] = {}
        evidence: list[Record] = []
        for (row_id, raw_name, turn, text), findings in zip(items, found):
            name = raw_name.removeprefix("~")
            if not findings:
                continue
            if row_id not in entities_of:  # a row's first text with findings stands for it in the samples
                state.samples.note_first(row_id, partial(self._location, state, row_id))
                key = int(row_keys(np.array([row_id], dtype=np.uint64))[0])
                state.samples.offer(key, partial(self._sample, state, row_id, name, text, findings))
            entities_of.setdefault(row_id, set()).update(f[2] for f in findings)
            evidence.extend((row_id, name, turn, entity, start, end, score) for start, end, entity, score in findings)
        state.evidence.add(evidence)
        state.scanned += rows
        state.patterns_only += len({row_id for row_id, name, *_ in items if name.startswith("~")})
        state.flagged += len(entities_of)
        state.per_entity.update(e for entities in entities_of.values() for e in entities)
        return state

    @staticmethod
    def _location(state: PiiState, row_id: int) -> dict[str, Any]:
        file_index, line = split_row_id(row_id)
        file, unit = state.files[file_index]
        return {"file": file, "line": line, "unit": unit}

    def _sample(self, state: PiiState, row_id: int, name: str, text: str, findings: list[Finding]) -> dict[str, Any]:
        """The text masked with presidio-anonymizer (<EMAIL_ADDRESS>), around the first finding."""
        masked = mask(text, findings)
        first = findings[0][2]
        at = masked.find(f"<{first}>")
        start = max(0, at - 100)
        file_index, line = split_row_id(row_id)
        file, unit = state.files[file_index]
        at += start > 0  # window marks the cut with one character
        span = (at - start, at - start + len(first) + 2) if at >= 0 else None
        return Sample(file=file, line=line, unit=unit, field=name, reason=first,
                      excerpt=window(masked, start, start + 300), span=span).model_dump()

    def merge_states(self, a: PiiState, b: PiiState) -> PiiState:
        merged = PiiState(a.rows + b.rows, a.scanned + b.scanned, a.patterns_only + b.patterns_only,
                          a.flagged + b.flagged, a.per_entity + b.per_entity,
                          a.evidence.merge(b.evidence), a.samples.merge(b.samples), {**a.files, **b.files},
                          {**a.pending, **b.pending})
        return self._cap(merged) if self.config.sample is not None else merged

    def finalize(self, state: PiiState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        if state.pending:
            pending, state.pending = state.pending, {}
            state = self._scan(state, len(pending), [item for _, items in pending.values() for item in items])
        verdicts = self._verdicts(state)
        failed = [name for name, v in verdicts.items() if v.status == "failed"]
        total = verdicts["total"]
        rate = state.flagged / state.scanned if state.scanned else 0.0
        details: dict[str, Any] = {
            "recognizers": "spaCy NER (en_core_web_sm 3.8.0) and patterns" if self.config.recognizers == "ner"
            else "patterns and checksums only (no NER: PERSON is not looked for)",
            "entities": list(self.config.entities), "by_reason": dict(sorted(state.per_entity.items())),
            "scanned_rows": state.scanned, "total_rows": state.rows, "failed_limits": failed,
            "patterns_only_rows": state.patterns_only,
            "evidence": state.evidence.records(state.files),
        }
        if self.config.sample is not None:
            details["rate_95"] = list(wilson_interval(state.flagged, state.scanned))
        scope = f"of a seeded sample of {state.scanned} " if self.config.sample is not None else f"of {state.scanned} "
        interval = " (95% interval {:.2%} to {:.2%})".format(*details["rate_95"]) if "rate_95" in details else ""
        foreign = f", {state.patterns_only} rows in other languages by patterns only" if state.patterns_only else ""
        message = (f"{state.flagged} rows {scope}rows hold personal data ({rate:.2%}{interval}; "
                   f"{len(state.evidence)} findings); found by {details['recognizers']}{foreign}"
                   + (f"; limits exceeded: {', '.join(failed)}" if failed else ""))
        return self.result(status="failed" if failed else "passed", metric=total.metric, value=total.value,
                           threshold=total.threshold, rows=state.scanned, findings=state.flagged, rate=rate,
                           message=message, details=details, samples=[Sample(**s) for s in state.samples.samples()],
                           first_failure=state.samples.first_location())

    def spill(self, state: PiiState) -> int:
        """Write the evidence held in memory to disk: called when memory runs short."""
        return state.evidence.rows.spill()

    def take_back(self, state: PiiState) -> None:
        state.evidence.rows.load()

    def mask_texts(self, texts: list[str]) -> list[str | None]:
        found = analyze_batch(engine_spec(self.config), texts, self.config.workers or os.cpu_count() or 1)
        return [mask(text, findings) if findings else None for text, findings in zip(texts, found)]

    def _verdicts(self, state: PiiState) -> dict[str, Judgement]:
        decide = judge if self.config.sample is None else judge_sampled
        verdicts = {"total": decide(self.config, state.scanned, state.flagged)}
        for entity, limit in self.config.per_entity.items():
            own = self.config.model_copy(update={**limit.model_dump(), "min_share": None})
            verdicts[entity] = decide(own, state.scanned, state.per_entity[entity])
        return verdicts
