"""The labels the agreement check holds and the matrix its figures read: (item, annotator, label) triples
from a long layout (a row per label) or a wide one (a column per annotator), kept for a hash-chosen share of
items under `--max-memory`; then one label per cell, labels as numbers, annotators x items."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import xxhash

from traingate.data.batch import BatchContext
from traingate.validators.common import shares
from traingate.validators.common.contract_problems import KeySeen
from traingate.validators.common.features import feature_values
from traingate.validators.consistency.agreement_stats import Level

Triple = tuple[str, str, str]


@dataclass
class AgreementState:
    rows: int = 0
    triples: list[Triple] = field(default_factory=list)
    keep_below: int = shares.FULL_SHARE  # triples whose item hash is below it are kept
    keys: dict[str, KeySeen] = field(default_factory=dict)  # option (item, annotator, annotators) -> its evidence


def kept(triples: list[Triple], below: int) -> list[Triple]:
    if below >= shares.FULL_SHARE:
        return triples
    return [t for t in triples if xxhash.xxh64_intdigest(t[0].encode("utf-8")) < below]


def add_long(state: AgreementState, batch: BatchContext, item: str, annotator: str, label: str) -> None:
    """A row per label: the item, annotator and label columns; the item and annotator columns' evidence."""
    items, who, labels = (feature_values(batch, name) for name in (item, annotator, label))
    state.triples += kept([t for t in zip(items, who, labels) if t[0] and t[1] and t[2]], state.keep_below)
    for option, values in (("item", items), ("annotator", who)):
        keys = np.array(values, dtype=object)
        state.keys.setdefault(option, KeySeen()).add(keys, keys == "")


def add_wide(state: AgreementState, batch: BatchContext, annotators: list[str]) -> None:
    """A row per item (named by its row id), a column per annotator; whether any annotator labelled each row."""
    ids = batch.row_ids(np.arange(batch.num_rows)).tolist()
    labelled = np.zeros(batch.num_rows, dtype=bool)
    for name in annotators:
        values = feature_values(batch, name)
        labelled |= np.array([bool(v) for v in values], dtype=bool)
        state.triples += kept([(str(i), name, v) for i, v in zip(ids, values) if v], state.keep_below)
    state.keys.setdefault("annotators", KeySeen()).add(np.zeros(batch.num_rows, np.uint64), ~labelled)


@dataclass(frozen=True)
class Reliability:
    """Annotators x items, NaN where unlabelled, with the names of its rows, columns and labels."""

    matrix: np.ndarray
    items: list[str]
    people: list[str]
    values: list[str]  # the distinct labels, numbers first in numeric order
    labels: int  # distinct triples the matrix holds
    relabelled: int  # further different labels an annotator gave an item


def reliability(triples: list[Triple], level: Level) -> Reliability:
    cells, repeats = _one_label_per_cell(triples)
    items = sorted({t[0] for t in cells})
    people = sorted({t[1] for t in cells})
    codes, values = _codes(cells, level)
    matrix = np.full((len(people), len(items)), np.nan)
    where_item, where_person = {v: k for k, v in enumerate(items)}, {v: k for k, v in enumerate(people)}
    for (item, person, _), code in zip(cells, codes):
        matrix[where_person[person], where_item[item]] = code
    return Reliability(matrix, items, people, values, len(cells), repeats)


def _codes(triples: list[Triple], level: Level) -> tuple[list[float], list[str]]:
    """Labels as numbers: their own value on interval and ratio scales, else their rank."""
    values = sorted({t[2] for t in triples}, key=_numeric_first)
    if level in ("interval", "ratio"):
        return [float(t[2]) for t in triples], values
    rank = {v: k for k, v in enumerate(values)}
    return [float(rank[t[2]]) for t in triples], values


def _one_label_per_cell(triples: list[Triple]) -> tuple[list[Triple], int]:
    """Sorted distinct triples (a label submitted twice counts once); when an annotator gave an item
    several different labels, each further one counts as from another coder ('name#2'), which alpha's
    pairing of values within an item allows. Returns the triples and how many were relabelled."""
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for item, person, label in sorted(set(triples)):
        seen[(item, person)] += 1
        k = seen[(item, person)]
        out.append((item, person if k == 1 else f"{person}#{k}", label))
    return sorted(out), sum(k - 1 for k in seen.values())


def _numeric_first(value: str) -> tuple[int, float, str]:
    try:
        return 0, float(value), value
    except ValueError:
        return 1, 0.0, value
