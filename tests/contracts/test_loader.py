from __future__ import annotations

from pathlib import Path

import pytest

from traingate.contracts import load_contract, parse_contract, registry
from traingate.contracts.checks import ChatStructureCheck
from traingate.errors import ContractError, ContractErrors, NotImplementedCheckError

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
