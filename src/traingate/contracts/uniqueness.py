"""Options of the uniqueness checks (declaration only)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from traingate.contracts.model import CheckConfig, SampleSpec, StrictModel

Normalisation = Literal["case", "whitespace", "unicode", "punctuation"]
DEFAULT_NORMALISATION: tuple[Normalisation, ...] = ("unicode", "whitespace")
FULL_NORMALISATION: tuple[Normalisation, ...] = ("unicode", "case", "punctuation", "whitespace")


class ExactDuplicatesCheck(CheckConfig):
    group: ClassVar[str] = "uniqueness"
    summary: ClassVar[str] = "rows whose fields are equal after normalisation; clusters and prompt-only repeats"
    type: Literal["exact_duplicates"]
    on: list[str] | None = Field(None, description="Logical fields compared; default the kind's content fields.")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(DEFAULT_NORMALISATION),
                                           description="Applied before comparing: case, whitespace, unicode, punctuation.")
    top_clusters: int = Field(10, ge=0, le=100, description="Largest clusters listed in the report.")


class _ShingleOptions(CheckConfig):
    group: ClassVar[str] = "uniqueness"
    on: list[str] | None = Field(None, description="Logical fields compared; default the kind's content fields.")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(FULL_NORMALISATION))
    shingle: Literal["word", "char"] = Field("word", description="word n-grams, or character (UTF-8 byte) n-grams.")
    size: int = Field(3, ge=1, le=32, description="Shingle length in words or bytes.")


class NearDuplicatesCheck(_ShingleOptions):
    summary: ClassVar[str] = "MinHash LSH near-duplicates (Jaccard of shingles), clustered by connected components"
    type: Literal["near_duplicates"]
    threshold: float = Field(0.8, gt=0, lt=1, description="Jaccard similarity that makes two rows near-duplicates.")
    num_perm: int = Field(128, ge=16, le=512, description="MinHash permutations.")
    verify: bool = Field(False, description="Re-read candidate rows and keep only pairs whose exact Jaccard passes.")
    max_verify_rows: int = Field(50_000, ge=1, description="Candidate rows beyond this are reported unverified.")
    top_clusters: int = Field(10, ge=0, le=100)


class EvalSet(StrictModel):
    path: str = Field(description="Eval file (any format traingate reads), relative to the contract.")
    field: str = Field("question", description="Column holding the eval item's text.")
    answer_field: str | None = Field(None, description="Column appended to the item, so n-grams span both.")
    match: Literal["question_and_answer", "question", "either"] = Field(
        "question_and_answer", description="With `answer_field`: search the question and answer joined, the question "
                                           "alone (found when copied without its answer), or either.")
    name: str | None = None


class ContaminationCheck(CheckConfig):
    group: ClassVar[str] = "uniqueness"
    summary: ClassVar[str] = "rows holding an eval item: share of the item's word n-grams found in the row"
    type: Literal["contamination"]
    against: list[EvalSet] = Field(min_length=1)
    on: list[str] | None = Field(None, description="Dataset fields searched; default the kind's content fields.")
    ngram: int = Field(13, ge=1, le=64, description="Word n-gram length (a smaller n finds edited copies more often).")
    min_overlap: float = Field(0.5, gt=0, le=1, description="Share of an item's n-grams that makes a row contaminated.")
    min_words: int = Field(5, ge=1, description="Shortest item searched, in words, whatever `ngram` is (shorter ones "
                                                "are generic phrases). Items shorter than `ngram` match by their whole "
                                                "word sequence within one turn or field.")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(FULL_NORMALISATION))


class SplitLeakageCheck(CheckConfig):
    group: ClassVar[str] = "uniqueness"
    summary: ClassVar[str] = "test rows that also stand in train, exactly or as near-duplicates"
    type: Literal["split_leakage"]
    train: list[str] = Field(default_factory=lambda: ["train"], description="Split names of training data.")
    test: list[str] = Field(default_factory=lambda: ["test", "validation", "eval", "dev"])
    on: list[str] | None = None
    normalize: list[Normalisation] = Field(default_factory=lambda: list(FULL_NORMALISATION))
    threshold: float | None = Field(0.8, gt=0, lt=1, description="Near-duplicate Jaccard; null for exact only.")
    shingle_size: int = Field(3, ge=1, le=32, description="Word shingle length for near-duplicates.")
    verify: bool = Field(False, description="Re-read candidate rows and keep only near pairs whose exact Jaccard passes.")
    max_verify_rows: int = Field(50_000, ge=1, description="Candidate rows beyond this are reported unverified.")


class SemanticDuplicatesCheck(CheckConfig):
    group: ClassVar[str] = "uniqueness"
    summary: ClassVar[str] = "rows whose sentence embeddings have cosine similarity above a threshold"
    type: Literal["semantic_duplicates"]
    on: list[str] | None = Field(None, description="Logical fields embedded; default the kind's content fields.")
    threshold: float = Field(0.95, gt=0, le=1, description="Cosine similarity that makes two rows duplicates.")
    model: Literal["wordllama"] = Field("wordllama", description="Offline embedding model (pip install 'traingate[semantic]').")
    sample: SampleSpec | None = Field(None, description="Embed a seeded sample instead of every row.")
    block_rows: int = Field(2048, ge=64, description="Rows per block of the pairwise search (memory: block_rows^2 floats).")
    top_clusters: int = Field(10, ge=0, le=100)
