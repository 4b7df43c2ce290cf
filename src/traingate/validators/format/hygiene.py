"""Text hygiene over the kind's text fields: empty, whitespace, encoding, template tokens, fences, slots."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.contracts.checks import (
    CodeFencesCheck,
    EmptyTextCheck,
    EncodingCheck,
    PlaceholdersCheck,
    SpecialTokensCheck,
    WhitespaceCheck,
)
from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS, TextCheck
from traingate.data.batch import BatchContext
from traingate.validators.common.flags import Hit, RowFlagValidator
from traingate.validators.common.registry import register_validator

CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0080-\u009f]"
MOJIBAKE = "(?:Ã|Â|â€)[\u00a0-\u00bf\u2018-\u201e\u2020-\u2026\u2030\u2039\u203a\u20ac\u2122\u0152\u0153\u0160\u0161\u0178]"


def matches(values: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.match_substring_regex(values, pattern).fill_null(False), dtype=bool)


class _PatternValidator(RowFlagValidator[TextCheck]):
    """Flags values matching any of (reason, regex); regexes use the RE2 subset Python's re shares."""

    def patterns(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def find(self, batch: BatchContext) -> list[Hit]:
        return pattern_hits(batch, self.config.fields, self.patterns())


def any_term(terms: list[str]) -> str:
    """Any of the terms, without case, as whole words where they start or end with a word character."""
    def whole(term: str) -> str:
        return (r"\b" if term[:1].isalnum() else "") + re.escape(term) + (r"\b" if term[-1:].isalnum() else "")
    return "(?i)(?:" + "|".join(whole(t) for t in terms) + ")"


def pattern_hits(batch: BatchContext, fields: list[str] | None, patterns: list[tuple[str, str]]) -> list[Hit]:
    """Values matching any of (reason, regex): one pass with all patterns together, then each pattern
    only on the values that matched."""
    if not patterns:
        return []
    combined = "|".join(f"(?:{p})" for _, p in patterns)
    hits = []
    for view in batch.views(fields):
        candidates = np.flatnonzero(matches(view.values, combined))
        subset = view.values.take(pa.array(candidates, pa.int64()))
        for reason, pattern in patterns:
            mask = np.zeros(len(view.values), dtype=bool)
            mask[candidates[matches(subset, pattern)]] = True
            hits.append(Hit(reason, mask, view, pattern))
    return hits


@register_validator
class EmptyTextValidator(RowFlagValidator[EmptyTextCheck]):
    config_model = EmptyTextCheck
    noun = "with empty text"

    def reads(self) -> list[str]:
        required = KIND_FIELDS[self.spec.kind][0]
        return self.config.fields or [f for f in TEXT_FIELDS[self.spec.kind] if f in required]

    def find(self, batch: BatchContext) -> list[Hit]:
        hits = []
        for view in batch.views(self.reads()):
            missing = np.asarray(view.values.is_null(), dtype=bool)
            blank = np.asarray(pc.match_substring_regex(view.values, r"^\s*$").fill_null(False), dtype=bool)
            hits += [Hit("missing", missing, view), Hit("empty", blank, view)]
        return hits


@register_validator
class WhitespaceValidator(_PatternValidator):
    config_model = WhitespaceCheck
    noun = "with whitespace problems"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, WhitespaceCheck)
        out = [("leading_trailing", r"^\s|\s$")] if cfg.leading_trailing else []
        if cfg.space_run:
            out.append(("space_run", rf"\S {{{cfg.space_run},}}"))
        if cfg.blank_lines:
            out.append(("blank_lines", rf"\n(?:[ \t]*\n){{{cfg.blank_lines + 1},}}"))
        if cfg.crlf:
            out.append(("carriage_return", r"\r"))
        return out


@register_validator
class EncodingValidator(_PatternValidator):
    config_model = EncodingCheck
    noun = "with encoding damage"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, EncodingCheck)
        return [pair for pair, on in ((("replacement_char", "\ufffd"), cfg.replacement),
                                      (("control_char", CONTROL), cfg.control),
                                      (("mojibake", MOJIBAKE), cfg.mojibake)) if on]


@register_validator
class SpecialTokensValidator(_PatternValidator):
    config_model = SpecialTokensCheck
    noun = "with template tokens in content"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, SpecialTokensCheck)
        tokens = sorted(set(cfg.tokens) | set(cfg.extra_tokens), key=len, reverse=True)
        return [("special_token", "|".join(re.escape(t) for t in tokens))] if tokens else []


@register_validator
class CodeFencesValidator(RowFlagValidator[CodeFencesCheck]):
    config_model = CodeFencesCheck
    noun = "with unbalanced code fences"

    def find(self, batch: BatchContext) -> list[Hit]:
        hits = []
        for view in batch.views(self.config.fields):
            fences = pc.count_substring_regex(view.values, r"(?m)^[ \t]*```").fill_null(0)
            odd = np.asarray(pc.bit_wise_and(fences, pa.scalar(1, fences.type)), dtype=np.int64) == 1
            hits.append(Hit("unbalanced_fence", odd, view, r"(?m)^[ \t]*```"))
        return hits


@register_validator
class PlaceholdersValidator(_PatternValidator):
    config_model = PlaceholdersCheck
    noun = "with unfilled template slots"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, PlaceholdersCheck)
        return [("placeholder", "|".join(f"(?:{p})" for p in cfg.patterns))] if cfg.patterns else []
