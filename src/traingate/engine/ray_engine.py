"""The Ray engine: shards folded by Ray Data tasks (a failed one tried once more), and the LSH band keys of
near-duplicate and split-leakage checks shuffled through Ray (grouped by check and key partition) so that
only pairs, never per-row signatures, come back to the driver (ray_shuffle.py)."""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterable
from typing import Any

from traingate.data.presidio import mark_shard_worker
from traingate.data.spill import SpillError
from traingate.engine.fold import build_validators, fold_task
from traingate.engine.folded import Folded
from traingate.engine.ray_shuffle import Pairs, shuffle
from traingate.errors import MissingDependencyError
from traingate.validators.common.capabilities import ListsFindings, ShufflesBandKeys, SpillsRows


def _fold_row(row: dict[str, Any]) -> dict[str, Any]:
    mark_shard_worker()  # the cluster's cores already run tasks: no pii pool of its own in a task
    try:
        folded, validators = fold_task(pickle.loads(row["task"]))
    except Exception as exc:
        return {"index": row["index"], "folded": b"", "keys": b"", "error": f"{type(exc).__name__}: {exc}"}
    emitted = []
    for c, validator in enumerate(validators):
        if isinstance(validator, ShufflesBandKeys) and folded.errors[c] is None:
            folded.states[c], keys = validator.take_band_keys(folded.states[c])
            emitted.append((c, *keys))
        if isinstance(validator, SpillsRows) and folded.errors[c] is None:
            folded.states[c] = validator.take_back(folded.states[c])  # the driver cannot read this node's disk
        if isinstance(validator, ListsFindings) and validator.keeps_findings and folded.errors[c] is None:
            folded.states[c] = validator.take_back_findings(folded.states[c])
    folded.faults.load()  # every unreadable record, when kept, comes back with the fold
    return {"index": row["index"], "folded": pickle.dumps(folded), "keys": pickle.dumps(emitted), "error": ""}


def start_ray(address: str | None) -> float:
    """Connect to the cluster at `address`, or start a local instance; seconds it took (0: connected)."""
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError("the Ray engine", "ray", "ray") from exc
    started = time.perf_counter()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    return time.perf_counter() - started


def run_on_ray(tasks: list[tuple[Any, ...]], address: str | None) -> tuple[list[Folded | str], Pairs]:
    """The run's datasets shuffle by tasks (sort-based, pull): Ray Data's default hash shuffle starts its
    aggregator actors on every run, about 6 s before the first band key moves, and they hold the cores that
    the next run's tasks wait for."""
    start_ray(address)
    from ray.data import context as data_context

    strategy = getattr(getattr(data_context, "ShuffleStrategy", None), "SORT_SHUFFLE_PULL_BASED", None)
    if strategy is None:  # a Ray Data before shuffle strategies: its shuffle is the sort-based one
        return _run(tasks)
    context = data_context.DataContext.get_current()
    before, context.shuffle_strategy = context.shuffle_strategy, strategy
    try:
        return _run(tasks)
    finally:
        context.shuffle_strategy = before


def _run(tasks: list[tuple[Any, ...]]) -> tuple[list[Folded | str], Pairs]:
    rows = [{"index": i, "task": pickle.dumps(task)} for i, task in enumerate(tasks)]
    first = _map(rows)
    states, errors = _outcomes(first, range(len(rows)))
    _full_disk(errors)
    runs = [first]
    if errors:  # one more try for the shards that failed
        again = _map([rows[i] for i in sorted(errors)])
        retried, still = _outcomes(again, sorted(errors))
        _full_disk(still)
        states |= retried
        errors = {i: f"failed twice: {error}" for i, error in still.items()}
        runs.append(again)
    outcomes: list[Folded | str] = [states[i] if i in states else errors[i] for i in range(len(tasks))]
    caps = {c: (v.bucket_pairs(), v.pair_caps()) for c, v in enumerate(build_validators(tasks[0][0], tasks[0][1]))
            if isinstance(v, ShufflesBandKeys)}
    if not caps or not states:
        return outcomes, {}
    folded = runs[0].filter(lambda r: not r["error"])  # only the band keys of shards that were folded
    for run in runs[1:]:
        folded = folded.union(run.filter(lambda r: not r["error"]))
    return outcomes, shuffle(folded.materialize(), caps)


def _full_disk(errors: dict[int, str]) -> None:
    """A task that could not write its spill files ends the run as a full disk does locally (no retry)."""
    for error in errors.values():
        if error.startswith(f"{SpillError.__name__}: "):
            raise SpillError(error.split(": ", 1)[1])


def _map(rows: list[dict[str, Any]]) -> Any:
    """The shards folded by Ray Data tasks, one block each. A task whose worker dies drops its block
    instead of failing the whole run (`max_errored_blocks`), so that its shard can be tried again."""
    import ray

    context = ray.data.DataContext.get_current()
    before, context.max_errored_blocks = context.max_errored_blocks, len(rows)
    try:
        return ray.data.from_items(rows, override_num_blocks=len(rows)).map(_fold_row, max_retries=0).materialize()
    finally:
        context.max_errored_blocks = before


def _outcomes(run: Any, expected: Iterable[int]) -> tuple[dict[int, Folded], dict[int, str]]:
    """The folded states of a run's shards and, by shard index, why the others failed: their error, or
    no block at all when the task's worker died."""
    rows = run.select_columns(["index", "folded", "error"]).take_all()
    states = {r["index"]: pickle.loads(r["folded"]) for r in rows if not r["error"]}
    errors = {r["index"]: r["error"] for r in rows if r["error"]}
    for i in set(expected) - states.keys() - errors.keys():
        errors[i] = "the Ray task's worker died (crashed or was killed, e.g. out of memory)"
    return states, errors
