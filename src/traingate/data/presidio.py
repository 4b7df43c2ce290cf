"""Presidio, offline: one analyzer per process (spaCy NER from a registry package, or pattern and
checksum recognizers only), fed in batches, spread over a pool of processes (none in a worker of a
sharded run, whose cores are already in use); and masking with presidio-anonymizer. Nothing here
downloads anything. The analyzer is built in presidio_engine.py and reads a list of texts in
presidio_analyze.py; this module spreads that work over processes, and masks."""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from typing import Any

from traingate.data.lifecycle import start_as_worker
from traingate.data.presidio_analyze import analyze
from traingate.data.presidio_engine import EngineSpec, Finding
from traingate.data.spawn import can_spawn

# EngineSpec and Finding: re-exported for validators
__all__ = ["EngineSpec", "Finding", "analyze_batch", "analyze_parallel", "mark_shard_worker", "mask"]

PARALLEL_FROM = 256  # fewer texts than this are analysed in this process: starting workers costs seconds
_in_shard_worker = False  # set in the worker processes and Ray tasks that fold shards


def mark_shard_worker() -> None:
    """This process folds shards of a sharded run (a worker process or a Ray task): every core already
    has a worker, so the pii check analyses its texts here instead of starting a pool of its own."""
    global _in_shard_worker
    _in_shard_worker = True


def analyze_parallel(spec: EngineSpec, texts: list[str], workers: int, least: int = PARALLEL_FROM) -> list[list[Finding]]:
    """The same findings as `analyze`, computed by `workers` processes on contiguous chunks. This process
    does the work for fewer than `least` texts, in a shard worker, where workers cannot start (a main
    script read from stdin), and when they die."""
    if workers <= 1 or len(texts) < max(least, 1) or _in_shard_worker or not can_spawn():
        return analyze(spec, texts)
    size = -(-len(texts) // workers)
    chunks = [texts[i: i + size] for i in range(0, len(texts), size)]
    out: list[list[Finding]] = []
    try:
        for part in _pool(workers).map(analyze, [spec] * len(chunks), chunks):
            out.extend(part)
    except BrokenProcessPool:
        _pool(workers).shutdown(wait=False, cancel_futures=True)
        _pool.cache_clear()
        return analyze(spec, texts)
    return out


def analyze_batch(spec: EngineSpec, texts: list[str], workers: int) -> list[list[Finding]]:
    """The findings of `analyze` for one batch of texts to mask (every distinct text of a run at once). A
    pool the check's scan started has its analyzers loaded: it takes any batch, so this process need not
    load its own (a second or more). Else NER (about 2 ms a text) goes to `workers` processes, and the
    patterns alone (about 0.1 ms a text) stay here, where starting a pool costs more than it saves."""
    if not texts:
        return []
    if _pool.cache_info().currsize:
        return analyze_parallel(spec, texts, workers, least=1)
    return analyze_parallel(spec, texts, workers) if spec.recognizers == "ner" else analyze(spec, texts)


@lru_cache(maxsize=2)
def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool kept for the next batches, shut down when this process ends: not by atexit, which a spawned
    process does not reach before it joins its children (waiting forever on a pool left running), but by
    a multiprocessing finalizer, which every process runs first; its priority puts it before the
    finalizers of the pool's own queues, which would stop them before the pool's workers are told to end."""
    # spawn: the run's reader and checker threads make fork unsafe
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=start_as_worker, initargs=(os.getpid(),))  # they exit if this process dies
    multiprocessing.util.Finalize(None, pool.shutdown, kwargs={"cancel_futures": True}, exitpriority=100)
    return pool


def mask(text: str, findings: list[Finding]) -> str:
    """The text with every finding replaced by its entity name, e.g. <EMAIL_ADDRESS>."""
    if not findings:
        return text
    from presidio_analyzer import RecognizerResult

    results = [RecognizerResult(entity, start, end, score) for start, end, entity, score, _ in findings]
    masked: str = _anonymizer().anonymize(text=text, analyzer_results=results).text
    return masked


@lru_cache(maxsize=1)
def _anonymizer() -> Any:
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()  # type: ignore[no-untyped-call]
