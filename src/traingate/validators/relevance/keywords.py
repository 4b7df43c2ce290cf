"""Relevance to the task: required and forbidden terms per field, and the languages rows are in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.contracts.content import KeywordsCheck, LanguageCheck
from traingate.data.batch import BatchContext, TextView
from traingate.results.model import CheckResult
from traingate.validators.common.features import NO_TEXT, language_labels, row_text
from traingate.validators.common.flags import FlagState, Hit, RowFlagValidator
from traingate.validators.common.registry import register_validator
from traingate.validators.format.hygiene import any_term, matches


@register_validator
class KeywordsValidator(RowFlagValidator[KeywordsCheck]):
    config_model = KeywordsCheck
    noun = "missing a required term or holding a forbidden one"

    def reads(self) -> list[str]:
        return list(dict.fromkeys([*self.config.required, *self.config.forbidden]))

    def find(self, batch: BatchContext) -> list[Hit]:
        hits = []
        for name, terms in self.config.required.items():
            view = batch.text(name)
            if view is not None and terms:
                present = np.zeros(batch.num_rows, dtype=bool)
                present[view.row_of()[matches(view.values, any_term(terms))]] = True
                hits.append(Hit(f"missing_required_{name}", ~present[view.row_of()], view))
        for name, terms in self.config.forbidden.items():
            view = batch.text(name)
            if view is not None:
                hits += [Hit(f"forbidden_{t}", matches(view.values, any_term([t])), view, any_term([t])) for t in terms]
        return hits


@register_validator
class LanguageValidator(RowFlagValidator[LanguageCheck]):
    config_model = LanguageCheck
    noun = "in a language not allowed"

    def find(self, batch: BatchContext) -> list[Hit]:
        named = np.array(language_labels(batch, self.config.min_confidence), dtype=object)
        view = TextView("text", _as_array(row_text(batch)), None)
        return [Hit(f"language_{lang}", named == lang, view) for lang in sorted(set(named))
                if lang not in self.config.allowed and lang != NO_TEXT]

    def tally(self, batch: BatchContext) -> Counter[str]:
        """Rows per language, as the coverage feature `language` counts them (rows without text as NO_TEXT)."""
        return Counter(language_labels(batch, self.config.min_confidence))

    def finalize(self, state: FlagState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        result = super().finalize(state, rows)
        result.details["languages"] = dict(state.tally.most_common())
        return result


def _as_array(texts: list[str]) -> pa.Array:
    return pa.array(texts, pa.string())
