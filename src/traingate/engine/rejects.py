"""The rejected rows of a run (`validate --rejects`), and the rows `filter` drops: every row some row-level check
found at fault, or that could not be read, one record per row with every check that rejects it.

    rejected_rows(validators, states, results, paths, *, severity="error", faults=None, shown=None)
        -> Iterator[dict]: one record per rejected row, in data order (file index, then line):
        {"file", "line", "unit", "checks": [{"check", "severity", "reason"[, "field", "cluster", "kept"]}, ...]}
        and "fault": the kind, for a record that could not be read (its "checks" then usually empty).

    rejected_ids(validators, states, results, paths, *, severity="error", faults=None) -> np.ndarray
        the same rows as sorted, distinct uint64 row ids: file index << 40 | line (data/lookup.py, LINE_BITS).

    clusters(validators, states, results, *, shown=None) -> Iterator[dict]
        one record per row of a duplicate cluster (`--clusters`): {"check", "cluster", "file", "line", "unit",
        "kept"[, "similarity"]}, checks in the contract's order, rows in data order.

    Finished: what a run hands, once assembled and masked and while what its checks spilled is still on disk,
    to the callback given to engine/runner.py validate(..., finished=callback): its result, validators,
    states, file paths and unreadable records, with the three functions above as methods
    (run.rejected_rows(severity), run.rejected_ids(severity), run.clusters()). A run given `finished` keeps
    every finding and every unreadable record; whatever it reads must be read inside the callback.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Protocol

import numpy as np

from traingate.data.lookup import LINE_BITS
from traingate.data.sources import SourceFile
from traingate.engine.reject_values import with_values
from traingate.engine.representatives import representatives
from traingate.results.gate import ExitCode
from traingate.results.model import CheckResult, Gate, RunResult
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, MasksExcerpts

SEVERITIES = ("info", "warn", "error")  # lowest first
SIMILAR = {"exact_duplicates": 1.0}  # a check's similarity of every pair it links, where it is one number
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


def _kept(record: Mapping[str, Any]) -> bool:
    """Whether a finding is its cluster's kept representative (not rejected)."""
    return bool(record.get("kept", record.get("first", False)))


def _stream(validator: Validator[Any, Any], state: Any, result: CheckResult, place: int,
            index_of: Mapping[str, int], survivors: np.ndarray) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
    """(file index, line, place, entry) of each finding of one check that rejects its row, in row order; a
    duplicate is rejected unless its group of duplicates keeps it (`survivors`: engine/representatives.py)."""
    assert isinstance(validator, ListsFindings)
    for record in validator.findings(state):
        if "cluster" in record:
            if _holds(survivors, index_of[record["file"]] << LINE_BITS | int(record["line"])):
                continue
        elif _kept(record):
            continue
        entry = {"check": result.id, "severity": result.severity, "reason": record["reason"],
                 **{k: record[k] for k in _ENTRY if k in record}, **({"kept": False} if "cluster" in record else {}),
                 "_unit": record["unit"], "_file": record["file"]}
        yield index_of[record["file"]], int(record["line"]), place, entry


def _faulted(faults: Unreadable, paths: Sequence[str]) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
    for index, line, unit, kind in faults.every():
        yield index, line, -1, {"fault": kind, "_unit": unit, "_file": paths[index]}


def _holds(rows: np.ndarray, row: int) -> bool:
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


def clusters(validators: list[Validator[Any, Any]], states: list[Any], results: list[CheckResult], *,
             shown: Mapping[str, str] | None = None, survives: Callable[[str, int], bool] | None = None
             ) -> Iterator[dict[str, Any]]:
    """Every row of every duplicate cluster with its cluster, whether its check keeps it (`kept`), whether it
    survives the joined groups of every check (`survives`, by file and line: the rows --rejects and filter
    keep), and the similarity the check measured where it holds one; checks in contract order, rows in data order."""
    names = shown or {}
    for validator, state, result in zip(validators, states, results):
        if not isinstance(validator, ListsFindings) or result.status in ("errored", "skipped"):
            continue
        for record in validator.findings(state):
            if "cluster" not in record:
                break  # a check's findings are all of a cluster, or none is
            similarity = record.get("similarity", SIMILAR.get(result.type))
            yield {"check": result.id, "cluster": record["cluster"], "file": names.get(record["file"], record["file"]),
                   "line": record["line"], "unit": record["unit"], "kept": _kept(record),
                   **({"survives": survives(record["file"], int(record["line"]))} if survives is not None else {}),
                   **({"similarity": similarity} if similarity is not None else {})}


@dataclass
class Finished:
    """A finished run, for what reads its findings while they are still there (see the module's docstring)."""

    result: RunResult
    validators: list[Validator[Any, Any]]
    states: list[Any]
    paths: list[str]  # the files read, in index order, as read (not masked)
    faults: Unreadable | None = None  # every unreadable record, when kept
    sources: Sequence[SourceFile] = ()  # the files read, to read the rejected rows' values again
    _kept: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # survivors by severity, found once

    def kept(self, severity: str) -> np.ndarray:
        """The rows each group of duplicates keeps at `severity`: found once, for every output that asks."""
        if severity not in self._kept:
            self._kept[severity] = survivors(self.validators, self.states, self.result.checks, self.paths, severity,
                                             self.faults)
        return self._kept[severity]

    def shown(self) -> dict[str, str]:
        """Each file's name as the run shows it (masked), by the name it was read under."""
        return {path: info.path for path, info in zip(self.paths, self.result.dataset.files)}

    def rejected_rows(self, severity: str = "error", data: bool = False) -> Iterator[dict[str, Any]]:
        """With `data`, each record holds its row's values as read (`data`), masked as the run is
        (engine/reject_values.py)."""
        rows = located_rows(self.validators, self.states, self.result.checks, self.paths, severity=severity,
                            faults=self.faults, shown=self.shown(), kept=self.kept(severity))
        if data:
            maskers = [v.mask_texts for v in self.validators if isinstance(v, MasksExcerpts)]
            return with_values(rows, self.sources, maskers)
        return (record for _, _, record in rows)

    def rejected_ids(self, severity: str = "error") -> np.ndarray:
        return rejected_ids(self.validators, self.states, self.result.checks, self.paths, severity=severity,
                            faults=self.faults, kept=self.kept(severity))

    def clusters(self, severity: str | None = None) -> Iterator[dict[str, Any]]:
        """With `severity`, each row also says whether it survives the joined groups at that severity."""
        survives = None if severity is None else self._survives(severity)
        return clusters(self.validators, self.states, self.result.checks, shown=self.shown(), survives=survives)

    def _survives(self, severity: str) -> Callable[[str, int], bool]:
        index_of, kept = {path: i for i, path in enumerate(self.paths)}, self.kept(severity)
        return lambda file, line: _holds(kept, index_of[file] << LINE_BITS | line)


def write(sink: Callable[[Iterator[dict[str, Any]]], object], records: Iterator[dict[str, Any]], gate: Gate,
          option: str) -> Gate:
    """Hand the records to the writer; the gate to keep: the same, or errored with the reason when the file
    could not be written (a full disk), as for any output the run was asked for and could not make."""
    try:
        sink(records)
    except Exception as exc:  # the run's result stands; its gate says what is missing
        why = f"{option} could not be written: {type(exc).__name__}: {exc}"
        return gate.model_copy(update={"verdict": "errored", "exit_code": int(ExitCode.ERROR),
                                       "reasons": [*gate.reasons, why]})
    return gate
