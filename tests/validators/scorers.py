"""Scorers that tests name in contracts (relevance.scorer)."""

from __future__ import annotations

from typing import Any


def text_length(rows: list[dict[str, Any]]) -> list[int]:
    return [len(str(row.get("text") or "")) for row in rows]
