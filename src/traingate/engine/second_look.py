"""The second look: after the pass, the rows the checks that look again ask for are read back
(data/lookup.py), and each check's state is finalized into its result with them; a check that crashes
while asking or finalizing errs, and the run goes on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from traingate.data.lookup import fetch_rows
from traingate.data.sources import SourceFile
from traingate.engine.folded import Folded
from traingate.results.model import CheckResult
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import LooksAgain


def finish(validators: list[Validator[Any, Any]], folded: Folded, files: list[SourceFile],
           columns: set[str], fetch: Callable[..., dict[int, dict[str, Any]]] = fetch_rows) -> list[CheckResult]:
    """Every check's result, each finalized with the rows it asked to see again (`fetch`: how they are read,
    data/lookup.py's fetch_rows, or with a cache the rows it keeps, engine/cache_rows.py)."""
    looked = [_wanted(v, s, e) for v, s, e in zip(validators, folded.states, folded.errors)]
    wanted = set().union(*(w for w, _ in looked))
    rows = fetch(files, columns, wanted, folded.blocks) if wanted else {}
    return [_finish(v, s, e, rows) for v, s, (_, e) in zip(validators, folded.states, looked)]


def _finish(validator: Validator[Any, Any], state: Any, error: str | None,
            rows: dict[int, dict[str, Any]]) -> CheckResult:
    if error is None:
        try:
            return validator.finalize(state, rows)
        except Exception as exc:
            error = f"finalize_crashed: {type(exc).__name__}: {exc}"
    return validator.result(status="errored", error=error, message=error)


def _wanted(validator: Validator[Any, Any], state: Any, error: str | None) -> tuple[set[int], str | None]:
    if error is not None:
        return set(), error
    try:
        return (set(validator.wanted_rows(state)) if isinstance(validator, LooksAgain) else set()), None
    except Exception as exc:
        return set(), f"finalize_crashed: {type(exc).__name__}: {exc}"
