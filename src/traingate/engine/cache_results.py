"""Finished results from the cache: a check's result is a function of its merged state and the rows it looks
at again, so when every file's content and the check's key are what an earlier run had, that run's result is
the result (kept per check, so editing one check finishes only it again), and the states of those checks are
not even loaded. Not used when the run hands its states on (--evidence, --rejects, --clusters: they need the
states), nor kept when a check errored, a shard failed or the memory limit made a state a sample of its rows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from traingate.data.sources import SourceFile
from traingate.engine.cache import RunCache
from traingate.engine.cache_keys import digest, placed
from traingate.engine.cache_rows import KeptRows
from traingate.engine.folded import Folded
from traingate.engine.second_look import finish
from traingate.results.model import CheckResult
from traingate.validators.common.base import Validator


def _keys(cache: RunCache) -> list[str]:
    data = [placed(f, i, h.result()) for i, (f, h) in enumerate(zip(cache.files, cache.hashes))]
    return [digest("result", data, check, cache.shared) for check in cache.checks]


def look_up_finished(cache: RunCache) -> None:
    """The finished results the cache holds for this data, once every file's sha256 is known."""
    if cache.hands_on:
        return
    for i, key in enumerate(_keys(cache)):
        found = cache.result(key)
        if isinstance(found, dict):
            try:
                cache.finished[i] = CheckResult.model_validate(found)
            except ValueError as exc:
                cache.warnings.append(f"cache: the finished result of {cache.validators[i].check_id} was ignored: {exc}")


def finish_cached(cache: RunCache | None, validators: list[Validator[Any, Any]], folded: Folded,
                  files: list[SourceFile], columns: set[str], failed: list[str]) -> list[CheckResult]:
    if cache is None or cache.hands_on:
        return finish(validators, folded, files, columns)
    kept = cache.finished
    todo = [i for i in range(len(validators)) if i not in kept]
    part = replace(folded, states=[folded.states[i] for i in todo], errors=[folded.errors[i] for i in todo])
    finished = dict(zip(todo, finish([validators[i] for i in todo], part, files, columns, KeptRows(cache))))
    whole = not (failed or folded.stopped or folded.halvings)  # spilling to disk leaves every state whole
    keys = _keys(cache) if finished and whole else []
    for i, result in finished.items():
        if whole and folded.errors[i] is None and result.status != "errored":
            cache.keep_result(keys[i], result.model_dump(), validators[i].check_id)
    cache.finished_from_cache = [validators[i].check_id for i in sorted(kept)]
    return [kept[i] if i in kept else finished[i] for i in range(len(validators))]
