"""The texts a pii check reads from a batch, and their analysis: rows in another language than the
check's go to the pattern recognizers only, since an English NER model reads names into any language."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from pydantic import Field

from traingate.contracts.model import StrictModel
from traingate.data.batch import BatchContext
from traingate.data.masking import window
from traingate.data.presidio import EngineSpec, Finding, analyze_parallel, mask
from traingate.data.rowids import split_row_id
from traingate.results.model import Sample

if TYPE_CHECKING:
    from traingate.validators.compliance.pii import PiiCheck


class AllowRegex(StrictModel):
    regex: str = Field(description="Values fully matching this pattern are never counted.")

# One text to scan: row id, field ('~field' for a row in another language), turn (-1: one value), text, and the
# turn's role (None for one value).
Item = tuple[int, str, int, str, str | None]


def engine_spec(config: PiiCheck) -> EngineSpec:
    literal = tuple(a for a in config.allow if isinstance(a, str))
    regexes = tuple(a.regex for a in config.allow if isinstance(a, AllowRegex))
    return EngineSpec(config.recognizers, config.language, tuple(config.entities), config.score_threshold,
                      literal, regexes, tuple(config.context), config.skip_code, config.allow_reserved)


def row_texts(batch: BatchContext, config: PiiCheck) -> list[Item]:
    """Every non-blank text value of the check's fields, turn by turn for message lists."""
    ids = batch.row_ids(np.arange(batch.num_rows))
    foreign = _foreign(batch, config)
    out: list[Item] = []
    for view in batch.views(config.fields):
        rows = view.row_of()
        turns = np.arange(len(rows)) - np.searchsorted(rows, rows) if view.rows is not None else None
        roles = view.roles.to_pylist() if view.roles is not None else None
        for k, text in enumerate(view.values.to_pylist()):
            if text and text.strip():
                name = f"~{view.field}" if foreign[rows[k]] else view.field
                role = roles[k] if roles is not None and isinstance(roles[k], str) else None
                out.append((int(ids[rows[k]]), name, int(turns[k]) if turns is not None else -1, text, role))
    return out


def _foreign(batch: BatchContext, config: PiiCheck) -> np.ndarray:
    column = batch.column(config.language_field) if config.language_field else None
    if column is None or config.recognizers != "ner":
        return np.zeros(batch.num_rows, dtype=bool)
    languages = column.cast(pa.string()).to_pylist()
    return np.array([lang is not None and lang != config.language for lang in languages], dtype=bool)


def analyze_items(config: PiiCheck, items: list[Item]) -> list[list[Finding]]:
    """Findings per item, on all the check's workers."""
    spec, workers = engine_spec(config), config.workers or os.cpu_count() or 1
    found: list[list[Finding]] = [[] for _ in items]
    for foreign in (False, True):
        chosen = [k for k, item in enumerate(items) if item[1].startswith("~") == foreign]
        if chosen:
            mode = replace(spec, recognizers="patterns") if foreign else spec
            for k, findings in zip(chosen, analyze_parallel(mode, [items[k][3] for k in chosen], workers)):
                found[k] = findings
    return found


def pii_sample(files: dict[int, tuple[str, str]], item: Item, findings: list[Finding], entity: str) -> dict[str, Any]:
    """The text masked with presidio-anonymizer (<EMAIL_ADDRESS>) around the first finding of `entity`, with
    that finding's score and recognizer, and the chat turn holding it."""
    row_id, name, turn, text, role = item
    score, recognizer = next((f[3], f[4]) for f in findings if f[2] == entity)
    masked = mask(text, findings)
    at = masked.find(f"<{entity}>")
    start = max(0, at - 100)
    at += start > 0  # window marks the cut with one character
    file_index, line = split_row_id(row_id)
    file, unit = files[file_index]
    return Sample(file=file, line=line, unit=unit, field=name.removeprefix("~"), reason=entity,
                  excerpt=window(masked, start, start + 300),
                  span=(at - start, at - start + len(entity) + 2) if at >= 0 else None, value=score, measure="score",
                  recognizer=recognizer or None, turn=turn if turn >= 0 else None, role=role).model_dump()
