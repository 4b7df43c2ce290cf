"""Options of the uniqueness checks (declaration only)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from traingate.contracts.model import CheckConfig

Normalisation = Literal["case", "whitespace", "unicode", "punctuation"]
DEFAULT_NORMALISATION: tuple[Normalisation, ...] = ("unicode", "whitespace")


class ExactDuplicatesCheck(CheckConfig):
    group: ClassVar[str] = "uniqueness"
    summary: ClassVar[str] = "rows whose fields are equal after normalisation; clusters and prompt-only repeats"
    type: Literal["exact_duplicates"]
    on: list[str] | None = Field(None, description="Logical fields compared; default the kind's content fields.")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(DEFAULT_NORMALISATION),
                                           description="Applied before comparing: case, whitespace, unicode, punctuation.")
    top_clusters: int = Field(10, ge=0, le=100, description="Largest clusters listed in the report.")
