"""Options of the uniqueness checks (declaration only)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from traingate.contracts.model import CheckConfig

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
