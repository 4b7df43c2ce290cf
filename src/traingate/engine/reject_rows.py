"""Which rows a run's checks reject (`validate --rejects`, and the rows `filter` drops): every row some
row-level check found at fault, or that could not be read. rejected_rows: one record per row, in data order
(file index, then line), with every check that rejects it: {"file", "line", "unit", "checks": [{"check",
"severity", "reason"[, "field", "cluster", "kept"]}, ...]}, and "fault": the kind, for a record that could not be
read (its "checks" then usually empty). rejected_ids: the same rows as sorted, distinct uint64 row ids, file
index << 40 | line (data/lookup.py, LINE_BITS).

`validators`, `states`, `results`: the run's, after finalize, in the contract's order (what engine/evidence.py
walks). `paths`: the run's files in index order (SourceFile.path), the names findings carry. `severity`: the
lowest severity whose checks reject ("error": error checks only; "warn": warn and error; "info": all).
`faults`: every unreadable record (engine/faults.py, FaultLog.every), kept when the run was asked for its
rejects. `shown`: a file name as the run shows it (masked), by the name the data was read under.

Which rows a check rejects: every row it lists as a finding (validators/common/findings.py), whatever its
status, except the one row each group of duplicates keeps: engine/representatives.py joins the clusters of
every rejecting duplicate check and keeps, per group, the first of the checks' own representatives (`kept`, else
`first`) that nothing else rejects, so two checks with different keep rules, or a duplicate check and
split_leakage, never drop a group whole. conflicting_labels rejects every row of a group; split_leakage the
test-side rows; contamination the contaminated rows. A check that errored or was skipped rejects nothing;
dataset-level checks (coverage, quantity, agreement, aggregate expectations) list no findings and so never
reject. Nothing is gathered whole: each check's findings come in row order (read back from disk when they
were spilled) and the streams are merged by row."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from typing import Any, Protocol

import numpy as np

from traingate.data.lookup import LINE_BITS
from traingate.engine.representatives import representatives
from traingate.results.model import CheckResult
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings

SEVERITIES = ("info", "warn", "error")  # lowest first
_ENTRY = ("field", "cluster")  # kept from a finding in its row's entry, besides check, severity and reason


class Unreadable(Protocol):
    """Every record that could not be read (engine/faults.py, FaultLog)."""

    def every(self) -> Iterator[tuple[int, int, str, str]]:
        """(file index, line, unit, fault kind) in file and line order."""
        ...


def rejecting(validators: list[Validator[Any, Any]], results: list[CheckResult], severity: str) -> list[int]:
    """The places of the checks that reject rows at `severity`: they list findings, ran, and are at or above it."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    lowest = SEVERITIES.index(severity)
    return [k for k, (v, r) in enumerate(zip(validators, results))
            if isinstance(v, ListsFindings) and r.status not in ("errored", "skipped")
            and SEVERITIES.index(r.severity) >= lowest]


def kept_by_check(record: Mapping[str, Any]) -> bool:
    """Whether a finding is its cluster's kept representative (not rejected)."""
    return bool(record.get("kept", record.get("first", False)))


def _stream(validator: Validator[Any, Any], state: Any, result: CheckResult, place: int,
            index_of: Mapping[str, int], survivors: np.ndarray) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
    """(file index, line, place, entry) of each finding of one check that rejects its row, in row order; a
    duplicate is rejected unless its group of duplicates keeps it (`survivors`: engine/representatives.py)."""
    assert isinstance(validator, ListsFindings)
    for record in validator.findings(state):
        if "cluster" in record:
            if holds(survivors, index_of[record["file"]] << LINE_BITS | int(record["line"])):
                continue
        elif kept_by_check(record):
            continue
        entry = {"check": result.id, "severity": result.severity, "reason": record["reason"],
                 **{k: record[k] for k in _ENTRY if k in record}, **({"kept": False} if "cluster" in record else {}),
                 "_unit": record["unit"], "_file": record["file"]}
        yield index_of[record["file"]], int(record["line"]), place, entry


