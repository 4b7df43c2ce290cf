"""The contract's length limits land on the distribution they bound, and only there: a per-field limit on
that field's values, a per-row limit when the row's total is one field's figure; never on a distribution that
sums a conversation's turns when the limit bounds each turn."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tests.conftest import contract_text
from traingate.engine.runner import RunOptions
from traingate.engine.stats import Accumulator
from traingate.results import RunResult


def limits(result: RunResult) -> dict[str, list[tuple[str, str, float]]]:
    return {d.name: [(limit.check, limit.kind, limit.value) for limit in d.limits] for d in result.distributions if d.limits}


def test_per_field_limits_land_on_each_field_and_a_row_limit_on_its_only_field(run: Callable[..., RunResult]) -> None:
    checks = ("  format:\n    - type: max_chars\n      limit: 100\n      per: field\n"
              "    - type: min_tokens\n      limit: 1\n      fields: [response]\n"
              "    - type: max_tokens\n      limit: 50\n")  # per row over prompt and response: no one figure
    rows = [{"prompt": "a b", "response": "c d e"}, {"prompt": "f", "response": "g"}]
    result = run(contract_text("sft", checks, extra="  tokenizer: whitespace\n"), rows, options=RunOptions(workers=2))
    assert limits(result) == {"chars.prompt": [("format.max_chars", "max", 100)],
                              "chars.response": [("format.max_chars", "max", 100)],
                              "tokens.response": [("format.min_tokens", "min", 1)]}


def test_a_limit_on_each_turn_is_not_put_on_a_conversations_total(run: Callable[..., RunResult]) -> None:
    checks = ("  format:\n    - type: max_tokens\n      limit: 9\n      per: field\n      fields: [messages]\n"
              "    - type: max_chars\n      limit: 900\n      fields: [messages]\n")  # per row: the total
    rows = [{"messages": [{"role": "user", "content": "hi there"}, {"role": "assistant", "content": "hello"}]}]
    result = run(contract_text("chat", checks, extra="  tokenizer: whitespace\n"), rows)
    assert limits(result) == {"chars.messages": [("format.max_chars", "max", 900)]}


def test_a_pretraining_row_limit_bounds_its_one_text_field(run: Callable[..., RunResult]) -> None:
    result = run(contract_text("pretraining", "  format:\n    - type: min_chars\n      limit: 3\n"), [{"text": "abcd"}])
    assert limits(result) == {"chars.text": [("format.min_chars", "min", 3)]}


def test_a_distribution_that_summed_turns_in_any_part_stays_so_when_merged() -> None:
    plain, turns = Accumulator(), Accumulator(several=True)
    plain.add(np.array([3]), np.array([1], dtype=np.uint64))
    assert plain.merge(turns).several and turns.merge(plain).several and not plain.merge(Accumulator()).several
