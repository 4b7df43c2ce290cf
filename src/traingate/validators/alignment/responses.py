"""Alignment with the task's requirements: refusal boilerplate, truncated responses and the response to
prompt length ratio; the checks of the responses share ResponseValidator (response_format.py is one)."""

from __future__ import annotations

import re
from abc import abstractmethod
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext, TextView
from traingate.data.tokenizers import get_tokenizer
from traingate.validators.alignment.endings import finished_form
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import C, Hit, RowFlagValidator
from traingate.validators.common.registry import check
from traingate.validators.common.textscan import matches
from traingate.validators.common.turns import RESPONSE_FIELDS, per_row_chars, prompt_fields, prompts, responses

DEFAULT_REFUSALS = [
    "as an ai language model", "as an ai assistant", "as a language model", "i'm just an ai", "i am just an ai",
    "i cannot assist with", "i can't assist with", "i cannot help with", "i can't help with that",
    "i'm sorry, but i can't", "i'm sorry, but i cannot", "i am sorry, but i cannot", "i'm unable to provide",
    "i am unable to provide", "i cannot fulfill", "i can't fulfill", "i cannot provide", "i can't provide",
    "i don't have personal opinions", "i do not have personal opinions", "my knowledge cutoff",
    "i don't have access to real-time", "openai's content policy", "against my programming",
]


class RefusalsCheck(CheckConfig):
    summary: ClassVar[str] = "responses with refusal or AI boilerplate phrases ('As an AI language model', ...)"
    type: Literal["refusals"]
    phrases: list[str] = Field(default_factory=lambda: list(DEFAULT_REFUSALS),
                               description="Phrases matched without case anywhere in a response.")
    extra_phrases: list[str] = Field(default_factory=empty.list_, description="Added to `phrases`.")


class TruncatedCheck(CheckConfig):
    summary: ClassVar[str] = "responses that end mid-sentence or leave a code fence open"
    type: Literal["truncated"]
    endings: str = Field(".!?…\"'”’)]}*`>|:;", description="Characters a finished response may end with.")
    min_words: int = Field(8, ge=1, description="Shorter responses are not judged for their ending.")
    finished_forms: list[Literal["list_item", "heading", "url", "hashtags", "signature", "title", "emoji"]] = Field(
        ["list_item", "heading", "url", "hashtags", "signature", "title", "emoji"],
        description="Endings without punctuation that are not truncation: a last line that is a list item, a markdown "
                    "heading, a URL, ends in a hashtag, a signature (`Best,` then a name, or `— Anna`), a title-case "
                    "title, or ends in an emoji.")


class LengthRatioCheck(CheckConfig):
    summary: ClassVar[str] = "response length over prompt length outside [min, max] (characters)"
    type: Literal["length_ratio"]
    min: float | None = Field(None, ge=0, description="Smallest response/prompt ratio.")
    max: float | None = Field(None, ge=0, description="Largest response/prompt ratio.")

    @model_validator(mode="after")
    def _bounds(self) -> LengthRatioCheck:
        if self.min is None and self.max is None:
            raise ValueError("length_ratio needs `min` or `max`")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


WORDS = get_tokenizer("whitespace")


class ResponseValidator(RowFlagValidator[C]):
    """A check of the responses (response, chosen, or the assistant turns): a batch without any has no findings."""

    def reads(self) -> list[str]:
        return [RESPONSE_FIELDS[self.spec.kind]]

    def find(self, batch: BatchContext) -> list[Hit]:
        view = responses(batch)
        return [] if view is None else self.find_in(batch, view)

    @abstractmethod
    def find_in(self, batch: BatchContext, view: TextView) -> list[Hit]: ...


@check("refusals", group="alignment", options=RefusalsCheck, details=FlagDetails)
class RefusalsValidator(ResponseValidator[RefusalsCheck]):
    noun = "with a refusal or AI boilerplate"

    def find_in(self, batch: BatchContext, view: TextView) -> list[Hit]:
        phrases = self.config.phrases + self.config.extra_phrases
        if not phrases:
            return []
        pattern = "(?i)" + "|".join(re.escape(p) for p in phrases)
        return [Hit("refusal", matches(view.values, pattern), view, pattern)]


@check("truncated", group="alignment", options=TruncatedCheck, details=FlagDetails)
class TruncatedValidator(ResponseValidator[TruncatedCheck]):
    noun = "with a truncated response"

    def find_in(self, batch: BatchContext, view: TextView) -> list[Hit]:
        fences = np.asarray(pc.count_substring_regex(view.values, r"(?m)^[ \t]*```").fill_null(0), dtype=np.int64)
        trimmed = pc.utf8_rtrim_whitespace(view.values.fill_null(""))
        last = pc.utf8_slice_codeunits(trimmed, -1)
        ended = np.asarray(pc.is_in(last, value_set=pa.array(list(self.config.endings))).fill_null(False), dtype=bool)
        long_enough = WORDS.count(view.values) >= self.config.min_words
        open_fence = fences % 2 == 1
        mid = ~open_fence & ~ended & long_enough
        for k in np.flatnonzero(mid):  # few: most responses end with punctuation
            mid[k] = finished_form(view.values[int(k)].as_py(), list(self.config.finished_forms)) is None
        return [Hit("unclosed_code_fence", open_fence, view),
                Hit("ends_mid_sentence", mid, view, r"\S[^\n]{0,80}\s*$")]


@check("length_ratio", group="alignment", options=LengthRatioCheck, details=FlagDetails)
class LengthRatioValidator(ResponseValidator[LengthRatioCheck]):
    noun = "with a response/prompt length ratio out of bounds"

    def reads(self) -> list[str]:
        return list(dict.fromkeys([*super().reads(), *prompt_fields(self.spec)]))

    def find_in(self, batch: BatchContext, view: TextView) -> list[Hit]:
        ratio = per_row_chars(batch, view) / np.maximum(per_row_chars(batch, prompts(batch)), 1)
        of_value = ratio[view.row_of()]  # each response value carries its row's ratio
        hits = []
        if self.config.min is not None:
            hits.append(Hit(f"ratio_below_{self.config.min:g}", of_value < self.config.min, view, values=of_value,
                            measure="ratio"))
        if self.config.max is not None:
            hits.append(Hit(f"ratio_above_{self.config.max:g}", of_value > self.config.max, view, values=of_value,
                            measure="ratio"))
        return hits
