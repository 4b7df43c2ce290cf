from __future__ import annotations

import time
from pathlib import Path

import pytest

from traingate.contracts import load_contract, parse_contract, registry
from traingate.errors import ContractError, ContractErrors, NotImplementedCheckError
from traingate.validators.format.chat import ChatStructureCheck

ISSUE_CONTRACT = """\
contract: helpful-chat-sft
version: 1.0.0
description: Multi-turn assistant conversations for supervised fine-tuning.
dataset:
  kind: chat                 # pretraining | sft | preference | reward | chat
  fields:
    messages: conversations  # the column holding the turns
    role: from               # a turn's role key
    content: value           # a turn's text key
  roles: {user: [human, user], assistant: [gpt, assistant], system: [system], tool: [function_call, observation]}
gate:
  fail_on: error
checks:
  format:
    - type: schema
      columns:
        conversations: {dtype: list, required: true}
    - type: chat_structure
      first_role: user
      last_role: assistant
      alternate: true
      max_rate: 0.01
    - type: empty_text
      max_count: 0
    - type: max_tokens
      limit: 8192
      max_rate: 0.02
  quantity:
    - type: min_rows
      min: 100
"""


def error_of(text: str) -> ContractError:
    with pytest.raises(ContractError) as info:
        parse_contract(text, "c.yaml")
    return info.value


def test_issue_contract_loads_with_every_option() -> None:
    contract = parse_contract(ISSUE_CONTRACT, "c.yaml")
    assert contract.contract == "helpful-chat-sft" and contract.version == "1.0.0"
    assert contract.dataset.column("messages") == "conversations"
    assert [c.type for c in contract.all_checks()] == ["schema", "chat_structure", "empty_text", "max_tokens",
                                                       "min_rows"]
    chat = contract.checks["format"][1]
    assert isinstance(chat, ChatStructureCheck) and chat.max_rate == 0.01 and chat.first_role == "user"
    assert contract.dataset.raw_roles()["function_call"] == "tool"


def test_file_hash_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(ISSUE_CONTRACT)
    import hashlib
    assert load_contract(path).sha256 == hashlib.sha256(ISSUE_CONTRACT.encode()).hexdigest()


def test_typo_in_key_names_line_column_and_suggestion() -> None:
    err = error_of(ISSUE_CONTRACT.replace("      max_rate: 0.01", "      max_rat: 0.01"))
    assert str(err) == "c.yaml:22:7: unknown key 'max_rat' in checks.format.1; did you mean 'max_rate'?"


def test_unknown_check_type_suggests_the_closest() -> None:
    err = error_of(ISSUE_CONTRACT.replace("type: empty_text", "type: exact_dupes"))
    assert str(err) == "c.yaml:23:13: unknown check type 'exact_dupes'; did you mean 'exact_duplicates'?"


def test_reserved_check_type_is_a_not_implemented_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every type of this version is implemented; the mechanism stays for types a version reserves.
    monkeypatch.setitem(registry.PLANNED, "toxicity", "alignment")
    text = ISSUE_CONTRACT.replace("  quantity:", "  alignment:\n    - type: toxicity\n  quantity:")
    err = error_of(text)
    assert isinstance(err, NotImplementedCheckError)
    assert "c.yaml:29:13" in str(err) and "not implemented" in str(err)


def test_check_in_the_wrong_group() -> None:
    err = error_of(ISSUE_CONTRACT.replace("    - type: min_rows\n      min: 100", "    - type: empty_text"))
    assert "belongs in group 'format', not 'quantity'" in str(err)


def test_unknown_group_and_nested_key_typo_are_reported_together() -> None:
    text = ISSUE_CONTRACT.replace("  quantity:", "  quantitty:").replace("{dtype: list,", "{dtyp: list,")
    err = error_of(text)
    assert isinstance(err, ContractErrors) and len(err.errors) == 2
    rendered = str(err)
    assert "c.yaml:17:25: unknown key 'dtyp' in checks.format.0.columns.conversations; did you mean 'dtype'?" in rendered
    assert "unknown quality dimension 'quantitty'; did you mean 'quantity'?" in rendered


def test_bad_enum_value_suggests() -> None:
    err = error_of(ISSUE_CONTRACT.replace("kind: chat ", "kind: chatt "))
    assert str(err).startswith("c.yaml:5:9: dataset.kind:") and "did you mean 'chat'?" in str(err)


def test_missing_key_and_bad_version() -> None:
    assert "missing required key 'dataset'" in str(error_of("contract: x\nversion: 1.0.0\n"))
    assert "c.yaml:2:10" in str(error_of(ISSUE_CONTRACT.replace("version: 1.0.0", "version: one")))


def test_two_thresholds_are_rejected() -> None:
    err = error_of(ISSUE_CONTRACT.replace("      max_count: 0", "      max_count: 0\n      max_rate: 0.1"))
    assert "at most one threshold" in str(err) and "c.yaml:23:7" in str(err)


