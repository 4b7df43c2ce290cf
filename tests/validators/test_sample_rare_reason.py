"""A reason found in one row of 10,000 shows a sample in the report, beside a reason found in 500 rows: on one
process, and on two worker processes whose states merge."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests.conftest import contract_text
from traingate.engine import shards
from traingate.engine.runner import RunOptions
from traingate.reports.html import render_html
from traingate.results import RunResult
from traingate.validators.common.samples import SAMPLE_CAP, row_keys

ROWS, COMMON, RARE_LINE = 10_000, 500, 7777
CHECKS = "  format:\n    - type: whitespace\n      max_rate: 0.2\n"


def rows() -> tuple[list[dict[str, str]], list[int]]:
    """Every 20th row ends in a space (leading_trailing); row RARE_LINE alone holds a carriage return."""
    data = [{"text": f"row {line} is fine"} for line in range(1, ROWS + 1)]
    common = [line for line in range(1, ROWS + 1, ROWS // COMMON)]
    for line in common:
        data[line - 1]["text"] += " "
    data[RARE_LINE - 1]["text"] = "one\r\ntwo"
    return data, common


def flagged_first_by_key(lines: list[int]) -> list[int]:
    keys = row_keys(np.array(lines, dtype=np.uint64))  # one file: row id = line
    return [lines[k] for k in np.argsort(keys)]


def assert_rare_row_shown(result: RunResult) -> None:
    (check,) = result.checks
    assert check.details["by_reason"] == {"carriage_return": 1, "leading_trailing": COMMON}
    places = {(s.file.rsplit("/", 1)[-1], s.line, s.reason) for s in check.samples}
    assert ("data.jsonl", RARE_LINE, "carriage_return") in places
    assert len(check.samples) == SAMPLE_CAP
    html = render_html(result)
    assert f"data.jsonl:{RARE_LINE}" in html


def test_the_rare_row_is_not_among_the_rows_of_smallest_key() -> None:
    _, common = rows()
    assert RARE_LINE not in flagged_first_by_key([*common, RARE_LINE])[:SAMPLE_CAP]  # chance alone would hide it


def test_a_reason_of_one_row_in_ten_thousand_shows_in_the_report(run: Callable[..., RunResult]) -> None:
    data, _ = rows()
    assert_rare_row_shown(run(contract_text("pretraining", CHECKS), data, options=RunOptions(workers=1)))


@pytest.mark.slow
def test_two_workers_keep_the_rare_reason(run: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)  # a small file cut into shards all the same
    data, _ = rows()
    one = run(contract_text("pretraining", CHECKS), data, options=RunOptions(workers=1))
    two = run(contract_text("pretraining", CHECKS), data, options=RunOptions(workers=2))
    assert two.dataset.shards > 1
    assert_rare_row_shown(two)
    assert two.checks[0].samples == one.checks[0].samples
