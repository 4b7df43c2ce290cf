"""`pretraining_quality`: the Gopher repetition, Gopher quality, C4 and FineWeb rules web-scale pretraining
data is filtered with, each document judged as datatrove's filters judge it (the same words, the same
order, the same thresholds by default). A finding per rule broken, with what was measured and the limit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.errors import require
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import FlagState, Hit, RowFlagValidator
from traingate.validators.common.registry import check
from traingate.validators.relevance.pretraining_c4 import C4, c4
from traingate.validators.relevance.pretraining_fineweb import FineWeb, fineweb
from traingate.validators.relevance.pretraining_gopher import GopherQuality, gopher_quality
from traingate.validators.relevance.pretraining_repetition import GopherRepetition, gopher_repetition
from traingate.validators.relevance.pretraining_words import Failure, english, strings_freed, words

RuleSet = Literal["gopher_repetition", "gopher_quality", "c4", "fineweb"]
RULE_SETS: tuple[RuleSet, ...] = ("gopher_repetition", "gopher_quality", "c4", "fineweb")
SPANS = {"c4.lorem_ipsum": "(?i)lorem ipsum", "c4.curly_bracket": r"\{"}


class PretrainingQualityCheck(CheckConfig):
    summary: ClassVar[str] = "documents the Gopher, C4 or FineWeb quality rules drop (as datatrove applies them)"
    type: Literal["pretraining_quality"]
    rules: list[RuleSet] = Field(list(RULE_SETS), min_length=1, description="Rule sets to apply.")
    field: str = Field("text", description="The logical field or column holding each document (other kinds "
                       "name theirs, e.g. response).")
    gopher_repetition: GopherRepetition = Field(default_factory=GopherRepetition,
                                                description="Thresholds of the Gopher repetition rules.")
    gopher_quality: GopherQuality = Field(default_factory=GopherQuality,
                                          description="Thresholds of the Gopher quality rules.")
    c4: C4 = Field(default_factory=C4, description="Options of the C4 rules.")
    fineweb: FineWeb = Field(default_factory=FineWeb, description="Thresholds of the FineWeb rules.")


class PretrainingDetails(FlagDetails):
    """Rows per rule broken (`by_reason`: rule set.rule) and rows per rule set broken."""

    rule_sets: dict[str, int] = Field(description="Rows failing each rule set applied (a row failing any of its "
                                      "rules), in the order of `rules`: the documents datatrove's filter drops.")


def judge(text: str, config: PretrainingQualityCheck) -> dict[str, list[Failure]]:
    """The rules `text` breaks, per rule set applied (empty lists for the sets it passes). A rule set's first
    failure is the reason datatrove's filter gives."""
    tokens: list[list[str]] = []

    def split() -> list[str]:  # words once per document, shared by the rule sets that need them
        if not tokens:
            tokens.append(words(text))
        return tokens[0]

    run: dict[str, Callable[[], list[Failure]]] = {
        "gopher_repetition": lambda: gopher_repetition(text, split, config.gopher_repetition),
        "gopher_quality": lambda: gopher_quality(text, split(), config.gopher_quality),
        "c4": lambda: c4(text, config.c4),
        "fineweb": lambda: fineweb(text, split, config.fineweb)}
    return {name: run[name]() for name in config.rules}


def reasons(config: PretrainingQualityCheck) -> list[str]:
    """Every rule the check can report, in datatrove's order (a row's sample shows its first)."""
    every = {
        "gopher_repetition": ["empty", "dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac",
                              *(f"top_{n}_gram" for n, _ in config.gopher_repetition.top_n_grams),
                              *(f"duplicated_{n}_n_grams" for n, _ in config.gopher_repetition.dup_n_grams)],
        "gopher_quality": ["short_doc", "long_doc", "short_words", "long_words", "hashes", "ellipses", "bullet_lines",
                           "ellipsis_lines", "alpha_words", "stop_words"],
        "c4": ["lorem_ipsum", "curly_bracket", "too_few_sentences"],
        "fineweb": ["empty", "line_punct_ratio", "short_line_ratio", "char_dup_ratio", "list_ratio"]}
    return list(dict.fromkeys(f"{name}.{rule}" for name in RULE_SETS for rule in every[name]))


@check("pretraining_quality", group="relevance", options=PretrainingQualityCheck, details=PretrainingDetails)
class PretrainingQualityValidator(RowFlagValidator[PretrainingQualityCheck]):
    noun = "failing a pretraining quality rule"
    preload = ("spacy",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        require(f"the pretraining_quality check {self.check_id!r}", "pretraining")  # before any data is read
        english()  # spaCy imported here, before the checks' threads: another check importing it at once half-loads it
        self.order = {reason: i for i, reason in enumerate(reasons(self.config))}

    def reads(self) -> list[str]:
        return [self.config.field]

    def columns(self) -> set[str]:
        return super().columns() | {self.spec.column(self.config.field).split(".")[0]}

    def add_batch(self, state: FlagState, batch: BatchContext) -> FlagState:
        hits, failing = self._judge(batch)
        state.tally.update(failing)
        return self.add_hits(state, batch, hits)

    def find(self, batch: BatchContext) -> list[Hit]:
        return self._judge(batch)[0]

    def _judge(self, batch: BatchContext) -> tuple[list[Hit], Counter[str]]:
        view = batch.text(self.config.field)
        if view is None:
            return [], Counter()
        texts = view.values.to_pylist()
        with strings_freed():
            verdicts = [judge(t if isinstance(t, str) else "", self.config) for t in texts]
        found: dict[str, tuple[np.ndarray, np.ndarray, Failure]] = {}
        failing: Counter[str] = Counter()
        owners = view.row_of()
        for name in self.config.rules:
            bad = np.array([bool(v[name]) for v in verdicts], dtype=bool)
            failing[name] += len(np.unique(owners[bad])) if bad.any() else 0
        for i, verdict in enumerate(verdicts):
            for failure in (f for failures in verdict.values() for f in failures):
                mask, values, _ = found.setdefault(failure.reason, (np.zeros(len(texts), dtype=bool),
                                                                    np.full(len(texts), np.nan), failure))
                mask[i], values[i] = True, failure.value
        hits = [Hit(reason, mask, view, SPANS.get(reason), f"needs {first.limit}", values, first.measure)
                for reason, (mask, values, first) in sorted(found.items(), key=lambda item: self.order[item[0]])]
        return hits, failing

    def details(self, state: FlagState) -> PretrainingDetails:
        counts = {name: state.tally[name] for name in self.config.rules}
        return PretrainingDetails(by_reason=super().details(state).by_reason, rule_sets=counts)
