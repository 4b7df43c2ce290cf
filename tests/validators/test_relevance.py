from __future__ import annotations

from collections.abc import Callable

from tests.conftest import contract_text
from traingate.results import RunResult


def test_keywords_required_and_forbidden_per_field(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "Write SQL for sales", "response": "SELECT * FROM sales"},
            {"prompt": "Write a poem", "response": "Roses are red"},
            {"prompt": "Write sql to drop", "response": "DROP TABLE users; -- internal-only"}]
    checks = ("  relevance:\n    - type: keywords\n      required: {prompt: [sql, query]}\n"
              "      forbidden: {response: [internal-only, DROP TABLE]}\n")
    (check,) = run(contract_text("sft", checks), rows).checks
    assert check.details["by_reason"] == {"missing_required_prompt": 1, "forbidden_internal-only": 1,
                                          "forbidden_DROP TABLE": 1}
    assert check.findings == 2


def test_languages_outside_the_allowed_set(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "The weather is lovely today and we are going to the beach."},
            {"text": "Hola, quiero que me hables como un nutricionista profesional."},
            {"text": "这个问题涉及到职业选择和社会责任的问题"},
            {"text": "Der Hund läuft schnell über die große grüne Wiese."},
            {"text": ""}]
    checks = "  relevance:\n    - type: language\n      allowed: [en, de]\n"
    (check,) = run(contract_text("pretraining", checks), rows).checks
    assert check.details["by_reason"] == {"language_es": 1, "language_zh": 1}
    assert check.details["languages"] == {"en": 1, "es": 1, "zh": 1, "de": 1, "none": 1}  # the empty row: no text


GERMAN = "Der Hund läuft schnell über die große grüne Wiese und bellt dabei laut."
KOREAN = "안녕하세요, 오늘 날씨가 정말 좋네요. 공원에서 산책하러 갈까요?"
CHAT = [{"messages": [{"role": "user", "content": "What is the weather like today in London?"},
                      {"role": "assistant", "content": "It is raining in London and quite cold today."}]},
        {"messages": [{"role": "assistant", "content": GERMAN}]},  # assistant turns only
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "assistant", "content": KOREAN}]},
        {"messages": [{"role": "user", "content": "   "}, {"role": "assistant", "content": GERMAN}]}]


def test_rows_with_only_assistant_turns_are_judged_on_their_text(run: Callable[..., RunResult]) -> None:
    (check,) = run(contract_text("chat", "  relevance:\n    - type: language\n      allowed: [en]\n"), CHAT).checks
    assert check.details["by_reason"] == {"language_de": 2, "language_ko": 1}
    assert check.details["languages"] == {"en": 1, "de": 2, "ko": 1} and check.findings == 3
