"""Options of the compliance checks (declaration only)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traingate.contracts.model import CheckConfig, SampleSpec, StrictModel, TextCheck

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


class AllowRegex(StrictModel):
    regex: str = Field(description="Values fully matching this pattern are never counted.")


class PiiCheck(TextCheck):
    group: ClassVar[str] = "compliance"
    summary: ClassVar[str] = "personal data found by Presidio (spaCy NER and pattern/checksum recognizers)"
    type: Literal["pii"]
    entities: list[str] = Field(default_factory=lambda: list(DEFAULT_PII_ENTITIES),
                                description="Presidio entity names looked for.")
    recognizers: Literal["ner", "patterns"] = Field(
        "ner", description="ner: spaCy NER plus patterns (pip install 'traingate[pii]'); patterns: regex and "
                           "checksum recognizers only, much faster, no PERSON.")
    score_threshold: float = Field(0.4, ge=0, le=1, description="Findings scored below this are dropped.")
    language: str = Field("en", description="Text language; the offline NER model is English.")
    language_field: str | None = Field(
        None, description="Column naming each row's language: rows in another language are scanned with the "
                          "pattern recognizers only (an English NER model reads names into any other language).")
    allow: list[str | AllowRegex] = Field(default_factory=list,
                                          description="Literal values, or {regex: ...}, never counted.")
    context: list[str] = Field(default_factory=list, description="Words that raise a nearby finding's score.")
    skip_code: bool = Field(True, description="NER does not read code (fenced blocks, inline code, lines that read as "
                                              "code) and PERSON spans naming tools or identifiers (Python, JSON, "
                                              "getName) do not count; patterns still read code.")
    allow_reserved: bool = Field(True, description="E-mail addresses at domains reserved for examples (example.com, "
                                                   ".net, .org, *.example, *.test, *.invalid, *.localhost) and IP "
                                                   "addresses that are not global (private, loopback, documentation) "
                                                   "do not count.")
    per_entity: dict[str, Limit] = Field(default_factory=dict, description="Entity -> its own limit.")
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


class SecretsCheck(TextCheck):
    group: ClassVar[str] = "compliance"
    summary: ClassVar[str] = "API keys, tokens, private keys and passwords in URLs (detect-secrets' patterns)"
    type: Literal["secrets"]
    detectors: list[str] | None = Field(
        None, description="detect-secrets detector names (e.g. 'AWS Access Key'); default all pattern detectors "
                          "but 'Public IP (ipv4)', which the pii check covers.")
    extra_patterns: dict[str, str] = Field(default_factory=dict, description="Name -> regex of your own secrets.")


class BlocklistCheck(TextCheck):
    group: ClassVar[str] = "compliance"
    summary: ClassVar[str] = "terms or regexes that must not appear (policy words, internal hostnames)"
    type: Literal["blocklist"]
    terms: list[str] = Field(default_factory=list, description="Whole words or phrases, matched without case.")
    patterns: list[str] = Field(default_factory=list, description="Regular expressions (RE2 syntax).")

    @model_validator(mode="after")
    def _something(self) -> BlocklistCheck:
        if not self.terms and not self.patterns:
            raise ValueError("a blocklist needs `terms` or `patterns`")
        return self


class LicenceCheck(CheckConfig):
    group: ClassVar[str] = "compliance"
    summary: ClassVar[str] = "SPDX licence per row: missing, denied, or not in the allowed list"
    type: Literal["licence"]
    column: str = Field("license", description="Column (dots for nested paths) holding an SPDX identifier.")
    allow: list[str] = Field(default_factory=list, description="SPDX identifiers allowed; empty: any not denied.")
    deny: list[str] = Field(default_factory=list, description="SPDX identifiers never allowed.")


SYNTHETIC_VALUES: list[str | bool | int] = [True, "true", "yes", 1, "synthetic"]


class SyntheticSpec(StrictModel):
    column: str = Field(description="Column telling whether a row is synthetic.")
    values: list[str | bool | int] = Field(default_factory=lambda: list(SYNTHETIC_VALUES),
                                           description="Values of `column` that mean synthetic.")
    max_share: float = Field(ge=0, le=1, description="Largest share of synthetic rows allowed.")


class LineageCheck(CheckConfig):
    group: ClassVar[str] = "compliance"
    summary: ClassVar[str] = "provenance per row: required fields, share of synthetic rows, denied generators"
    type: Literal["lineage"]
    required: list[str] = Field(default_factory=list, description="Columns every row must fill (source, ...).")
    synthetic: SyntheticSpec | None = None
    generator_column: str = Field("generator", description="Column naming the model that wrote the row.")
    deny_generators: list[str] = Field(default_factory=list,
                                       description="Models whose terms forbid training on their outputs; "
                                                   "matched case-insensitively as substrings of the generator.")
