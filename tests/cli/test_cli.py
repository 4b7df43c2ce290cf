from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from traingate.cli.app import app

runner = CliRunner()
CHAT = ROOT / "examples" / "chat"


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


CONTRACT = """\
contract: broken-input
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - type: schema
      columns:
        prompt: {dtype: string}
        response: {dtype: string}
    - type: empty_text
"""


def test_broken_jsonl_is_fully_validated_with_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CONTRACT)
    data = tmp_path / "d.jsonl"
    data.write_bytes(b'{"prompt": "p1", "response": "r1"}\n'
                     b'{"prompt": "p2", "response": \n'
                     b'{"prompt": "p3 \xe9t\xe9", "response": "r3"}\n'
                     b'{"prompt": "p4"}\n'
                     b'{"prompt": "p5", "response": "r5"}\n')
    out_json = tmp_path / "run.json"
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(data), "--json", str(out_json),
                          "--report", str(tmp_path / "r.html"), "--junit", str(tmp_path / "r.xml"))
    assert code == 1, output
    run = json.loads(out_json.read_text())
    assert run["dataset"]["rows"] == 3 and run["dataset"]["bad_records"] == 2
    assert [(f["line"], f["kind"]) for f in run["dataset"]["faults"]] == [(2, "invalid_json"), (3, "invalid_utf8")]
    schema = run["checks"][0]
    assert schema["details"]["by_reason"] == {"null:response": 1}
    assert [(s["line"], s["reason"]) for s in schema["samples"]] == [(4, "null:response")]
    assert run["checks"][1]["samples"][0]["line"] == 4
    assert "d.jsonl:2 [invalid_json]" in output and "d.jsonl:3 [invalid_utf8]" in output
    html = (tmp_path / "r.html").read_text()
    assert "invalid_utf8" in html and "null:response" in html


def test_exit_code_table(tmp_path: Path) -> None:
    good = str(CHAT / "data.jsonl")
    strict = tmp_path / "strict.yaml"
    strict.write_text((CHAT / "contract.yaml").read_text().replace("min: 10", "min: 1000"))
    typo = tmp_path / "typo.yaml"
    typo.write_text((CHAT / "contract.yaml").read_text().replace("max_rate: 0.01", "max_rat: 0.01"))
    cases = [
        (("validate", str(CHAT / "contract.yaml"), good), 0),
        (("validate", str(CHAT / "contract.yaml"), good, "--fail-on", "warn"), 1),
        (("validate", str(strict), good), 1),
        (("validate", str(typo), good), 3),
        (("validate", str(CHAT / "contract.yaml"), str(tmp_path / "nope.jsonl")), 3),
        (("validate", str(CHAT / "contract.yaml"), good, "--limit", "0"), 2),
        (("validate",), 2),
        (("lint", str(CHAT / "contract.yaml")), 0),
        (("lint", str(typo)), 3),
    ]
    assert [invoke(*args)[0] for args, _ in cases] == [code for _, code in cases]


def test_typo_message_names_place_and_fix(tmp_path: Path) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text((CHAT / "contract.yaml").read_text().replace("max_rate: 0.01", "max_rat: 0.01"))
    code, output = invoke("lint", str(typo))
    assert code == 3
    assert f"{typo}:" in output and "unknown key 'max_rat'" in output and "did you mean 'max_rate'?" in output


def test_limit_reads_only_the_first_rows(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    invoke("validate", str(CHAT / "contract.yaml"), str(CHAT / "data.jsonl"), "--limit", "3", "--json", str(out))
    run = json.loads(out.read_text())
    assert run["dataset"]["rows"] == 3 and run["dataset"]["limited_to"] == 3


def test_checks_and_schema_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.contracts import registry

    monkeypatch.setitem(registry.PLANNED, "toxicity", "alignment")
    code, output = invoke("checks")
    assert code == 0 and "format.chat_structure:" in output and "alignment.toxicity: (not implemented" in output
    assert "relevance.scorer:" in output and "consistency.agreement:" in output
    code, _ = invoke("schema", "-o", str(tmp_path / "s.json"))
    schema = json.loads((tmp_path / "s.json").read_text())
    assert code == 0 and "format" in schema["properties"]["checks"]["properties"]


@pytest.mark.parametrize("kind", ["chat", "sft", "pretraining", "preference", "reward"])
def test_examples_match_the_published_json_schema(kind: str, tmp_path: Path) -> None:
    import jsonschema
    import yaml
    invoke("schema", "-o", str(tmp_path / "s.json"))
    schema = json.loads((tmp_path / "s.json").read_text())
    jsonschema.validate(yaml.safe_load((ROOT / "examples" / kind / "contract.yaml").read_text()), schema)
    bad = yaml.safe_load((ROOT / "examples" / kind / "contract.yaml").read_text())
    bad["checks"]["format"][0]["typo_key"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.parametrize("kind", ["chat", "sft", "pretraining", "preference", "reward"])
def test_every_example_passes_its_contract(kind: str) -> None:
    data = next(p for p in (ROOT / "examples" / kind).iterdir() if p.name.startswith("data."))
    code, output = invoke("validate", str(ROOT / "examples" / kind / "contract.yaml"), str(data))
    assert code == 0, output


def test_evidence_lists_every_finding_without_values(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("contract: p\nversion: 1.0.0\ndataset:\n  kind: pretraining\nchecks:\n"
                                     "  compliance:\n    - type: pii\n      recognizers: patterns\n")
    (tmp_path / "d.jsonl").write_text('{"text": "mail ann@acme.com or bo@acme.com"}\n{"text": "nothing"}\n')
    code, _ = invoke("validate", str(tmp_path / "c.yaml"), str(tmp_path / "d.jsonl"),
                     "--evidence", str(tmp_path / "e.jsonl"))
    lines = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert code == 1 and [(e["check"], e["line"], e["entity"], e["start"], e["end"]) for e in lines] == [
        ("compliance.pii", 1, "EMAIL_ADDRESS", 5, 17), ("compliance.pii", 1, "EMAIL_ADDRESS", 21, 32)]
    assert "acme" not in (tmp_path / "e.jsonl").read_text()


def test_schema_run_publishes_the_run_result_schema_that_a_saved_run_meets(tmp_path: Path) -> None:
    import jsonschema

    (tmp_path / "c.yaml").write_text(CONTRACT)
    (tmp_path / "d.jsonl").write_text('{"prompt": "q", "response": "a"}\n')
    invoke("validate", str(tmp_path / "c.yaml"), str(tmp_path / "d.jsonl"), "--json", str(tmp_path / "r.json"))
    code, output = invoke("schema", "--run")
    schema = json.loads(output)
    assert code == 0 and schema["$id"].startswith("traingate-run")
    jsonschema.validate(json.loads((tmp_path / "r.json").read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"checks": "none"}, schema)


def test_emoji_codes_are_printed_as_written(tmp_path: Path) -> None:
    """rich would turn `:fire:` in a contract's name or a dataset's text into a picture: the output must say
    what the contract and the data say."""
    contract = tmp_path / "c.yaml"
    contract.write_text('contract: "gate :fire: one"\nversion: 1.0.0\ndataset:\n  kind: sft\nchecks:\n  format:\n'
                        "    - {type: whitespace, max_rate: 0.0}\n")
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"prompt": "Say :fire:  twice  ", "response": "ok :smile:"}) + "\n")
    code, output = invoke("lint", str(contract))
    assert code == 0 and "gate :fire: one" in output and "\N{FIRE}" not in output
    code, output = invoke("validate", str(contract), str(data))
    assert code == 1 and ":fire:" in output and "\N{FIRE}" not in output
