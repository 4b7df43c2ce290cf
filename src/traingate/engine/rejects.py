"""A finished run's rejected rows and duplicate clusters (`validate --rejects`, `--clusters`, and the rows
`filter` drops), read while what its checks found is still there; which rows are rejected is in
engine/reject_rows.py.

    Finished: what a run hands, once assembled and masked and while what its checks spilled is still on disk,
    to the callback given to engine/runner.py validate(..., finished=callback): its result, validators,
    states, file paths and unreadable records, with the rows it rejects as methods (run.rejected_rows(severity),
    run.rejected_ids(severity): engine/reject_rows.py) and its clusters (run.clusters()). A run given `finished`
    keeps every finding and every unreadable record; whatever it reads must be read inside the callback.

    clusters(validators, states, results, *, shown=None) -> Iterator[dict]
        one record per row of a duplicate cluster (`--clusters`): {"check", "cluster", "file", "line", "unit",
        "kept"[, "similarity"]}, checks in the contract's order, rows in data order.

    write(sink, records, gate, option) -> Gate: the records handed to their writer; the gate errs when it fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from traingate.data.lookup import LINE_BITS
from traingate.data.sources import SourceFile
from traingate.engine.reject_rows import Unreadable, holds, kept_by_check, located_rows, rejected_ids, survivors
from traingate.engine.reject_values import with_values
from traingate.results.gate import ExitCode
from traingate.results.model import CheckResult, Gate, RunResult
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, MasksExcerpts

SIMILAR = {"exact_duplicates": 1.0}  # a check's similarity of every pair it links, where it is one number


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
                   "line": record["line"], "unit": record["unit"], "kept": kept_by_check(record),
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
        return lambda file, line: holds(kept, index_of[file] << LINE_BITS | line)


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
