from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import contract_text
from traingate.errors import ContractError
from traingate.results import CheckResult, RunResult


def one(run: Callable[..., RunResult], checks: str, rows: list[dict[str, Any]], kind: str = "sft") -> CheckResult:
    (check,) = run(contract_text(kind, f"  alignment:\n{checks}"), rows).checks
    return check


def sft(*responses: str, prompt: str = "Tell me about the sea") -> list[dict[str, str]]:
    return [{"prompt": prompt, "response": r} for r in responses]


def test_refusals_default_and_extra_phrases(run: Callable[..., RunResult]) -> None:
    rows = sft("As an AI language model, I cannot browse.", "I'm sorry, but I can't help with that request.",
               "The sea covers 71% of the planet.", "Certainly! Here you go.")
    assert one(run, "    - type: refusals\n", rows).findings == 2
    check = one(run, "    - type: refusals\n      extra_phrases: ['certainly! here']\n", rows)
    assert check.findings == 3 and check.samples[0].span is not None


def test_truncated_endings_and_open_fences(run: Callable[..., RunResult]) -> None:
    rows = sft("The tide rises twice a day because the moon pulls the water and",   # mid-sentence
               "Here is code:\n```python\nprint('hi')\n",                          # open fence
               "Here is code:\n```python\nprint('hi')\n```",                       # closed: fine
               "Waves are made by wind blowing over the surface of the water.",    # finished
               "Blue whale")                                                       # too short to judge
    check = one(run, "    - type: truncated\n", rows)
    assert check.details["by_reason"] == {"ends_mid_sentence": 1, "unclosed_code_fence": 1}


def test_truncated_spares_lists_headings_urls_hashtags_signatures_and_titles(run: Callable[..., RunResult]) -> None:
    rows = sft("Things to pack for the trip:\n- sunscreen and a hat\n- a towel for the beach",
               "Here is the outline of the essay we discussed:\n## Part Two The Long Voyage Home",
               "You can read the full documentation for this library at\nhttps://example.org/docs/start",
               "Landed my first job today and I could not be happier! #NewJob #Grateful",
               "Thank you for your help with the move last week.\n\nBest,\nAnna",
               "Thank you for your help with the move last week, it meant a lot.\n— Anna",
               "Here is a title for your blog post about the sea:\n\nThe Quiet Power of the Ocean Tides",
               "Thanks for asking about the weather, it was a lovely sunny day 😊",
               "The tide rises twice a day because the moon pulls the water and")  # still mid-sentence
    check = one(run, "    - type: truncated\n", rows)
    assert check.details["by_reason"] == {"ends_mid_sentence": 1} and check.samples[0].line == 9
    kept = one(run, "    - type: truncated\n      finished_forms: [url]\n", rows)
    assert kept.findings == 8


def test_truncated_finds_a_list_item_or_title_cut_mid_sentence(run: Callable[..., RunResult]) -> None:
    rows = sft("Steps to bake the bread at home:\n1. Mix the flour and water\n2. Preheat the oven to",
               "Things to pack for the trip:\n- sunscreen and a hat\n- a towel for the beach,",
               "Here is a title for your blog post about the sea:\n\nThe Quiet Power of the",
               "Here is the outline of the essay we discussed:\n## Part Two and the Long Voyage of the",
               "Landed my first job today and I could not be happier! #NewJob and",
               "Things to pack for the trip:\n- sunscreen and a hat\n- a towel for the beach")  # finished
    check = one(run, "    - type: truncated\n", rows)
    assert check.details["by_reason"] == {"ends_mid_sentence": 5}
    assert sorted(s.line for s in check.samples) == [1, 2, 3, 4, 5]


def test_length_ratio_bounds(run: Callable[..., RunResult]) -> None:
    rows = sft("ok", "x" * 40, "y" * 400, prompt="p" * 20)  # ratios 0.1, 2, 20
    check = one(run, "    - type: length_ratio\n      min: 0.5\n      max: 10\n", rows)
    assert check.details["by_reason"] == {"ratio_below_0.5": 1, "ratio_above_10": 1}
    with pytest.raises(ContractError, match="needs `min` or `max`"):
        one(run, "    - type: length_ratio\n", rows)


def test_response_format_json_schema_python_and_condition(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "Reply in JSON", "response": '{"name": "Ann", "age": 3}'},
            {"prompt": "Reply in JSON", "response": '```json\n{"name": "Bo"}\n```'},          # fenced, lacks age
            {"prompt": "Reply in json please", "response": "{'name': 'Cy'}"},                  # not JSON
            {"prompt": "Just chat", "response": "hello there"}]                               # not asked
    schema = "{type: object, required: [name, age]}"
    check = one(run, f"    - type: response_format\n      format: json\n      when_prompt_matches: '(?i)json'\n"
                     f"      json_schema: {schema}\n", rows)
    assert check.findings == 2 and [s.line for s in sorted(check.samples, key=lambda s: s.line)] == [2, 3]
    code = [{"prompt": "code", "response": "def f(x):\n    return x"}, {"prompt": "code", "response": "def f(:"}]
    assert one(run, "    - type: response_format\n      format: python\n", code).findings == 1


def test_chat_responses_are_the_assistant_turns(run: Callable[..., RunResult]) -> None:
    rows = [{"messages": [{"role": "user", "content": "As an AI language model, what do you think?"},
                          {"role": "assistant", "content": "I think the sea is lovely."}]},
            {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "As an AI language model, hi."}]}]
    check = one(run, "    - type: refusals\n", rows, kind="chat")
    assert check.findings == 1 and check.samples[0].line == 2
