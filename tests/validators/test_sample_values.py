"""A sample proves its finding: it carries what the check measured (a token count, a score, a ratio) in its
unit, the chat turn and role holding the finding, and what found it (a PII recognizer, a secrets detector)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import contract_text
from traingate.results import RunResult
from traingate.results.model import Sample

CHAT = ("  fields: {messages: conversations, role: from, content: value}\n"
        "  roles: {user: [human], assistant: [gpt], system: [system], tool: [function_call, observation]}\n")


def turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"from": r, "value": v} for r, v in pairs]


def samples(result: RunResult, check_id: str) -> dict[int, Sample]:
    (check,) = [c for c in result.checks if c.id == check_id]
    return {s.line: s for s in check.samples}


def measured(sample: Sample) -> tuple[float | None, str | None]:
    return sample.value, sample.measure


def test_length_samples_carry_the_count(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "one two three", "response": "four five"},  # 5 tokens, 22 characters
            {"prompt": "one", "response": "two"},  # 2 tokens, 6 characters
            {"prompt": "a b c", "response": "d e f g h i j"}]  # 3 + 7 tokens
    checks = ("  format:\n    - type: max_tokens\n      limit: 4\n"
              "    - type: max_tokens\n      name: per_field\n      limit: 4\n      per: field\n"
              "    - type: min_chars\n      limit: 7\n    - type: max_chars\n      limit: 20\n")
    result = run(contract_text("sft", checks), rows)
    assert {line: (s.field, *measured(s)) for line, s in samples(result, "format.max_tokens").items()} == {
        1: ("prompt", 5, "tokens"), 3: ("response", 10, "tokens")}  # per row: the field that counts most
    per_field = samples(result, "per_field")
    assert {line: (s.field, *measured(s)) for line, s in per_field.items()} == {3: ("response", 7, "tokens")}
    assert measured(samples(result, "format.min_chars")[2]) == (6, "chars")
    assert measured(samples(result, "format.max_chars")[1]) == (22, "chars")


def test_chat_samples_name_the_turn_and_its_role(run: Callable[..., RunResult]) -> None:
    rows = [{"conversations": turns(("human", "q"), ("human", "q2"), ("gpt", "a"))},  # not alternating at turn 1
            {"conversations": turns(("human", "q"), ("gpt", " "))},  # empty turn 1
            {"conversations": turns(("system", "s"), ("human", "q"), ("gpt", "w " * 30))}]  # a long answer
    checks = ("  format:\n    - type: chat_structure\n    - type: max_tokens\n      limit: 20\n      per: field\n"
              "  alignment:\n    - type: length_ratio\n      max: 10\n")
    result = run(contract_text("chat", checks, CHAT), rows)
    structure = samples(result, "format.chat_structure")
    assert (structure[1].reason, structure[1].role, structure[1].turn) == ("not_alternating", "human", 1)
    assert (structure[2].reason, structure[2].role, structure[2].turn) == ("empty_turn", "gpt", 1)
    long = samples(result, "format.max_tokens")[3]
    assert (long.role, long.turn, *measured(long)) == ("gpt", 2, 30, "tokens")
    ratio = samples(result, "alignment.length_ratio")[3]  # the assistant turns alone, counted in the whole chat
    assert (ratio.role, ratio.turn, *measured(ratio)) == ("gpt", 2, 60, "ratio")


def test_score_and_ratio_samples_carry_the_value(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "q", "response": "a", "score": 7.5}, {"prompt": "q", "response": "a", "score": None},
            {"prompt": "qqqq", "response": "a", "score": -1.5}]
    checks = ("  format:\n    - type: score_range\n      min: 0\n      max: 5\n"
              "  alignment:\n    - type: length_ratio\n      min: 0.5\n")
    result = run(contract_text("reward", checks), rows)
    scores = samples(result, "format.score_range")
    assert (scores[1].reason, *measured(scores[1])) == ("above_max", 7.5, "score")
    assert (scores[2].reason, *measured(scores[2])) == ("missing", None, None)  # nothing was measured
    assert (scores[3].reason, *measured(scores[3])) == ("below_min", -1.5, "score")
    assert measured(samples(result, "alignment.length_ratio")[3]) == (0.25, "ratio")


def test_secrets_samples_name_the_detector(run: Callable[..., RunResult]) -> None:
    pytest.importorskip("detect_secrets")
    rows = [{"text": "key AKIAIOSFODNN7EXAMPLE here"}]
    (sample,) = run(contract_text("pretraining", "  compliance:\n    - type: secrets\n"), rows).checks[0].samples
    assert (sample.reason, sample.recognizer) == ("AWS Access Key", "AWS Access Key")


def test_expectation_samples_carry_the_length_or_the_number(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "q", "response": "far too long", "score": 9}]
    checks = ("  format:\n    - type: expectation\n      expectation: expect_column_value_lengths_to_be_between\n"
              "      kwargs: {column: response, max_value: 5}\n"
              "    - type: expectation\n      name: between\n      expectation: expect_column_values_to_be_between\n"
              "      kwargs: {column: score, max_value: 5}\n")
    result = run(contract_text("reward", checks), rows)
    assert measured(samples(result, "format.expectation")[1]) == (12, "chars")
    assert measured(samples(result, "between")[1]) == (9, None)


def test_pii_samples_carry_entity_recognizer_score_and_turn(run: Callable[..., RunResult]) -> None:
    pytest.importorskip("presidio_analyzer")
    rows = [{"conversations": turns(("human", f"write to user{k}@acme.com"), ("gpt", "done"))} for k in range(60)]
    rows.append({"conversations": turns(("human", "hello"), ("gpt", "send it to 221 Baker Street, London"))})
    checks = "  compliance:\n    - type: pii\n      recognizers: patterns\n      max_rate: 1\n"
    result = run(contract_text("chat", checks, CHAT), rows)
    (check,) = result.checks
    assert check.details["by_reason"] == {"EMAIL_ADDRESS": 60, "STREET_ADDRESS": 1}
    (street,) = [s for s in check.samples if s.reason == "STREET_ADDRESS"]  # one row in 61: shown all the same
    assert (street.line, street.recognizer, street.measure, street.role, street.turn) == (
        61, "StreetAddressRecognizer", "score", "gpt", 1)
    email = next(s for s in check.samples if s.reason == "EMAIL_ADDRESS")
    assert (email.recognizer, email.value, email.measure, email.role, email.turn) == (
        "EmailRecognizer", 1.0, "score", "human", 0)
    evidence = {(e["line"], e["entity"]): e["score"] for e in check.details["evidence"]}
    assert street.value == evidence[(61, "STREET_ADDRESS")]
    assert "<STREET_ADDRESS>" in street.excerpt and "Baker" not in street.excerpt
