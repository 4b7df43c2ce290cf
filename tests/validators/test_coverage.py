from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from tests.conftest import contract_text
from tests.validators.test_relevance import CHAT
from traingate.errors import ContractError
from traingate.results import RunResult

RESPONSES = ['{"a": 1}', '{"a": 2}', "```python\nprint(1)\n```", "# Title\n- item", "plain words here",
             "plain again", "{broken json", "more plain text"]  # json 2, code 1, markdown 1, plain 3, invalid_json 1


def rows() -> list[dict[str, str]]:
    return [{"prompt": f"task {i}", "response": r, "topic": "qa" if i < 6 else "math"} for i, r in enumerate(RESPONSES)]


def coverage(run: Callable[..., RunResult], checks: str) -> dict[str, object]:
    (check,) = run(contract_text("sft", f"  coverage:\n{checks}"), rows()).checks
    return {"status": check.status, **check.details}


def test_distribution_targets_required_and_divergence(run: Callable[..., RunResult]) -> None:
    d = coverage(run, "    - type: distribution\n      feature: output_format\n"
                      "      targets: {json: {min: 0.3}, plain: {max: 0.5}}\n      required: [html]\n"
                      "      mix: {plain: 2, json: 1, code: 1}\n      max_divergence: 0.2\n")
    assert d["counts"] == {"plain": 3, "json": 2, "code": 1, "markdown": 1, "invalid_json": 1}
    # shares 3/8 2/8 1/8 1/8 1/8 against mix 1/2 1/4 1/4 0 0: TVD = (1/8 + 0 + 1/8 + 1/8 + 1/8) / 2 = 0.25
    assert d["divergence"] == pytest.approx(0.25)
    assert d["violations"] == ["value 'html' never occurs (required)", "'json' at 25.0%, outside [30%, 100%]",
                               "total variation distance 0.250 from the mix > 0.2"]
    assert d["status"] == "failed"


def test_distribution_over_a_column(run: Callable[..., RunResult]) -> None:
    d = coverage(run, "    - type: distribution\n      feature: topic\n      targets: {qa: {min: 0.7, max: 0.8}}\n")
    assert d["counts"] == {"qa": 6, "math": 2} and d["status"] == "passed"


def test_diversity_entropy_and_distinct_n(run: Callable[..., RunResult]) -> None:
    d = coverage(run, "    - type: diversity\n      feature: topic\n      min_entropy: 0.9\n"
                      "      min_distinct_1: 0.1\n      min_distinct_2: 0.1\n")
    p = [6 / 8, 2 / 8]
    assert d["normalised_entropy"] == pytest.approx(-sum(x * math.log(x) for x in p) / math.log(2))  # 0.811
    assert d["violations"] == [f"normalised_entropy {d['normalised_entropy']:.3g} < 0.9"]
    # distinct-n over prompt + response per row, lower case, counted by plain Python:
    words = [f"task {i} {r}".lower().split() for i, r in enumerate(RESPONSES)]
    uni = [w for ws in words for w in ws]
    bi = [tuple(ws[k:k + 2]) for ws in words for k in range(len(ws) - 1)]
    assert d["distinct_1"] == pytest.approx(len(set(uni)) / len(uni))
    assert d["distinct_2"] == pytest.approx(len(set(bi)) / len(bi))


def test_distribution_needs_something_to_check() -> None:
    from traingate.contracts import parse_contract
    with pytest.raises(ContractError, match="needs `targets`, `required` or a `mix`"):
        parse_contract(contract_text("sft", "  coverage:\n    - type: distribution\n      feature: language\n"), "c.yaml")


def test_programming_language_and_typo_rate_features(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "Write code", "response": "```py\nprint(1)\n```"},
            {"prompt": "Write code", "response": "```javascript\nconsole.log(1)\n```"},
            {"prompt": "Write code", "response": "```\nls -la\n```"},
            {"prompt": "The quick brown fox jumps over the lazy dog", "response": "no code"},
            {"prompt": "Teh quik brwn fox jumsp ovr the lazy dog", "response": "no code"}]
    checks = ("  coverage:\n    - type: distribution\n      feature: programming_language\n      required: [Python]\n"
              "    - type: distribution\n      feature: typo_rate\n      targets: {clean: {min: 0.5}}\n")
    languages, typos = run(contract_text("sft", checks), rows).checks
    assert languages.details["counts"] == {"none": 2, "Python": 1, "JavaScript": 1, "unlabelled": 1}
    # "Write code" has no unknown word; the misspelt prompt has 5 of 9 unknown (teh, quik, brwn, jumsp, ovr).
    assert typos.details["counts"] == {"clean": 4, "many_typos": 1} and typos.status == "passed"


def test_divergence_and_entropy_do_not_depend_on_the_order_values_were_merged_in() -> None:
    """Float sums in a different order differ in the last bit (a total variation of 0.2416666666666667
    against 0.24166666666666667; a normalised entropy of 0.8683539292774803 against
    0.8683539292774802 for these counts); the result of a split run must not."""
    import itertools
    from collections import Counter

    from traingate.contracts import parse_contract
    from traingate.validators import build

    text = contract_text("sft", "  coverage:\n    - type: distribution\n      feature: output_format\n"
                                "      mix: {plain: 1}\n      max_divergence: 0.1\n"
                                "    - type: diversity\n      feature: output_format\n      min_entropy: 0.1\n")
    contract = parse_contract(text, "c.yaml")
    counts = {"plain": 33, "code": 16, "invalid_json": 64, "markdown": 98}
    for config, check_id in zip(contract.all_checks(), ("distribution", "diversity")):
        v = build(config, contract.dataset, check_id)
        results = set()
        for order in itertools.permutations(counts):
            state = v.create_state()
            state.rows, state.values = 211, Counter({value: counts[value] for value in order})
            result = v.finalize(state).model_dump()
            results.add(repr((result["details"].get("divergence"), result["details"].get("normalised_entropy"))))
        assert len(results) == 1, results


def test_the_language_feature_counts_as_the_language_check(run: Callable[..., RunResult]) -> None:
    """One computation on one text: a low-confidence row is 'unknown' in both, a row without text 'none'
    (not a blank value), an assistant-only row has the language of its turns."""
    rows = [*CHAT, {"messages": [{"role": "user", "content": "Hmm"}]}, {"messages": []},
            {"messages": [{"role": "user", "content": "Wie spät ist es jetzt in Berlin, bitte?"}]}]
    checks = ("  relevance:\n    - type: language\n      allowed: [en]\n"
              "  coverage:\n    - type: distribution\n      feature: language\n      required: [en]\n")
    language, distribution = run(contract_text("chat", checks), rows).checks
    assert distribution.details["counts"] == language.details["languages"]
    assert distribution.details["counts"] == {"en": 1, "de": 3, "ko": 1, "unknown": 1, "none": 1}
