"""Policy checks over text: secrets (the pattern detectors of detect-secrets, their matches verified as
that library does, see secret_rules) and blocklists.
Secrets never reach a report: a sample shows the text around a secret with the whole secret replaced."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.model import TextCheck
from traingate.contracts.regexes import compile_re2
from traingate.data.batch import BatchContext
from traingate.data.masking import CUT, window
from traingate.errors import ContractError
from traingate.results.model import Sample
from traingate.validators.common.capabilities import MasksExcerpts
from traingate.validators.common.details import FlagDetails, MaskingDetails
from traingate.validators.common.flags import FlagState, Hit, RowFlagValidator, turn_of
from traingate.validators.common.registry import check
from traingate.validators.common.samples import EXCERPT_CHARS
from traingate.validators.common.textscan import ScansText
from traingate.validators.compliance.secret_rules import Detector
from traingate.validators.format.hygiene_patterns import any_term, pattern_hits


class SecretsCheck(TextCheck):
    summary: ClassVar[str] = "API keys, tokens, private keys and passwords in URLs (detect-secrets' patterns)"
    type: Literal["secrets"]
    regex_options: ClassVar[tuple[tuple[str, ...], ...]] = (("extra_patterns", "*"),)
    detectors: list[str] | None = Field(
        None, description="detect-secrets detector names (e.g. 'AWS Access Key'); default all pattern detectors "
                          "but 'Public IP (ipv4)', which the pii check covers.")
    extra_patterns: dict[str, str] = Field(default_factory=empty.dict_, description="Name -> regex of your own secrets.")


class SecretsDetails(FlagDetails, MaskingDetails):
    """Rows per detector that found a secret (`by_reason`), and how many texts of the run were masked."""


class BlocklistCheck(TextCheck):
    summary: ClassVar[str] = "terms or regexes that must not appear (policy words, internal hostnames)"
    type: Literal["blocklist"]
    regex_options: ClassVar[tuple[tuple[str, ...], ...]] = (("patterns", "*"),)
    terms: list[str] = Field(default_factory=empty.list_, description="Whole words or phrases, matched without case.")
    patterns: list[str] = Field(default_factory=empty.list_, description="Regular expressions (RE2 syntax).")

    @model_validator(mode="after")
    def _something(self) -> BlocklistCheck:
        if not self.terms and not self.patterns:
            raise ValueError("a blocklist needs `terms` or `patterns`")
        return self

NOT_SECRETS = {"Public IP (ipv4)"}  # personal data, not a credential: the pii check's IP_ADDRESS


@lru_cache(maxsize=1)
def detect_secrets_patterns() -> dict[str, list[re.Pattern[str]]]:
    """Detector name -> its regexes, from detect-secrets' pattern-based plugins (entropy and keyword
    plugins flag ordinary prose, so they are not used)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    plugins: dict[str, Any] = get_mapping_from_secret_type_to_class()
    known = {name: list(cls().denylist) for name, cls in plugins.items()
             if issubclass(cls, RegexBasedDetector) and name not in NOT_SECRETS}
    for name, regexes in UNQUOTED.items():
        known.setdefault(name, []).extend(regexes)
    return known


# detect-secrets finds an AWS secret access key only in quotes; a shell export or an unquoted config line
# (`export AWS_SECRET_ACCESS_KEY=...`, `aws_secret_access_key = ...`) holds one too
UNQUOTED = {"AWS Access Key": [re.compile(r"aws.{0,20}?(?:key|pwd|pw|password|pass|token).{0,20}?[=:][ \t]*"
                                          r"([0-9a-zA-Z/+]{40})(?![0-9a-zA-Z/+=])", re.IGNORECASE)]}


