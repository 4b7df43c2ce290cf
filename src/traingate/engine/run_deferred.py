"""The runner's steps whose modules load only when a run needs them: the cache's (opened, its results taken,
closed, its warnings; only for a run with a cache) and masking (data/masking.py, for a check that masks what it
finds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from traingate.contracts.model import Contract
    from traingate.data.sources import SourceFile
    from traingate.engine.cache import RunCache
    from traingate.engine.dispatch import RunOptions
    from traingate.engine.folded import Folded
    from traingate.results.model import CacheInfo, CheckResult, RunResult
    from traingate.validators.common.base import Validator


def open_cache(contract: Contract, validators: list[Validator[Any, Any]], columns: set[str], files: list[SourceFile],
               run: RunOptions, findings: bool) -> RunCache | None:
    if run.cache is None:  # the cache's modules load only for a run that uses one
        return None
    from traingate.engine.cache_info import open_run_cache
    return open_run_cache(contract, validators, columns, files, run, findings)


def cached_results(cache: RunCache, validators: list[Validator[Any, Any]], folded: Folded,
                   files: list[SourceFile], columns: set[str], failed: list[str]) -> list[CheckResult]:
    from traingate.engine.cache_results import finish_cached
    return finish_cached(cache, validators, folded, files, columns, failed)


def close_cache(cache: RunCache | None) -> CacheInfo | None:
    if cache is None:  # the cache's modules load only for a run that has one
        return None
    from traingate.engine.cache_info import close_run_cache
    return close_run_cache(cache)


def cache_warnings(cache: RunCache | None, run: RunOptions) -> list[str]:
    if run.cache is None:
        return []
    from traingate.engine.cache_info import cache_warnings as warnings_of
    return warnings_of(cache, run)


def mask_reports(validators: list[Validator[Any, Any]], run: RunResult) -> None:
    """Checks that guard against what text may hold (personal data, secrets) mask every text of the run
    that data can reach (data/masking.py), each check's own findings first; the count goes into that
    check's details."""
    from traingate.data.masking import mask_run
    from traingate.validators.common.capabilities import MasksExcerpts

    by_id = {r.id: r for r in run.checks}
    for validator in validators:
        if isinstance(validator, MasksExcerpts):
            by_id[validator.check_id].details["masked_excerpts"] = mask_run(run, validator.mask_texts)
