"""Options of the built-in check types, one model each (declaration only)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traingate.contracts.compliance import BlocklistCheck, LicenceCheck, LineageCheck, PiiCheck, SecretsCheck
from traingate.contracts.content import (
    KeywordsCheck,
    LanguageCheck,
    LengthRatioCheck,
    RefusalsCheck,
    ResponseFormatCheck,
    ScorerCheck,
    SimilarityCheck,
    TruncatedCheck,
)
from traingate.contracts.expectations import EXPECTATION_CHECKS
from traingate.contracts.mix import (
    AgreementCheck,
    ConflictingLabelsCheck,
    DistributionCheck,
    DiversityCheck,
    PreferenceConsistencyCheck,
)
from traingate.contracts.model import CheckConfig, StrictModel, TextCheck
from traingate.contracts.uniqueness import (
    ContaminationCheck,
    ExactDuplicatesCheck,
    NearDuplicatesCheck,
    SemanticDuplicatesCheck,
    SplitLeakageCheck,
)

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


class ColumnSpec(StrictModel):
    dtype: Literal["string", "int", "float", "number", "bool", "list", "struct", "any"] = "any"
    required: bool = Field(True, description="The column must exist in the data.")
    nullable: bool = Field(False, description="Null or missing values are allowed.")
    regex: str | None = Field(None, description="Every value must fully match this pattern.")
    isin: list[str | int | float | bool] | None = Field(None, description="Allowed values.")
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=0)
    min: float | None = None
    max: float | None = None
    unique: bool = Field(False, description="No value may repeat anywhere in the dataset.")


class SchemaCheck(CheckConfig):
    summary: ClassVar[str] = "record schema via pandera: dtype, required, nullable, regex, isin, lengths, unique"
    type: Literal["schema"]
    columns: dict[str, ColumnSpec] = Field(min_length=1)


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
    extra_tokens: list[str] = Field(default_factory=list, description="Added to `tokens`.")


class CodeFencesCheck(TextCheck):
    summary: ClassVar[str] = "unbalanced ``` code fences"
    type: Literal["code_fences"]


class PlaceholdersCheck(TextCheck):
    summary: ClassVar[str] = "unfilled template slots such as {{name}}"
    type: Literal["placeholders"]
    patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_PLACEHOLDERS))


class _LengthCheck(TextCheck):
    limit: int = Field(ge=0)
    per: Literal["row", "field"] = Field("row", description="row: sum over the row's text fields.")


class MinTokensCheck(_LengthCheck):
    summary: ClassVar[str] = "rows (or fields) with fewer tokens than `limit`"
    type: Literal["min_tokens"]


class MaxTokensCheck(_LengthCheck):
    summary: ClassVar[str] = "rows (or fields) with more tokens than `limit`"
    type: Literal["max_tokens"]


class MinCharsCheck(_LengthCheck):
    summary: ClassVar[str] = "rows (or fields) with fewer characters than `limit`"
    type: Literal["min_chars"]


class MaxCharsCheck(_LengthCheck):
    summary: ClassVar[str] = "rows (or fields) with more characters than `limit`"
    type: Literal["max_chars"]


class ChatStructureCheck(CheckConfig):
    summary: ClassVar[str] = "known roles, first/last role, alternation, empty turns, tool calls as JSON"
    type: Literal["chat_structure"]
    first_role: str | None = Field("user", description="Canonical role of the first non-system turn.")
    last_role: str | None = Field("assistant", description="Canonical role of the last turn.")
    alternate: bool = Field(True, description="user and assistant turns alternate (system/tool turns aside).")
    allow_empty_turns: bool = False
    json_roles: list[str] | None = Field(
        None, description="Raw roles whose content must be JSON; default: tool roles whose name has 'call'.")


class PreferencePairCheck(CheckConfig):
    summary: ClassVar[str] = "chosen differs from rejected, and both answer the same prompt"
    type: Literal["preference_pair"]
    shared_prefix_until: str | None = Field(
        None, description="For transcripts: text before the last occurrence of this marker must match.")


class ScoreRangeCheck(CheckConfig):
    summary: ClassVar[str] = "reward scores numeric, finite and within [min, max]"
    type: Literal["score_range"]
    field: str = "score"
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> ScoreRangeCheck:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class MinRowsCheck(CheckConfig):
    group: ClassVar[str] = "quantity"
    summary: ClassVar[str] = "at least `min` rows, per split when the contract lists splits"
    type: Literal["min_rows"]
    min: int = Field(ge=0)
    per_split: dict[str, int] = Field(default_factory=dict, description="Split name -> its own minimum.")


class MinTotalTokensCheck(CheckConfig):
    group: ClassVar[str] = "quantity"
    summary: ClassVar[str] = "at least `min` tokens in all text fields together, per split"
    type: Literal["min_tokens"]
    min: int = Field(ge=0)
    per_split: dict[str, int] = Field(default_factory=dict)


BUILTIN_CHECKS: list[type[CheckConfig]] = [
    SchemaCheck, EmptyTextCheck, WhitespaceCheck, EncodingCheck, SpecialTokensCheck, CodeFencesCheck,
    PlaceholdersCheck, MinTokensCheck, MaxTokensCheck, MinCharsCheck, MaxCharsCheck, ChatStructureCheck,
    PreferencePairCheck, ScoreRangeCheck, MinRowsCheck, MinTotalTokensCheck, ExactDuplicatesCheck,
    NearDuplicatesCheck, ContaminationCheck, SplitLeakageCheck, SemanticDuplicatesCheck, PiiCheck, SecretsCheck,
    BlocklistCheck, LicenceCheck, LineageCheck, RefusalsCheck, TruncatedCheck, LengthRatioCheck, ResponseFormatCheck,
    KeywordsCheck, LanguageCheck, DistributionCheck, DiversityCheck, AgreementCheck, ConflictingLabelsCheck,
    PreferenceConsistencyCheck, SimilarityCheck, ScorerCheck, *EXPECTATION_CHECKS,
]
