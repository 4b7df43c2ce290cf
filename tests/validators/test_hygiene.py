from __future__ import annotations

from collections.abc import Callable

from tests.conftest import contract_text
from traingate.results import RunResult

SFT_FIELDS = "  fields: {prompt: instruction, response: output}\n"


def check(result: RunResult, type_: str) -> tuple[str, int, dict[str, int]]:
    (c,) = [c for c in result.checks if c.type == type_]
    return c.status, c.findings, c.details.get("by_reason", {})


def test_empty_text_counts_rows_and_reasons(run: Callable[..., RunResult]) -> None:
    rows = [{"instruction": "q", "output": "a"}, {"instruction": "  \n", "output": "a"},
            {"instruction": "q"}, {"instruction": "", "output": ""}]
    result = run(contract_text("sft", "  format:\n    - type: empty_text\n", SFT_FIELDS), rows)
    assert check(result, "empty_text") == ("failed", 3, {"empty": 2, "missing": 1})


def test_whitespace_reasons(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "clean text"}, {"text": " lead"}, {"text": "a     gap"}, {"text": "a\r\nb"},
            {"text": "a\n\n\n\n\nb"}, {"text": "a\n\n\nb"}]
    result = run(contract_text("pretraining", "  format:\n    - type: whitespace\n"), rows)
    status, findings, reasons = check(result, "whitespace")
    assert (status, findings) == ("failed", 4)
    assert reasons == {"leading_trailing": 1, "space_run": 1, "carriage_return": 1, "blank_lines": 1}


def test_encoding_damage(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "café"}, {"text": "caf\ufffd"}, {"text": "bell\x07"}, {"text": "cafÃ© au lait"},
            {"text": "itâ€™s"}, {"text": "São Paulo"}]
    result = run(contract_text("pretraining", "  format:\n    - type: encoding\n"), rows)
    assert check(result, "encoding") == ("failed", 4, {"control_char": 1, "mojibake": 2, "replacement_char": 1})


def test_special_tokens_placeholders_and_fences(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "<|im_start|>user hi"}, {"text": "[INST] do it [/INST]"}, {"text": "Dear {{ name }},"},
            {"text": "```py\nx = 1\n```"}, {"text": "```py\nx = 1\n"}, {"text": "plain <b>bold</b> {single}"}]
    checks = ("  format:\n    - type: special_tokens\n    - type: placeholders\n    - type: code_fences\n"
              "    - type: special_tokens\n      name: custom\n      tokens: ['<b>']\n")
    result = run(contract_text("pretraining", checks), rows)
    assert check(result, "placeholders")[:2] == ("failed", 1)
    assert check(result, "code_fences")[:2] == ("failed", 1)
    by_id = {c.id: c.findings for c in result.checks}
    assert by_id["format.special_tokens"] == 2 and by_id["custom"] == 1


def test_sample_points_at_file_line_and_span(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "fine"}, {"text": "fine"}, {"text": "leaked <|endoftext|> token"}]
    result = run(contract_text("pretraining", "  format:\n    - type: special_tokens\n"), rows)
    (sample,) = result.checks[0].samples
    assert sample.line == 3 and sample.field == "text" and sample.reason == "special_token"
    assert sample.span is not None
    assert sample.excerpt[sample.span[0]: sample.span[1]] == "<|endoftext|>"


def test_thresholds(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "ok"}] * 8 + [{"text": ""}] * 2
    def status(threshold: str) -> str:
        text = contract_text("pretraining", f"  format:\n    - type: empty_text\n      {threshold}\n")
        return run(text, rows).checks[0].status
    assert status("max_count: 2") == "passed" and status("max_count: 1") == "failed"
    assert status("max_rate: 0.2") == "passed" and status("max_rate: 0.19") == "failed"
    assert status("min_share: 0.8") == "passed" and status("min_share: 0.81") == "failed"
