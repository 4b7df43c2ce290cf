from __future__ import annotations

import base64
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


def _b64url(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


JWT_HEADER = _b64url('{"alg":"HS256","typ":"JWT"}')
JWT_PAYLOAD = _b64url('{"sub":"1234567890","name":"John Doe","iat":1516239022}')
JWT_SIGNATURE = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
NO_ALG = _b64url('{"kid":"a"}')
JWT = f"{JWT_HEADER}.{JWT_PAYLOAD}.{JWT_SIGNATURE}"


def test_jwt_needs_a_decodable_header_with_alg(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "const pub = await privateKeyJwk.toPublic();"},                     # code, not a token
            {"text": f"not a token: {NO_ALG}.{JWT_PAYLOAD}.{JWT_SIGNATURE}"},                 # header lacks alg
            {"text": "a word eyJhbGciOiJIUzI1NiJ9.notjson.sig here"},                   # payload is not JSON
            {"text": f"Authorization: Bearer {JWT}."}]
    check = one(run, "pretraining", "  compliance:\n    - type: secrets\n", rows)
    assert check.details["by_reason"] == {"JSON Web Token": 1}
    assert [s.line for s in check.samples] == [4]


def test_a_jwt_is_masked_whole_signature_included(run: Callable[..., RunResult]) -> None:
    filler = "word " * 50  # the whitespace check's excerpt ends inside the token's payload
    rows = [{"text": f"token: {JWT} end"}, {"text": f"  indented {filler}{JWT} and more text"}]
    result = run(contract_text("pretraining", "  format:\n    - type: whitespace\n  compliance:\n    - type: secrets\n"),
                 rows)
    whitespace, secrets = result.checks
    assert secrets.findings == 2 and any(s.excerpt == "token: <JSON Web Token> end" for s in secrets.samples)
    assert whitespace.samples and "<JSON Web Token>" in whitespace.samples[0].excerpt
    dumped, html = result.model_dump_json(), render_html(result)
    for part in (JWT_HEADER, JWT_SIGNATURE, JWT_PAYLOAD[:12], JWT_SIGNATURE[-8:]):
        assert part not in dumped and part not in html


def test_a_jwt_whose_start_an_excerpt_cut_off_is_masked(run: Callable[..., RunResult]) -> None:
    """An excerpt that starts inside a token's header or payload still shows a token's payload and signature
    (with a guessable header, the token itself): that rest is masked too."""
    aws = SECRETS["AWS Access Key"]
    for gap in range(0, 40, 3):  # the AWS key's sample window starts in the header, then in the payload
        rows = [{"text": f"token {JWT} {'w ' * gap}key {aws} end"}]
        result = run(contract_text("pretraining", "  compliance:\n    - type: secrets\n"), rows)
        dumped = result.model_dump_json()
        assert JWT_PAYLOAD[-12:] not in dumped and f".{JWT_SIGNATURE[:8]}" not in dumped, gap


def test_a_private_key_is_masked_with_its_body(run: Callable[..., RunResult]) -> None:
    body = "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
    rows = [{"text": f"key:\n-----BEGIN RSA PRIVATE KEY-----\n{body}\n{body[::-1]}\n-----END RSA PRIVATE KEY-----\nthanks"}]
    check = one(run, "pretraining", "  compliance:\n    - type: secrets\n", rows)
    assert check.samples[0].excerpt == "key:\n-----<Private Key>\nthanks"


def test_templated_and_placeholder_credentials_are_not_secrets(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "connect with postgresql://admin:<password>@db:5432/app"},
            {"text": "curl https://user:$DB_PASS@host/api"},
            {"text": "already hidden: https://user:********@host/api"},
            {"text": "the form is mysql://username:password@localhost/db"},
            {"text": "live one: https://deploy:hunter2pass@db.example.com/main"}]
    check = one(run, "pretraining", "  compliance:\n    - type: secrets\n", rows)
    assert check.details["by_reason"] == {"Basic Auth Credentials": 1} and check.samples[0].line == 5


def test_an_unquoted_aws_secret_access_key_is_found_and_never_shown(run: Callable[..., RunResult]) -> None:
    """detect-secrets finds the 40-character secret only in quotes; a shell export or an unquoted config line
    beside the key id printed it in clear when the row was flagged for its AKIA id."""
    secret = "Zq8vR3mN1pLx7TyW2bK9sD4fH6jG0cVaE5uQiOtY"
    rows = [{"text": f"export AWS_SECRET_ACCESS_KEY={secret} and AKIAJ7Q3LZ2XR5VWKM3A"},
            {"text": f"aws_secret_access_key = {secret}"}, {"text": "an ordinary line about aws keys = forty"}]
    result = run(contract_text("pretraining", "  compliance:\n    - type: secrets\n"), rows)
    assert result.checks[0].findings == 2
    assert secret not in result.model_dump_json() and secret not in render_html(result)


def test_a_masked_sample_keeps_its_mark(run: Callable[..., RunResult]) -> None:
    """Masking rewrites an excerpt; the span that marked the finding moves with it instead of being dropped
    (a run with a secrets check lost every highlight it had cut or masked)."""
    key = "AKIAJ7Q3LZ2XR5VWKM3A"
    rows = [{"text": "x" * 400 + f" trailing   spaces and {key} " + "y" * 400}]
    result = run(contract_text("pretraining", "  format:\n    - type: whitespace\n  compliance:\n    - type: secrets\n"),
                 rows)
    whitespace, secrets = result.checks
    assert key not in result.model_dump_json()
    for sample in whitespace.samples + secrets.samples:
        assert sample.span is not None, sample
        start, end = sample.span
        marked = sample.excerpt[start:end]
        assert marked in ("   ", " ", "<AWS Access Key>") or marked.isspace(), (sample.reason, marked)
