"""Text hygiene over the kind's text fields: empty, whitespace, encoding, template tokens, fences, slots.
Each check finds its rows among the candidates of the batch's one pass over each field (common/textscan.py);
what they look for, and the matching they share with the checks of other groups, is in hygiene_patterns.py."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from traingate import empty
from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS, TextCheck
from traingate.data.batch import BatchContext
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import Hit, RowFlagValidator
from traingate.validators.common.registry import check
from traingate.validators.common.textscan import ScansText
from traingate.validators.format.hygiene_patterns import (
    AT,
    BLANK,
    CONTROL,
    DEFAULT_PLACEHOLDERS,
    DEFAULT_SPECIAL_TOKENS,
    FENCE,
    MOJIBAKE,
    PatternValidator,
    empty_hits,
    fence_hits,
)


class EmptyTextCheck(TextCheck):
    summary: ClassVar[str] = "text fields that are empty or whitespace only"
    type: Literal["empty_text"]


class WhitespaceCheck(TextCheck):
    summary: ClassVar[str] = "leading/trailing whitespace, long space runs, blank-line runs, CRLF"
    type: Literal["whitespace"]
    leading_trailing: bool = True
    space_run: int = Field(4, ge=0, description="Flag this many spaces in a row after text; 0 turns it off.")
    blank_lines: int = Field(3, ge=0, description="Flag more than this many blank lines in a row; 0 turns it off.")
    crlf: bool = True


class EncodingCheck(TextCheck):
    summary: ClassVar[str] = "replacement characters, control characters, mojibake"
    type: Literal["encoding"]
    replacement: bool = True
    control: bool = True
    mojibake: bool = True


class SpecialTokensCheck(TextCheck):
    summary: ClassVar[str] = "chat-template tokens such as <|im_start|> or [INST] leaking into content"
    type: Literal["special_tokens"]
    tokens: list[str] = Field(default_factory=lambda: list(DEFAULT_SPECIAL_TOKENS))
    extra_tokens: list[str] = Field(default_factory=empty.list_, description="Added to `tokens`.")


class CodeFencesCheck(TextCheck):
    summary: ClassVar[str] = "unbalanced ``` code fences"
    type: Literal["code_fences"]


class PlaceholdersCheck(TextCheck):
    summary: ClassVar[str] = "unfilled template slots such as {{name}}"
    type: Literal["placeholders"]
    regex_options: ClassVar[tuple[tuple[str, ...], ...]] = (("patterns", "*"),)
    patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_PLACEHOLDERS))


@check("empty_text", group="format", options=EmptyTextCheck, details=FlagDetails)
class EmptyTextValidator(RowFlagValidator[EmptyTextCheck], ScansText):
    noun = "with empty text"

    def reads(self) -> list[str]:
        required = KIND_FIELDS[self.spec.kind][0]
        return self.config.fields or [f for f in TEXT_FIELDS[self.spec.kind] if f in required]

    def scanned(self) -> list[tuple[list[str] | None, str]]:
        return [(self.reads(), BLANK)]

    def find(self, batch: BatchContext) -> list[Hit]:
        return empty_hits(batch, self.reads())


@check("whitespace", group="format", options=WhitespaceCheck, details=FlagDetails)
class WhitespaceValidator(PatternValidator):
    noun = "with whitespace problems"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, WhitespaceCheck)
        # whole runs, so a sample marks all of the whitespace; `at` narrows the mark to the spaces or blank lines
        out = [("leading_trailing", r"^\s+|\s+$")] if cfg.leading_trailing else []
        if cfg.space_run:
            out.append(("space_run", rf"\S{AT} {{{cfg.space_run},}})"))
        if cfg.blank_lines:
            out.append(("blank_lines", rf"\n{AT}(?:[ \t]*\n){{{cfg.blank_lines + 1},}})"))
        if cfg.crlf:
            out.append(("carriage_return", r"\r"))
        return out

    def scan_form(self, pattern: str) -> str:
        return pattern.replace(AT, "(?:")  # its own regexes above: `at` marks the sample only


@check("encoding", group="format", options=EncodingCheck, details=FlagDetails)
class EncodingValidator(PatternValidator):
    noun = "with encoding damage"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, EncodingCheck)
        return [pair for pair, on in ((("replacement_char", "\ufffd"), cfg.replacement),
                                      (("control_char", CONTROL), cfg.control),
                                      (("mojibake", MOJIBAKE), cfg.mojibake)) if on]


@check("special_tokens", group="format", options=SpecialTokensCheck, details=FlagDetails)
class SpecialTokensValidator(PatternValidator):
    noun = "with template tokens in content"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, SpecialTokensCheck)
        tokens = sorted(set(cfg.tokens) | set(cfg.extra_tokens), key=len, reverse=True)
        return [("special_token", "|".join(re.escape(t) for t in tokens))] if tokens else []


@check("code_fences", group="format", options=CodeFencesCheck, details=FlagDetails)
class CodeFencesValidator(RowFlagValidator[CodeFencesCheck], ScansText):
    noun = "with unbalanced code fences"

    def scanned(self) -> list[tuple[list[str] | None, str]]:
        return [(self.config.fields, FENCE)]

    def find(self, batch: BatchContext) -> list[Hit]:
        return fence_hits(batch, self.config.fields)


@check("placeholders", group="format", options=PlaceholdersCheck, details=FlagDetails)
class PlaceholdersValidator(PatternValidator):
    noun = "with unfilled template slots"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, PlaceholdersCheck)
        return [("placeholder", "|".join(f"(?:{p})" for p in cfg.patterns))] if cfg.patterns else []
