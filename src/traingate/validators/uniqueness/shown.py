"""Clusters of rows as a report shows them: their size and first members, each marked where it differs from
the first (exact, near and semantic duplicates, split leakage, contamination, conflicting labels)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from traingate.contracts.model import DatasetSpec
from traingate.data.lookup import field_text, split_row_id
from traingate.data.masking import window
from traingate.results.model import Sample
from traingate.validators.common.details_parts import Cluster

MEMBERS_SHOWN = 3


def describe_cluster(group: np.ndarray, files: Mapping[int, tuple[str, str]], rows: Mapping[int, dict[str, Any]] | None,
                     spec: DatasetSpec, fields: list[str], size: int | None = None) -> Cluster:
    """A cluster for the report: its size (`size`, else the group's) and its first members, each marked where
    it differs."""
    members = []
    first_text: str | None = None
    content_keys = tuple(k for k in (spec.fields.get("content"), "content", "value", "text") if k)
    for row_id in group[:MEMBERS_SHOWN]:
        file_index, line = split_row_id(int(row_id))
        file, unit = files[file_index]
        record = (rows or {}).get(int(row_id))
        text = " │ ".join(field_text(record, spec.column(f), content_keys) for f in fields) if record else ""
        span = _first_difference(first_text, text) if first_text is not None else None
        first_text = text if first_text is None else first_text
        members.append(Sample(file=file, line=line, unit=unit, field=",".join(fields), reason="duplicate",
                              excerpt=window(text, 0, 399), span=span))
    return Cluster(size=len(group) if size is None else size, members=members)


def _first_difference(a: str, b: str) -> tuple[int, int] | None:
    """The first run of words of `b` that differs from `a` (within the shown excerpt), if any; compared
    word by word, so a changed word is marked whole rather than the letters two words happen to share."""
    words_a = [m.group() for m in re.finditer(r"\S+|\s+", a[:400])]
    spans_b = [m.span() for m in re.finditer(r"\S+|\s+", b[:400])]
    words_b = [b[i:j] for i, j in spans_b]
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes():
        if tag != "equal":
            start = spans_b[j1][0] if j1 < len(spans_b) else len(b[:400])
            return (start, spans_b[j2 - 1][1] if j2 > j1 else start)
    return None
