"""What a pii check finishes with: its details (rows per entity, what was scanned and by what, every finding
as an EvidenceRecord, never the value itself, and under `sample` the 95% interval of the rate), the verdict
of the total and of each entity's own limit (a count, or under `sample` the rate's upper bound), and the
message that sums them up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from traingate.results.details import Absent, Part
from traingate.validators.common.details import MaskingDetails, ReasonCounts
from traingate.validators.common.thresholds import Judgement, judge, judge_sampled, wilson_interval
from traingate.validators.compliance.pii_state import PiiState

if TYPE_CHECKING:
    from traingate.validators.compliance.pii import PiiCheck


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


def pii_verdicts(config: PiiCheck, state: PiiState) -> dict[str, Judgement]:
    """The verdict of the total ("total") and of each entity of `per_entity` against its own limit."""
    decide = judge if config.sample is None else judge_sampled
    verdicts = {"total": decide(config, state.scanned, state.flagged)}
    for entity, limit in config.per_entity.items():
        own = config.model_copy(update={**limit.model_dump(), "min_share": None})
        verdicts[entity] = decide(own, state.scanned, state.per_entity[entity])
    return verdicts


def pii_details(config: PiiCheck, state: PiiState, failed: list[str]) -> PiiDetails:
    return PiiDetails(
        recognizers="spaCy NER (en_core_web_sm 3.8.0) and patterns" if config.recognizers == "ner"
        else "patterns and checksums only (no NER: PERSON is not looked for)",
        entities=list(config.entities), by_reason=dict(sorted(state.per_entity.items())),
        scanned_rows=state.scanned, total_rows=state.rows, failed_limits=failed,
        patterns_only_rows=state.patterns_only, evidence=state.evidence.records(state.files),
        rate_95=list(wilson_interval(state.flagged, state.scanned)) if config.sample is not None else None)


def pii_message(config: PiiCheck, state: PiiState, details: PiiDetails, rate: float) -> str:
    failed = details.failed_limits
    scope = f"of a seeded sample of {state.scanned} " if config.sample is not None else f"of {state.scanned} "
    interval = " (95% interval {:.2%} to {:.2%})".format(*details.rate_95) if details.rate_95 is not None else ""
    foreign = f", {state.patterns_only} rows in other languages by patterns only" if state.patterns_only else ""
    return (f"{state.flagged} rows {scope}rows hold personal data ({rate:.2%}{interval}; "
            f"{len(state.evidence)} findings); found by {details.recognizers}{foreign}"
            + (f"; limits exceeded: {', '.join(failed)}" if failed else ""))
