"""A fold on several threads feeds the first batch to one check after another on the calling thread: what a
check imports on first use (spaCy, Presidio, a model) is then imported by one thread, never by two at once,
where each can see the package half-initialised and fail. Later batches go to the checks side by side."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import contract_text, write_jsonl
from traingate.contracts import parse_contract
from traingate.data import jsonl_reader, readers
from traingate.engine.runner import RunOptions, validate

CHECKS = "  format:\n    - {type: empty_text, max_rate: 0.0}\n    - {type: whitespace, max_rate: 1.0}\n"


def test_the_first_batch_is_fed_on_the_calling_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "ROWS_PER_CHUNK", 10)
    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 400)  # many small batches
    threads: list[tuple[int, str, int]] = []  # (batch number, check, thread)
    seen: dict[str, int] = {}

    def spy(add: Any) -> Any:
        def add_batch(self: Any, state: Any, batch: Any) -> Any:
            seen[self.check_id] = seen.get(self.check_id, 0) + 1
            threads.append((seen[self.check_id], self.check_id, threading.get_ident()))
            return add(self, state, batch)
        return add_batch

    from traingate.validators.format import hygiene
    for name in ("EmptyTextValidator", "WhitespaceValidator"):
        cls = getattr(hygiene, name)
        monkeypatch.setattr(cls, "add_batch", spy(cls.add_batch))
    contract = parse_contract(contract_text("pretraining", CHECKS), str(tmp_path / "c.yaml"))
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i} with some words"} for i in range(200)])
    result = validate(contract, [str(data)], options=RunOptions(workers=0))  # threads: every core
    assert result.dataset.rows == 200 and all(c.status == "passed" for c in result.checks)
    main = threading.get_ident()
    first = [t for n, _, t in threads if n == 1]
    later = {t for n, _, t in threads if n > 1}
    assert len(first) == 2 and set(first) == {main}, threads
    assert later - {main}, "later batches go to the pool's threads"
