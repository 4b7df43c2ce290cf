"""What a pii check holds while it reads: counts (rows seen, scanned, scanned by patterns only, holding
personal data), rows per entity, 56 bytes of evidence per finding (pii_evidence.py), 20 masked samples, and
with `sample` the texts of the rows of smallest seeded priority still in the sample (at most `sample.rows`),
scanned when the check finishes. A list of texts is scanned into the state here; two states merge field by
field, the pending sample capped again by the check."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from traingate.data.presidio import Finding
from traingate.data.rowids import split_row_id
from traingate.validators.common.samples import Reservoir, row_keys, seeded_keys
from traingate.validators.compliance.pii_evidence import Evidence, Record
from traingate.validators.compliance.pii_texts import Item, analyze_items, pii_sample

if TYPE_CHECKING:
    from traingate.validators.compliance.pii import PiiCheck


@dataclass
class PiiState:
    rows: int = 0
    scanned: int = 0
    patterns_only: int = 0  # rows in another language than `language`, scanned without NER
    flagged: int = 0
    per_entity: Counter[str] = field(default_factory=Counter)  # rows holding the entity
    evidence: Evidence = field(default_factory=Evidence)
    samples: Reservoir = field(default_factory=Reservoir)
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    pending: dict[int, tuple[int, list[Item]]] = field(default_factory=dict)  # sample: row id -> (priority, items)

    def merge(self, other: PiiState) -> PiiState:
        """Both states in one, the pending sample uncapped (the check caps it)."""
        return PiiState(self.rows + other.rows, self.scanned + other.scanned, self.patterns_only + other.patterns_only,
                        self.flagged + other.flagged, self.per_entity + other.per_entity,
                        self.evidence.merge(other.evidence), self.samples.merge(other.samples),
                        {**self.files, **other.files}, {**self.pending, **other.pending})


def pend(state: PiiState, items: list[Item], ids: np.ndarray, seed: int) -> None:
    """With `sample`: a batch's texts (`items`) and its rows (`ids`, rows without text are sampled too) join
    the pending sample under their seeded priority."""
    for item in items:
        priority = int(seeded_keys(np.array([item[0]], dtype=np.uint64), seed)[0])
        state.pending.setdefault(item[0], (priority, []))[1].append(item)
    for row_id, priority in zip(ids.tolist(), seeded_keys(ids, seed).tolist()):
        state.pending.setdefault(row_id, (priority, []))


def capped(state: PiiState, rows: int) -> PiiState:
    """The pending sample cut to the `rows` rows of smallest priority."""
    if len(state.pending) > rows:
        kept = sorted(state.pending.items(), key=lambda kv: kv[1][0])[:rows]
        state.pending = dict(kept)
    return state


def scan(config: PiiCheck, state: PiiState, rows: int, items: list[Item]) -> PiiState:
    """The findings of `items` (the texts of `rows` rows) folded into the state: evidence, samples, counts."""
    found = analyze_items(config, items)
    entities_of: dict[int, set[str]] = {}
    evidence: list[Record] = []
    for item, findings in zip(items, found):
        row_id, name, turn = item[0], item[1].removeprefix("~"), item[2]
        if not findings:
            continue
        if row_id not in entities_of:  # a row's first text with findings stands for it in the samples
            state.samples.note_first(row_id, partial(_location, state, row_id))
        _offer(state, item, findings, entities_of.setdefault(row_id, set()))
        evidence.extend((row_id, name, turn, entity, start, end, score) for start, end, entity, score, _ in findings)
    state.evidence.add(evidence)
    state.scanned += rows
    state.patterns_only += len({row_id for row_id, name, *_ in items if name.startswith("~")})
    state.flagged += len(entities_of)
    state.per_entity.update(e for entities in entities_of.values() for e in entities)
    return state


def _location(state: PiiState, row_id: int) -> dict[str, Any]:
    file_index, line = split_row_id(row_id)
    file, unit = state.files[file_index]
    return {"file": file, "line": line, "unit": unit}


def _offer(state: PiiState, item: Item, findings: list[Finding], seen: set[str]) -> None:
    """Samples of a text with findings: the row's own (its first such text, by its first entity) and one
    for each entity the row had not shown yet, so a rare entity keeps a sample of its own; `seen` grows."""
    key = int(row_keys(np.array([item[0]], dtype=np.uint64))[0])
    for entity in dict.fromkeys(f[2] for f in findings):
        if entity not in seen:
            state.samples.offer(key, entity, partial(pii_sample, state.files, item, findings, entity), row=not seen)
            seen.add(entity)
