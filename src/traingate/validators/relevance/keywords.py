"""Relevance to the task: required and forbidden terms per field, and the languages rows are in."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext, TextView
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import FlagState, Hit, RowFlagValidator
from traingate.validators.common.registry import check
from traingate.validators.common.text_features import NO_TEXT, language_labels, row_text
from traingate.validators.common.textscan import matches
from traingate.validators.format.hygiene_patterns import any_term


class KeywordsCheck(CheckConfig):
    summary: ClassVar[str] = "required or forbidden terms per logical field"
    type: Literal["keywords"]
    required: dict[str, list[str]] = Field(default_factory=empty.dict_,
                                           description="Field -> terms; a row lacking all of them is a finding.")
    forbidden: dict[str, list[str]] = Field(default_factory=empty.dict_, description="Field -> terms that must not appear.")

    @model_validator(mode="after")
    def _some(self) -> KeywordsCheck:
        if not self.required and not self.forbidden:
            raise ValueError("keywords needs `required` or `forbidden` terms")
        return self


class LanguageCheck(CheckConfig):
    summary: ClassVar[str] = "rows in a language outside `allowed` (offline fastText language identification)"
    type: Literal["language"]
    allowed: list[str] = Field(min_length=1, description="ISO 639-1 codes, e.g. [en, de].")
    min_confidence: float = Field(0.5, ge=0, le=1, description="Below this the language counts as 'unknown'.")


class LanguageDetails(FlagDetails):
    """Rows per language not allowed (`by_reason`: language_<code>), and rows per language found."""

    languages: dict[str, int] = Field(description="Rows per language code found (unknown below `min_confidence`, "
                                      f"{NO_TEXT} for rows without text), most frequent first.")


@check("keywords", group="relevance", options=KeywordsCheck, details=FlagDetails)
class KeywordsValidator(RowFlagValidator[KeywordsCheck]):
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


@check("language", group="relevance", options=LanguageCheck, details=LanguageDetails)
class LanguageValidator(RowFlagValidator[LanguageCheck]):
    noun = "in a language not allowed"

    def find(self, batch: BatchContext) -> list[Hit]:
        named = np.array(language_labels(batch, self.config.min_confidence), dtype=object)
        view = TextView("text", _as_array(row_text(batch)), None)
        return [Hit(f"language_{lang}", named == lang, view) for lang in sorted(set(named))
                if lang not in self.config.allowed and lang != NO_TEXT]

    def tally(self, batch: BatchContext) -> Counter[str]:
        """Rows per language, as the coverage feature `language` counts them (rows without text as NO_TEXT)."""
        return Counter(language_labels(batch, self.config.min_confidence))

    def details(self, state: FlagState) -> LanguageDetails:
        return LanguageDetails(by_reason=super().details(state).by_reason, languages=dict(state.tally.most_common()))


def _as_array(texts: list[str]) -> pa.Array:
    return pa.array(texts, pa.string())