def test_duplicate_key_and_syntax_error_have_locations() -> None:
    assert "c.yaml:3:1: key 'version' appears twice" in str(error_of("contract: x\nversion: 1.0.0\nversion: 2.0.0\n"))
    assert str(error_of("contract: [x\n")).startswith("c.yaml:")


def test_logical_field_unknown_for_kind() -> None:
    err = error_of(ISSUE_CONTRACT.replace("    content: value", "    response: value"))
    assert "kind 'chat' has no logical field 'response'" in str(err)


def _regex_contract(checks: str) -> str:
    return f"contract: x\nversion: 1.0.0\ndataset:\n  kind: sft\nchecks:\n{checks}"


@pytest.mark.parametrize(("checks", "where", "fix"), [
    ("  alignment:\n    - type: response_format\n      format: regex\n      pattern: '(a)\\1'\n",
     "c.yaml:9:16: checks.alignment.0.pattern", "no backreferences"),
    ("  alignment:\n    - type: response_format\n      format: json\n      when_prompt_matches: 'x(?=y)'\n",
     "c.yaml:9:28: checks.alignment.0.when_prompt_matches", "no lookahead"),
    ("  compliance:\n    - type: secrets\n      extra_patterns: {mine: 'key(?!s)'}\n",
     "c.yaml:8:30: checks.compliance.0.extra_patterns.mine", "no negative lookahead"),
    ("  compliance:\n    - type: blocklist\n      patterns: ['ok', '(?<=x)y']\n",
     "c.yaml:8:24: checks.compliance.0.patterns.1", "no lookbehind"),
    ("  format:\n    - type: placeholders\n      patterns: ['(?>a+)b']\n",
     "c.yaml:8:18: checks.format.0.patterns.0", "no atomic groups"),
    ("  format:\n    - type: schema\n      columns:\n        id: {regex: 'row-\\d+\\Z'}\n",
     "c.yaml:9:21: checks.format.0.columns.id.regex", "\\z"),
    ("  compliance:\n    - type: pii\n      allow: [x, {regex: 'a++'}]\n",
     "c.yaml:8:26: checks.compliance.0.allow.1.regex", "possessive"),
])
def test_regex_that_re2_cannot_take_is_refused_at_its_location(checks: str, where: str, fix: str) -> None:
    """Checks match on RE2 (linear time): a pattern it cannot run is refused when the contract loads."""
    err = error_of(_regex_contract(checks))
    assert str(err).startswith(f"{where}: RE2 cannot take the regex"), str(err)
    assert fix in str(err)


def test_re2_patterns_load() -> None:
    contract = parse_contract(_regex_contract(
        "  compliance:\n    - type: secrets\n      extra_patterns: {mine: 'tok_[a-z]{8}'}\n"
        "    - type: blocklist\n      patterns: ['(?i)internal\\.corp']\n"), "c.yaml")
    assert [c.type for c in contract.all_checks()] == ["secrets", "blocklist"]


def _alias_bomb(levels: int) -> str:
    lines = ["contract: x", "version: 1.0.0", "dataset: {kind: sft}", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_the_alias_fast() -> None:
    """Six levels of nine aliases expand to 9**5 * 10 (590,490) nodes, small enough that a loader without the bound
    fails this test instead of the machine: refused at the alias that passes the bound (tests/hostile has 10**12)."""
    start = time.perf_counter()
    err = error_of(_alias_bomb(6))
    assert time.perf_counter() - start < 1.0
    # aliases add 9 * 10 (a1), 9 * 91 (a2), 9 * 820 (a3): 8,289; the first of a4 adds 7,381 and passes 10,000
    assert str(err).startswith("c.yaml:8:10: YAML aliases expand the contract past 10,000 nodes at alias *a3"), str(err)


def test_alias_within_the_bound_loads_and_alias_inside_itself_is_refused() -> None:
    text = _regex_contract("  quantity:\n    - &q {type: min_rows, min: 1}\n    - *q\n")
    assert len(parse_contract(text, "c.yaml").checks["quantity"]) == 2
    assert str(error_of("contract: x\nversion: 1.0.0\nloop: &l [*l]\n")).startswith("c.yaml:3:11: alias *l stands inside")


def test_deep_nesting_is_refused_with_location() -> None:
    err = error_of("contract: x\nversion: 1.0.0\ndeep: " + "[" * 5000 + "]" * 5000 + "\n")
    assert str(err).startswith("c.yaml:3:70: the contract nests more than 64 levels deep"), str(err)


def test_contract_past_the_size_limit_is_refused_reading_at_most_limit_plus_one(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"contract: x\n" + b"#" * (1 << 20) + b"\n")
    err = error_of_file(big)
    assert str(err).startswith(f"{big}:1:1: the contract is larger than 1 MiB")  # /dev/zero: tests/hostile, in a subprocess


def error_of_file(path: Path) -> ContractError:
    with pytest.raises(ContractError) as info:
        load_contract(path)
    return info.value