@check("secrets", group="compliance", options=SecretsCheck, details=SecretsDetails)
class SecretsValidator(RowFlagValidator[SecretsCheck], MasksExcerpts):
    noun = "holding a secret"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        known = detect_secrets_patterns()
        unknown = sorted(set(self.config.detectors or []) - set(known))
        if unknown:
            raise ContractError(f"unknown secrets detector {unknown[0]!r}", hint=f"choose from: {', '.join(sorted(known))}")
        self.detectors = [Detector(name, tuple(known[name])) for name in self.config.detectors or sorted(known)]
        builtin = "|".join(f"(?:{_scoped(p)})" for d in self.detectors for p in d.regexes)
        self.builtin = re.compile(builtin) if builtin else None  # detect-secrets' own regexes, fixed and known
        # your own patterns run on RE2 (linear time): a pattern like (a+)+$ cannot hang the run
        self.detectors += [Detector(name, (compile_re2(regex),), verified=False)
                           for name, regex in self.config.extra_patterns.items()]
        extra = "|".join(f"(?:{regex})" for regex in self.config.extra_patterns.values())
        self.extra = compile_re2(extra) if extra else None

    def any(self, text: str) -> bool:
        """Whether any detector's regex finds something in the text (before each detector's own rules)."""
        return bool(self.builtin and self.builtin.search(text)) or bool(self.extra and self.extra.search(text))

    def find(self, batch: BatchContext) -> list[Hit]:
        hits = []
        for view in batch.views(self.config.fields):
            texts = view.values.to_pylist()
            candidates = [k for k, t in enumerate(texts) if t and self.any(t)]
            for detector in self.detectors:
                mask = np.zeros(len(texts), dtype=bool)
                for k in candidates:
                    mask[k] = bool(detector.spans(texts[k]))
                if mask.any():
                    hits.append(Hit(detector.name, mask, view))
        return hits

    def details(self, state: FlagState) -> SecretsDetails:
        return SecretsDetails(by_reason=dict(sorted(state.reasons.items())))

    def mask_texts(self, texts: list[str]) -> list[str | None]:
        """Each secret replaced whole by `<detector>`; excerpts may cut a token, so partial JWTs count here."""
        out: list[str | None] = []
        for text in texts:
            spans = [(s, e, d.name) for d in self.detectors for s, e in d.spans(text, complete=False)]
            out.append(_replace(text, spans) if spans else None)
        return out

    def _sample(self, batch: BatchContext, hit: Hit, row: int) -> dict[str, object]:
        assert hit.view is not None
        index = int(np.flatnonzero(hit.mask & (hit.view.row_of() == row))[0])
        text = hit.view.values[index].as_py()
        first, last = next(d for d in self.detectors if d.name == hit.reason).spans(text)[0]
        marker = f"<{hit.reason}>"
        start = max(0, first - EXCERPT_CHARS // 3)
        head, tail = window(text, start, first), window(text, last, last + EXCERPT_CHARS // 2)  # cuts marked
        excerpt = head.removesuffix(CUT) + marker + tail.removeprefix(CUT)
        at = len(head.removesuffix(CUT))
        return Sample(file=batch.file, line=int(batch.lines[row]), unit=batch.unit, field=hit.view.field,
                      reason=hit.reason, excerpt=excerpt, span=(at, at + len(marker)), recognizer=hit.reason,
                      **turn_of(hit.view, index)).model_dump()


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Text with each span replaced by its marker; overlapping spans merge into the first one's marker."""
    parts, at = [], 0
    for start, end, name in sorted(spans):
        if end <= at:
            continue
        parts.append(text[at: start] + f"<{name}>" if start >= at else "")
        at = end
    return "".join(parts) + text[at:]


def _scoped(pattern: re.Pattern[str]) -> str:
    """A regex with its own flags written inline, so it can join an alternation of others."""
    flags = "".join(f for f, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)) if pattern.flags & bit)
    return f"(?{flags}:{pattern.pattern})" if flags else pattern.pattern


@check("blocklist", group="compliance", options=BlocklistCheck, details=FlagDetails)
class BlocklistValidator(RowFlagValidator[BlocklistCheck], ScansText):
    noun = "with a blocked term"

    def patterns(self) -> list[tuple[str, str]]:
        return [(term, any_term([term])) for term in self.config.terms] + [(p, p) for p in self.config.patterns]

    def scanned(self) -> list[tuple[list[str] | None, str]]:
        return [(self.config.fields, p) for _, p in self.patterns()]

    def find(self, batch: BatchContext) -> list[Hit]:
        return pattern_hits(batch, self.config.fields, self.patterns())
