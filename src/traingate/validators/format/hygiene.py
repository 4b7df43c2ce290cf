"""Text hygiene over the kind's text fields: empty, whitespace, encoding, template tokens, fences, slots.
Each check finds its rows among the candidates of the batch's one pass over each field (common/textscan.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar, Literal

import numpy as np
import pyarrow.compute as pc
from pydantic import Field

from traingate import empty
from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS, TextCheck
from traingate.data.arrays import bools, numbers
from traingate.data.batch import BatchContext, TextView
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import Hit, RowFlagValidator
from traingate.validators.common.registry import check
from traingate.validators.common.textscan import ScansText, candidates, combine, matches, take

DEFAULT_SPECIAL_TOKENS = [
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|begin_of_text|>", "<|end_of_text|>", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>", "<s>", "</s>",
    "<|user|>", "<|assistant|>", "<|system|>", "<start_of_turn>", "<end_of_turn>", "<|pad|>", "<pad>", "<unk>",
]


DEFAULT_PLACEHOLDERS = [
    r"\{\{\s*[A-Za-z_][\w.\-]*\s*\}\}",  # {{name}}
    r"\[\[\s*[A-Z_][A-Z0-9_]*\s*\]\]",  # [[NAME]]
    r"<\s*(?:INSERT|YOUR)[ _][^>]{0,40}>",  # <INSERT NAME HERE>, <YOUR_NAME>
]


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

CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0080-\u009f]"
MOJIBAKE = "(?:Ã|Â|â€)[\u00a0-\u00bf\u2018-\u201e\u2020-\u2026\u2030\u2039\u203a\u20ac\u2122\u0152\u0153\u0160\u0161\u0178]"
BLANK = r"^\s*$"
AT = "(?P<at>"  # the group a whitespace regex names, to mark its sample
FENCE = r"(?m)^[ \t]*```"

__all__ = ["any_term", "matches", "pattern_hits"]


class _PatternValidator(RowFlagValidator[TextCheck], ScansText):
    """Flags values matching any of (reason, regex); regexes use the RE2 subset Python's re shares."""

    def patterns(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def scanned(self) -> list[tuple[list[str] | None, str]]:
        return [(self.config.fields, self.scan_form(p)) for _, p in self.patterns()]

    def scan_form(self, pattern: str) -> str:
        """The regex as the shared pass reads it: the same, unless the check names a group in it."""
        return pattern

    def find(self, batch: BatchContext) -> list[Hit]:
        return pattern_hits(batch, self.config.fields, self.patterns(), self.scan_form)


def any_term(terms: list[str]) -> str:
    """Any of the terms, without case, as whole words where they start or end with a word character."""
    def whole(term: str) -> str:
        return (r"\b" if term[:1].isalnum() else "") + re.escape(term) + (r"\b" if term[-1:].isalnum() else "")
    return "(?i)(?:" + "|".join(whole(t) for t in terms) + ")"


def pattern_hits(batch: BatchContext, fields: list[str] | None, patterns: list[tuple[str, str]],
                 scan_form: Callable[[str], str] = str) -> list[Hit]:
    """Values matching any of (reason, regex): the candidates of one pass with every pattern together (the
    batch's shared pass, narrowed to these patterns when there are several), then each pattern on them.
    `scan_form`: each regex as the passes over several read it (without the group names of a sample's mark)."""
    if not patterns:
        return []
    regexes = [scan_form(p) for _, p in patterns]
    hits = []
    for view in batch.views(fields):
        found, shared = candidates(batch, view, regexes)
        subset = take(view.values, found)
        if shared and len(patterns) > 1 and len(found):
            mine = np.flatnonzero(matches(subset, combine(regexes)))
            found, subset = found[mine], take(subset, mine)
        for reason, pattern in patterns:
            mask = np.zeros(len(view.values), dtype=bool)
            if len(found):  # no candidate: nothing to match (and no regex to compile)
                mask[found[matches(subset, pattern)]] = True
            hits.append(Hit(reason, mask, view, pattern))
    return hits


def matching(batch: BatchContext, view: TextView, pattern: str) -> np.ndarray:
    """Which values of the view the regex finds something in, from the batch's shared candidates."""
    found, shared = candidates(batch, view, [pattern])
    if shared and len(found):
        found = found[matches(take(view.values, found), pattern)]
    mask = np.zeros(len(view.values), dtype=bool)
    mask[found] = True
    return mask


@check("empty_text", group="format", options=EmptyTextCheck, details=FlagDetails)
class EmptyTextValidator(RowFlagValidator[EmptyTextCheck], ScansText):
    noun = "with empty text"

    def reads(self) -> list[str]:
        required = KIND_FIELDS[self.spec.kind][0]
        return self.config.fields or [f for f in TEXT_FIELDS[self.spec.kind] if f in required]

    def scanned(self) -> list[tuple[list[str] | None, str]]:
        return [(self.reads(), BLANK)]

    def find(self, batch: BatchContext) -> list[Hit]:
        hits = []
        for view in batch.views(self.reads()):
            missing = bools(view.values.is_null())
            hits += [Hit("missing", missing, view), Hit("empty", matching(batch, view, BLANK), view)]
        return hits


@check("whitespace", group="format", options=WhitespaceCheck, details=FlagDetails)
class WhitespaceValidator(_PatternValidator):
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
class EncodingValidator(_PatternValidator):
    noun = "with encoding damage"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, EncodingCheck)
        return [pair for pair, on in ((("replacement_char", "\ufffd"), cfg.replacement),
                                      (("control_char", CONTROL), cfg.control),
                                      (("mojibake", MOJIBAKE), cfg.mojibake)) if on]


@check("special_tokens", group="format", options=SpecialTokensCheck, details=FlagDetails)
class SpecialTokensValidator(_PatternValidator):
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
        """An odd count of fence lines per value: a value without any (not a candidate) counts 0, even."""
        hits = []
        for view in batch.views(self.config.fields):
            found, _ = candidates(batch, view, [FENCE])
            odd = np.zeros(len(view.values), dtype=bool)
            if len(found):
                fences = numbers(pc.count_substring_regex(take(view.values, found), FENCE), fill=0)
                odd[found[fences % 2 == 1]] = True
            hits.append(Hit("unbalanced_fence", odd, view, FENCE))
        return hits


@check("placeholders", group="format", options=PlaceholdersCheck, details=FlagDetails)
class PlaceholdersValidator(_PatternValidator):
    noun = "with unfilled template slots"

    def patterns(self) -> list[tuple[str, str]]:
        cfg = self.config
        assert isinstance(cfg, PlaceholdersCheck)
        return [("placeholder", "|".join(f"(?:{p})" for p in cfg.patterns))] if cfg.patterns else []
