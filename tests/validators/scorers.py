"""Scorers that tests name in contracts (relevance.scorer)."""

from __future__ import annotations

from typing import Any


def text_length(rows: list[dict[str, Any]]) -> list[int]:
    return [len(str(row.get("text") or "")) for row in rows]


def crash_on_marked_rows(rows: list[dict[str, Any]]) -> list[int]:
    """Kills the worker process (as an out-of-memory kill would) on a row whose text says CRASH; on a row
    saying CRASH-ONCE only while the file named in the row does not exist yet (it is created first)."""
    import os

    for row in rows:
        text = str(row.get("text") or "")
        if text.startswith("CRASH-ONCE "):
            marker = text.split(" ", 1)[1]
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(9)
        elif text == "CRASH":
            os._exit(9)
    return [1] * len(rows)


def slow_after_marking(rows: list[dict[str, Any]]) -> list[int]:
    """Marks that a worker got here (a file named in the row), then takes 3 s per batch."""
    import time

    for row in rows:
        text = str(row.get("text") or "")
        if text.startswith("MARK "):
            open(text.split(" ", 1)[1], "a").close()
    time.sleep(3)
    return [1] * len(rows)