def _faulted(faults: Unreadable, paths: Sequence[str]) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
    for index, line, unit, kind in faults.every():
        yield index, line, -1, {"fault": kind, "_unit": unit, "_file": paths[index]}


def holds(rows: np.ndarray, row: int) -> bool:
    """Whether the sorted row ids hold `row`."""
    at = int(np.searchsorted(rows, np.uint64(row)))
    return at < len(rows) and int(rows[at]) == row


def survivors(validators: list[Validator[Any, Any]], states: list[Any], results: list[CheckResult],
              paths: Sequence[str], severity: str, faults: Unreadable | None) -> np.ndarray:
    """The sorted row ids each group of duplicates keeps at `severity` (engine/representatives.py)."""
    index_of = {path: i for i, path in enumerate(paths)}
    unread = ((index, line) for index, line, _, _ in (faults.every() if faults is not None else ()))
    return representatives(validators, states, rejecting(validators, results, severity), index_of, unread)


def _merged(validators: list[Validator[Any, Any]], states: list[Any], results: list[CheckResult],
            paths: Sequence[str], severity: str, faults: Unreadable | None, kept: np.ndarray | None = None
            ) -> Iterator[tuple[tuple[int, int], Iterator[tuple[int, int, int, dict[str, Any]]]]]:
    """Every rejecting finding and fault, merged by row; grouped by (file index, line). `kept`: the
    survivors at `severity`, when already known."""
    index_of = {path: i for i, path in enumerate(paths)}
    places = rejecting(validators, results, severity)
    if kept is None:
        kept = survivors(validators, states, results, paths, severity, faults)
    streams: list[Iterable[tuple[int, int, int, dict[str, Any]]]] = [
        _stream(validators[k], states[k], results[k], k, index_of, kept) for k in places]
    if faults is not None:
        streams.append(_faulted(faults, paths))
    merged = heapq.merge(*streams, key=lambda item: item[:3])
    return groupby(merged, key=lambda item: item[:2])


def rejected_rows(validators: list[Validator[Any, Any]], states: list[Any], results: list[CheckResult],
                  paths: Sequence[str], *, severity: str = "error", faults: Unreadable | None = None,
                  shown: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """One record per rejected row, in data order (see the module's docstring)."""
    for _, _, record in located_rows(validators, states, results, paths, severity=severity, faults=faults, shown=shown):
        yield record


def located_rows(validators: list[Validator[Any, Any]], states: list[Any], results: list[CheckResult],
                 paths: Sequence[str], *, severity: str = "error", faults: Unreadable | None = None,
                 shown: Mapping[str, str] | None = None, kept: np.ndarray | None = None
                 ) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(file index, line, record) of each rejected row, in data order."""
    names = shown or {}
    for (index, line), items in _merged(validators, states, results, paths, severity, faults, kept):
        record: dict[str, Any] = {}
        checks: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        for _, _, _, entry in items:
            if not record:
                record = {"file": names.get(entry["_file"], entry["_file"]), "line": line, "unit": entry["_unit"]}
            if "fault" in entry:
                record.setdefault("fault", entry["fault"])  # the first kind found, should a row show two
                continue
            key = (entry["check"], entry["reason"], entry.get("field"))
            if key not in seen:  # pii lists each finding: a row is rejected once per reason and field
                seen.add(key)
                checks.append({k: v for k, v in entry.items() if not k.startswith("_")})
        yield index, line, {**record, "checks": checks}


def rejected_ids(validators: list[Validator[Any, Any]], states: list[Any], results: list[CheckResult],
                 paths: Sequence[str], *, severity: str = "error", faults: Unreadable | None = None,
                 kept: np.ndarray | None = None) -> np.ndarray:
    """The rejected rows as sorted, distinct uint64 row ids (file index << LINE_BITS | line)."""
    keys = (index << LINE_BITS | line for (index, line), _ in _merged(validators, states, results, paths, severity,
                                                                      faults, kept))
    return np.fromiter(keys, dtype=np.uint64)
