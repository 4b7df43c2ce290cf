"""Option models more than one check takes."""

from __future__ import annotations

from typing import Literal

Normalisation = Literal["case", "whitespace", "unicode", "punctuation"]


DEFAULT_NORMALISATION: tuple[Normalisation, ...] = ("unicode", "whitespace")


FULL_NORMALISATION: tuple[Normalisation, ...] = ("unicode", "case", "punctuation", "whitespace")
