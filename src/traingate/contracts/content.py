"""Options of the checks that judge content: alignment and relevance (declaration only)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traingate.contracts.model import CheckConfig

DEFAULT_REFUSALS = [
    "as an ai language model", "as an ai assistant", "as a language model", "i'm just an ai", "i am just an ai",
    "i cannot assist with", "i can't assist with", "i cannot help with", "i can't help with that",
    "i'm sorry, but i can't", "i'm sorry, but i cannot", "i am sorry, but i cannot", "i'm unable to provide",
    "i am unable to provide", "i cannot fulfill", "i can't fulfill", "i cannot provide", "i can't provide",
    "i don't have personal opinions", "i do not have personal opinions", "my knowledge cutoff",
    "i don't have access to real-time", "openai's content policy", "against my programming",
]


class RefusalsCheck(CheckConfig):
    group: ClassVar[str] = "alignment"
    summary: ClassVar[str] = "responses with refusal or AI boilerplate phrases ('As an AI language model', ...)"
    type: Literal["refusals"]
    phrases: list[str] = Field(default_factory=lambda: list(DEFAULT_REFUSALS),
                               description="Phrases matched without case anywhere in a response.")
    extra_phrases: list[str] = Field(default_factory=list, description="Added to `phrases`.")


class TruncatedCheck(CheckConfig):
    group: ClassVar[str] = "alignment"
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
    group: ClassVar[str] = "alignment"
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


class ResponseFormatCheck(CheckConfig):
    group: ClassVar[str] = "alignment"
    summary: ClassVar[str] = "responses that must parse as JSON (optionally against a schema), compile as Python, or match"
    type: Literal["response_format"]
    format: Literal["json", "python", "regex"]
    json_schema: dict[str, object] | None = Field(None, description="JSON Schema the parsed response must satisfy.")
    pattern: str | None = Field(None, description="With format: regex, the pattern the whole response must match.")
    when_prompt_matches: str | None = Field(None, description="Judge only rows whose prompt matches this regex, "
                                                              "e.g. '(?i)\\bjson\\b'.")
    strip_fences: bool = Field(True, description="Read the inside of a response wrapped in one ``` code block.")

    @model_validator(mode="after")
    def _pattern(self) -> ResponseFormatCheck:
        if (self.format == "regex") != (self.pattern is not None):
            raise ValueError("`pattern` goes with format: regex, and only with it")
        return self


class KeywordsCheck(CheckConfig):
    group: ClassVar[str] = "relevance"
    summary: ClassVar[str] = "required or forbidden terms per logical field"
    type: Literal["keywords"]
    required: dict[str, list[str]] = Field(default_factory=dict,
                                           description="Field -> terms; a row lacking all of them is a finding.")
    forbidden: dict[str, list[str]] = Field(default_factory=dict, description="Field -> terms that must not appear.")

    @model_validator(mode="after")
    def _some(self) -> KeywordsCheck:
        if not self.required and not self.forbidden:
            raise ValueError("keywords needs `required` or `forbidden` terms")
        return self


class LanguageCheck(CheckConfig):
    group: ClassVar[str] = "relevance"
    summary: ClassVar[str] = "rows in a language outside `allowed` (offline fastText language identification)"
    type: Literal["language"]
    allowed: list[str] = Field(min_length=1, description="ISO 639-1 codes, e.g. [en, de].")
    min_confidence: float = Field(0.5, ge=0, le=1, description="Below this the language counts as 'unknown'.")


class SimilarityCheck(CheckConfig):
    group: ClassVar[str] = "relevance"
    summary: ClassVar[str] = "rows whose embedding is far from the task description and reference examples"
    type: Literal["similarity"]
    task: str | None = Field(None, description="A description of the task the data is for.")
    references: str | None = Field(None, description="File of reference examples (any format traingate reads), "
                                                     "relative to the contract.")
    reference_field: str = Field("text", description="Column of `references` holding the example text.")
    min_similarity: float = Field(0.3, ge=-1, le=1, description="Rows whose best cosine is below this are off topic.")
    model: Literal["wordllama"] = Field("wordllama", description="Offline embedding model (pip install 'traingate[semantic]').")

    @model_validator(mode="after")
    def _something(self) -> SimilarityCheck:
        if self.task is None and self.references is None:
            raise ValueError("similarity needs a `task` description or `references`")
        return self


class ScorerCheck(CheckConfig):
    group: ClassVar[str] = "relevance"
    summary: ClassVar[str] = "a team's own scorer ('module:function', rows in, one number per row out), thresholded"
    type: Literal["scorer"]
    function: str = Field(pattern=r"^[\w.]+:\w+$", description="'package.module:function'; called with a list of "
                                                                 "row dicts, returns one number per row.")
    min_score: float | None = Field(None, description="Rows scoring below this are findings.")
    max_score: float | None = Field(None, description="Rows scoring above this are findings.")
    columns: list[str] = Field(default_factory=list, description="Columns passed besides the kind's fields.")
