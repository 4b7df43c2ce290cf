"""The library's entry point: `traingate.validate()`, the function the `traingate validate` command calls.

    import traingate

    result = traingate.validate("contract.yaml", ["data/train.jsonl"], workers=4, max_memory="8GiB")
    print(result.gate.verdict, result.gate.exit_code, [c.status for c in result.checks])

The command line adds only what is about files and the terminal: the outputs it writes (--json, --report,
--junit), the summary it prints, and signing with --key. The evidence (--evidence, every row each check
found at fault) is written by the run itself, while what the checks spilled to disk is still there."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from traingate.contracts import Contract, load_contract
from traingate.errors import UsageError

if TYPE_CHECKING:
    from traingate.engine.rejects import Finished
    from traingate.engine.runner import RunOptions
    from traingate.results.model import RunResult

ENGINES = ("local", "ray")
FAIL_ON = ("error", "warn")  # the contract's gate.fail_on

_UNITS = {"": 1.0, "m": 1.0, "mb": 1.0, "mib": 1.0, "g": 1024.0, "gb": 1024.0, "gib": 1024.0}


def mebibytes(size: str | float) -> float:
    """A memory size in MiB: a number is MiB already; a text is a number and an optional unit, M, MB or MiB
    (mebibytes) or G, GB or GiB (gibibytes), case and spaces ignored: "8GiB" is 8192.0, "512MiB" and "512"
    are 512.0. Raises ValueError for anything else, zero, or a size below zero."""
    if isinstance(size, bool) or not isinstance(size, (str, int, float)):
        raise ValueError(f"{size!r}: give a size such as 8GiB or 512MiB, or a number of MiB")
    if isinstance(size, str):
        text = size.strip().lower()
        number = text.rstrip("bgimk ")
        try:
            value = float(number) * _UNITS[text[len(number):].strip()]
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{size!r}: give a size such as 8GiB or 512MiB") from exc
    else:
        value = float(size)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{size!r}: give a size above zero, such as 8GiB or 512MiB")
    return value


def run_options(*, workers: int | None = None, engine: str = "local", address: str | None = None,
                max_memory: str | float | None = None, limit: int | None = None,
                exclude: Iterable[str] = (), cache: str | os.PathLike[str] | None = None,
                cache_max: str | float | None = None, cache_verify: bool = False) -> RunOptions:
    """The runner's options from validate()'s arguments, each checked: a UsageError names the one that
    cannot be used and what it takes."""
    from traingate.engine.runner import RunOptions

    if engine not in ENGINES:
        raise UsageError(f"engine={engine!r}: use {' or '.join(repr(e) for e in ENGINES)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise UsageError(f"workers={workers!r}: give a number of worker processes, 1 or more, or None for the "
                         "default (every core when the data is 512 MiB or more, else 1)")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise UsageError(f"limit={limit!r}: give a number of rows, 1 or more, or None to read every row")
    if isinstance(exclude, str):
        raise UsageError(f"exclude={exclude!r}: give a list of glob patterns, not one text")
    try:
        max_memory_mib = None if max_memory is None else mebibytes(max_memory)
    except ValueError as exc:
        raise UsageError(f"max_memory={exc}") from exc
    if cache is not None and engine != "local":
        raise UsageError(f"cache: works with engine='local' only, not {engine!r}")
    if cache_max is not None and cache is None:
        raise UsageError("cache_max: give cache, the directory it bounds")
    if cache_verify and cache is None:
        raise UsageError("cache_verify: give cache, the directory whose records it checks")
    try:
        cache_max_bytes = None if cache_max is None else int(mebibytes(cache_max) * 2**20)
    except ValueError as exc:
        raise UsageError(f"cache_max={exc}") from exc
    return RunOptions(limit=limit, workers=workers or 0, engine=engine, address=address,
                      max_memory_mib=max_memory_mib, exclude=tuple(exclude),
                      cache=None if cache is None else os.fspath(cache), cache_max_bytes=cache_max_bytes,
                      cache_verify=cache_verify)


def validate(contract: str | os.PathLike[str] | Contract, data: Iterable[str | os.PathLike[str]] | None = None, *,
             workers: int | None = None, engine: str = "local", address: str | None = None,
             max_memory: str | float | None = None, limit: int | None = None, exclude: Iterable[str] = (),
             fail_on: str | None = None, show_progress: bool = False,
             evidence: str | os.PathLike[str] | None = None, rejects: str | os.PathLike[str] | None = None,
             rejects_with_data: bool = False, clusters: str | os.PathLike[str] | None = None,
             cache: str | os.PathLike[str] | None = None, cache_max: str | float | None = None,
             cache_verify: bool = False) -> RunResult:
    """Check `data` against `contract` in one pass and return the run's result. This is what
    `traingate validate` runs; each argument is that command's option of the same name.

    Args:
        contract: a contract file's path, or a Contract already loaded (`traingate.load_contract`,
            `traingate.parse_contract`).
        data: files, directories or globs, each optionally prefixed `split=` to label its split
            (`"eval=data/eval.jsonl"`). None or empty: the contract's `dataset.splits`, relative to the
            contract's folder.
        workers: worker processes. None: every core when the data is 512 MiB or more, else 1. A script that
            runs on more than one worker must call validate() under `if __name__ == "__main__":`, since each
            worker imports the main script again.
        engine: "local" (processes on this machine) or "ray" (`pip install 'traingate[ray]'`).
        address: the Ray cluster's address with engine="ray"; None starts a local Ray instance.
        max_memory: a memory limit, "8GiB", "512MiB" or a number of MiB. When resident memory passes it,
            checks that compare rows spill them to disk or keep a hash-chosen share, and say so in their
            result; when none can, reading stops and the gate errs.
        limit: read only the first `limit` rows (the result records it; such a run cannot be promoted).
        exclude: glob patterns (a file's name or path) of files not to read, besides the contract's
            `dataset.exclude`; skipped files are listed in `result.dataset.skipped_files`.
        fail_on: "error" or "warn", the lowest severity that fails the gate, instead of the contract's
            `gate.fail_on`.
        show_progress: draw a progress bar on stderr when it is a terminal (never in CI).
        evidence: a path to write every row each check found at fault, as JSON lines: one per (check, row,
            reason), checks in the contract's order and rows in data order, with the file, line, reason,
            field and the numbers that measure it, never a value of the data. When it cannot be written the
            result's gate errs, saying why.
        rejects: a path to write every row the run rejects, one record per row, in data order: its file, line
            and unit, and each check that rejects it (check, severity, reason, field; duplicates: cluster and
            kept), or the fault of a record that could not be read. JSON lines, or Parquet when the path ends
            in .parquet. Rejected: every row a row-level check of the gate's severity (`fail_on`: error, or
            error and warn) found at fault, whatever its status, but a duplicate cluster's kept row. When it
            cannot be written the result's gate errs, saying why.
        rejects_with_data: each rejected row's record also holds the row's values as read (`data`), masked
            by the contract's pii and secrets checks as every other output is.
        clusters: a path to write every row of every duplicate cluster (exact, near, semantic): check,
            cluster, file, line, unit, whether the row is the kept one, and the similarity where the check
            measured one. JSON lines, or Parquet by extension.
        cache: a directory where each file's folded check states are kept (made on first use). A later run
            reads only the files (and folds only the checks) it does not hold, takes the rest from it, and
            gives the same result; a run stopped part way continues from the files it finished. Entries are
            signed with a secret kept in the directory (docs/cache.md). Not with engine="ray"; unused with
            limit.
        cache_max: a bound on the cache directory, "2GB", "512MiB" or a number of MiB: past it the least
            recently used entries are removed at the end of the run.
        cache_verify: hash every file, even one whose size, mtime, ctime, inode and device (or remote etag
            and version) are those the cache recorded, whose sha256 is otherwise taken from the record.

    Returns:
        The RunResult: `result.gate.verdict` (passed, warned, failed or errored), `result.gate.exit_code`
        (0, 1 or 3, as the command exits), `result.checks` (one CheckResult per check), the dataset read
        and the distributions measured. A failing check is a result, never an exception.

    Raises:
        UsageError: an argument that cannot be used (an unknown engine or fail_on, a size that is not one).
        ContractError: the contract does not load or a check cannot be built from it.
        SourceError: a data source cannot be opened at all (a bad row is data, counted in the result).
        MissingDependencyError: the contract or the engine needs an optional package not installed.
        All four are TraingateError.
    """
    from traingate.engine.runner import validate as run
    from traingate.reports.json import write_evidence

    options = run_options(workers=workers, engine=engine, address=address, max_memory=max_memory, limit=limit,
                          exclude=exclude, cache=cache, cache_max=cache_max, cache_verify=cache_verify)
    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"fail_on={fail_on!r}: use {' or '.join(repr(f) for f in FAIL_ON)}, or None for the "
                         "contract's gate.fail_on")
    if isinstance(data, (str, os.PathLike)):
        data = [data]  # one path, not its characters
    loaded = contract if isinstance(contract, Contract) else load_contract(os.fspath(contract))
    if fail_on is not None:
        loaded = loaded.model_copy(update={"gate": loaded.gate.model_copy(update={"fail_on": fail_on})})
    sink = None if evidence is None else partial(write_evidence, path=os.fspath(evidence))
    if rejects_with_data and rejects is None:
        raise UsageError("rejects_with_data: give rejects, the file the rejected rows go to")
    finished = None if rejects is None and clusters is None else partial(
        _write_rejects, rejects=rejects, with_data=rejects_with_data, clusters=clusters, severity=loaded.gate.fail_on)
    return run(loaded, [os.fspath(d) for d in data or ()], show_progress=show_progress, options=options, evidence=sink,
               finished=finished)


def _write_rejects(run: Finished, *, rejects: str | os.PathLike[str] | None, with_data: bool,
                   clusters: str | os.PathLike[str] | None, severity: str) -> None:
    """The rejected rows and the duplicate clusters of a finished run to their files; the run's gate errs
    for a file that could not be written."""
    from traingate.engine.rejects import write
    from traingate.reports.json import write_clusters, write_rejects

    if rejects is not None:
        run.result.gate = write(partial(write_rejects, path=os.fspath(rejects)), run.rejected_rows(severity, with_data),
                                run.result.gate, "the rejected rows (--rejects)")
    if clusters is not None:
        run.result.gate = write(partial(write_clusters, path=os.fspath(clusters)), run.clusters(severity), run.result.gate,
                                "the duplicate clusters (--clusters)")
