from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import contract_text
from traingate.errors import ContractError
from traingate.reports.html import render_html
from traingate.results import CheckResult, RunResult

SECRETS = {
    "AWS Access Key": "AKIAIOSFODNN7EXAMPLE",
    "GitHub Token": "ghp_" + "a1B2c3D4e5" * 3 + "a1B2c3",
    "Private Key": "-----BEGIN RSA PRIVATE KEY-----",
    "Basic Auth Credentials": "https://deploy:hunter2pass@db.example.com/main",
    "Slack Token": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
}


def one(run: Callable[..., RunResult], kind: str, checks: str, rows: list[dict[str, Any]]) -> CheckResult:
    (check,) = run(contract_text(kind, checks), rows).checks
    return check


def test_each_planted_secret_is_found_and_never_shown(run: Callable[..., RunResult]) -> None:
    rows = [{"text": f"config: {value} end"} for value in SECRETS.values()] + [{"text": "a plain sentence"}]
    result = run(contract_text("pretraining", "  compliance:\n    - type: secrets\n"), rows)
    (check,) = result.checks
    assert check.findings == len(SECRETS) and check.details["by_reason"] == {name: 1 for name in SECRETS}
    html, dumped = render_html(result), result.model_dump_json()
    for value in SECRETS.values():
        assert value not in html and value not in dumped
    assert any(s.excerpt == "config: <AWS Access Key> end" for s in check.samples)


def test_secrets_detectors_can_be_chosen_and_extended(run: Callable[..., RunResult]) -> None:
    rows = [{"text": f"key {SECRETS['AWS Access Key']}"}, {"text": "internal token TKN-1234-ABCD"}]
    checks = ("  compliance:\n    - type: secrets\n      detectors: [GitHub Token]\n"
              "      extra_patterns: {house token: 'TKN-[0-9]{4}-[A-Z]{4}'}\n")
    check = one(run, "pretraining", checks, rows)
    assert check.details["by_reason"] == {"house token": 1}
    with pytest.raises(ContractError, match=r"unknown secrets detector 'GitHub'.*AWS Access Key"):
        one(run, "pretraining", "  compliance:\n    - type: secrets\n      detectors: [GitHub]\n", rows)


def test_blocklist_terms_are_whole_words_without_case(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "Project Falcon ships soon"}, {"text": "falconry is a hobby"}, {"text": "see db1.internal.corp"},
            {"text": "ticket ABC-123"}, {"text": "clean"}]
    checks = ("  compliance:\n    - type: blocklist\n      terms: [project falcon, falcon, internal.corp]\n"
              "      patterns: ['[A-Z]{3}-[0-9]{3}']\n")
    check = one(run, "pretraining", checks, rows)
    assert check.findings == 3
    assert check.details["by_reason"] == {"project falcon": 1, "falcon": 1, "internal.corp": 1, "[A-Z]{3}-[0-9]{3}": 1}
    with pytest.raises(ContractError, match="needs `terms` or `patterns`"):
        one(run, "pretraining", "  compliance:\n    - type: blocklist\n", rows)


def test_licence_missing_denied_and_not_allowed(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "a", "license": "MIT"}, {"text": "b", "license": "apache-2.0"}, {"text": "c", "license": "GPL-3.0"},
            {"text": "d", "license": "CC-BY-NC-4.0"}, {"text": "e", "license": " "}, {"text": "f"}]
    checks = "  compliance:\n    - type: licence\n      allow: [MIT, Apache-2.0]\n      deny: [GPL-3.0]\n"
    check = one(run, "pretraining", checks, rows)
    assert check.details["by_reason"] == {"missing_licence": 2, "denied_licence": 1, "licence_not_allowed": 1}
    assert check.findings == 4


def test_lineage_required_fields_denied_generators_and_synthetic_share(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "a", "source": "forum", "generator": "", "synthetic": False},
            {"text": "b", "source": "", "generator": "gpt-4-0613", "synthetic": True},
            {"text": "c", "source": "web", "generator": "Llama-3-70B", "synthetic": "yes"},
            {"text": "d", "source": "web", "generator": None, "synthetic": None}]
    checks = ("  compliance:\n    - type: lineage\n      required: [source]\n      deny_generators: [GPT-4]\n"
              "      synthetic: {column: synthetic, max_share: 0.25}\n      max_count: 5\n")
    check = one(run, "pretraining", checks, [{**r, "synthetic": str(r["synthetic"])} for r in rows])
    assert check.details["by_reason"] == {"missing_source": 1, "denied_generator": 1}
    assert check.details["synthetic_rows"] == 2 and check.details["synthetic_share"] == 0.5
    assert check.status == "failed" and "50.0% synthetic rows (at most 25.0%)" in check.message


def test_secrets_are_masked_in_every_check_of_the_run(run: Callable[..., RunResult]) -> None:
    rows = [{"text": f"  indented {SECRETS['AWS Access Key']} line"}]
    result = run(contract_text("pretraining", "  format:\n    - type: whitespace\n  compliance:\n    - type: secrets\n"), rows)
    whitespace, secrets = result.checks
    assert whitespace.samples and "<AWS Access Key>" in whitespace.samples[0].excerpt
    assert SECRETS["AWS Access Key"] not in result.model_dump_json()
    assert secrets.details["masked_excerpts"] == 1  # its own sample was masked when it was taken
