"""Counts in words, for every message a check or a report writes: `1 row`, `2 rows`, `1 cluster`."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` with its thousands separators and the noun in the number it takes."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
