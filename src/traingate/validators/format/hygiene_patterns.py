"""What the hygiene checks look for and how they find it: the default template tokens and slots, the regexes of
control characters, mojibake, blank values, code fences and the group that marks a whitespace sample; and the
matching the checks of other groups share (a policy blocklist, keywords): any of a list of terms as whole
words, the values matching any of (reason, regex) found from the batch's one pass over each field
(common/textscan.py), and PatternValidator, a check that flags them."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow.compute as pc

from traingate.contracts.model import TextCheck
from traingate.data.arrays import bools, numbers
from traingate.data.batch import BatchContext, TextView
from traingate.validators.common.flags import Hit, RowFlagValidator
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

CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0080-\u009f]"
MOJIBAKE = "(?:Ã|Â|â€)[\u00a0-\u00bf\u2018-\u201e\u2020-\u2026\u2030\u2039\u203a\u20ac\u2122\u0152\u0153\u0160\u0161\u0178]"
BLANK = r"^\s*$"
AT = "(?P<at>"  # the group a whitespace regex names, to mark its sample
FENCE = r"(?m)^[ \t]*```"


class PatternValidator(RowFlagValidator[TextCheck], ScansText):
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


def empty_hits(batch: BatchContext, fields: list[str]) -> list[Hit]:
    """Per field, the values that are missing and those that are blank (empty or whitespace only)."""
    hits = []
    for view in batch.views(fields):
        missing = bools(view.values.is_null())
        hits += [Hit("missing", missing, view), Hit("empty", matching(batch, view, BLANK), view)]
    return hits


def fence_hits(batch: BatchContext, fields: list[str] | None) -> list[Hit]:
    """An odd count of fence lines per value: a value without any (not a candidate) counts 0, even."""
    hits = []
    for view in batch.views(fields):
        found, _ = candidates(batch, view, [FENCE])
        odd = np.zeros(len(view.values), dtype=bool)
        if len(found):
            fences = numbers(pc.count_substring_regex(take(view.values, found), FENCE), fill=0)
            odd[found[fences % 2 == 1]] = True
        hits.append(Hit("unbalanced_fence", odd, view, FENCE))
    return hits
