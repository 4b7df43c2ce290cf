"""The evidence of a run (`validate --evidence`): every row each check found at fault, not a sample. After
finalize, the findings of each check that lists them (validators/common/capabilities.py, ListsFindings) are
streamed to a writer one record at a time: checks in the contract's order, each check's rows in data order,
one record per (check, row, reason). Nothing is gathered into one list: a check's findings are read back
(from disk, when they were spilled under --max-memory) and sorted as compact columns, then turned into
records a chunk at a time.

A record holds no text of the data: its file, line and unit, the reason, the field, and numbers. File names
are the run's as shown: masked, when a check guarding against personal data or secrets masked the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from traingate.results.gate import ExitCode
from traingate.results.model import CheckResult, Gate
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings

Sink = Callable[[Iterator[dict[str, Any]]], object]  # writes the records it is given (reports/json.py write_evidence)


def findings(validators: list[Validator[Any, Any]], states: list[Any], results: list[CheckResult],
             shown: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """Every finding of every check that lists them and ran, with its check's id first. `shown`: a file
    name as the run shows it (masked), by the name the data was read under."""
    names = shown or {}
    for validator, state, result in zip(validators, states, results):
        if not isinstance(validator, ListsFindings) or result.status in ("errored", "skipped"):
            continue
        for record in validator.findings(state):
            for key in [k for k in record if k == "file" or k.endswith("_file")]:
                record[key] = names.get(record[key], record[key])
            yield {"check": validator.check_id, **record}


def write(sink: Sink, records: Iterator[dict[str, Any]], gate: Gate) -> Gate:
    """Hand the records to the writer; the gate to keep: the same, or errored with the reason when the
    evidence could not be written (a full disk), as for any output the run was asked for and could not make."""
    try:
        sink(records)
    except Exception as exc:  # the run's result stands; its gate says what is missing
        why = f"the evidence (--evidence) could not be written: {type(exc).__name__}: {exc}"
        return gate.model_copy(update={"verdict": "errored", "exit_code": int(ExitCode.ERROR),
                                       "reasons": [*gate.reasons, why]})
    return gate
