"""A run's cache opened (or why not), and what the run records of it: the files taken from it, those read,
the checks folded again, and the warnings of entries ignored."""

from __future__ import annotations

from typing import Any

from traingate.contracts.model import Contract
from traingate.data.sources import SourceFile
from traingate.engine.cache import RunCache, open_cache
from traingate.engine.dispatch import RunOptions
from traingate.errors import UsageError
from traingate.results.model import CacheInfo
from traingate.validators.common.base import Validator

NO_LIMIT = "--cache is not used with --limit: a prefix of the data is not any file's whole state"


def open_run_cache(contract: Contract, validators: list[Validator[Any, Any]], columns: set[str],
                   files: list[SourceFile], run: RunOptions, hands_on: bool) -> RunCache | None:
    """`hands_on`: the run hands its states on (--evidence, --rejects, --clusters), so finished results
    are not taken from the cache."""
    if run.cache is None or run.limit is not None:
        return None
    if run.engine != "local":
        raise UsageError("--cache works with the local engine only: on Ray, near-duplicate band keys leave the "
                         "states before they could be kept; drop --cache or use --engine local")
    try:
        return open_cache(run.cache, contract, validators, columns, files, run.cache_max_bytes, hands_on,
                          run.cache_verify)
    except OSError as exc:  # not a directory, no permission, a key file others could read
        raise UsageError(f"--cache {run.cache}: {exc}") from exc


def close_run_cache(cache: RunCache | None) -> CacheInfo | None:
    if cache is None:
        return None
    cache.close()
    paths = [f.path for f in cache.files]
    return CacheInfo(directory=cache.store.directory,
                     cached_files=[p for i, p in enumerate(paths) if i not in cache.read],
                     read_files=[p for i, p in enumerate(paths) if i in cache.read],
                     refolded={paths[i]: checks for i, checks in sorted(cache.refolded.items())},
                     entries_written=cache.written, finished=cache.finished_from_cache,
                     merged_files=cache.merged_files)


def cache_warnings(cache: RunCache | None, run: RunOptions) -> list[str]:
    if run.cache is not None and run.limit is not None:
        return [NO_LIMIT]
    return list(cache.warnings) if cache is not None else []

