"""`filter` over real data: code_alpaca against gpteacher (a file of one copied into the other, and code_alpaca's
rows holding gpteacher's code), gsm8k against MGSM's English questions (250 of gsm8k's test questions). Which
rows must go is worked out here with plain Python (strings, sets, the contamination rule the check documents),
and the files written must hold exactly the others, in order, in their own form."""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_shared_datasets import load
from tests.integration.test_uniqueness_datasets import ngrams, words
from traingate.contracts import parse_contract
from traingate.engine.filter import Filtered, filter_data
from traingate.engine.runner import RunOptions, validate

pytestmark = [pytest.mark.integration, pytest.mark.slow]
Record = dict[str, Any]


def contaminated(texts: list[str], items: list[str], n: int = 13, share: float = 0.5, min_words: int = 5) -> set[int]:
    """The rows holding an eval item, by the rule the check documents: half of a long item's word n-grams in
    the row, or a short item's words in a row (NFKC, lower case, punctuation and symbols as spaces)."""
    rows = [words(t) for t in texts]
    owners: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for i, row in enumerate(rows):
        for gram in ngrams(row, n):
            owners[gram].add(i)
    spaced = [f" {' '.join(r)} " for r in rows]
    hit: set[int] = set()
    for item in map(words, items):
        if len(item) >= n:
            grams, counts = ngrams(item, n), defaultdict(int)
            for gram in grams:
                for i in owners.get(gram, ()):
                    counts[i] += 1
            hit |= {i for i, c in counts.items() if c / len(grams) >= share}
        elif len(item) >= min_words:
            hit |= {i for i, row in enumerate(spaced) if f" {' '.join(item)} " in row}
    return hit


def later_copies(rows: list[Record], fields: tuple[str, ...]) -> set[int]:
    """Rows equal to an earlier one after the check's default normalisation (NFKC, white space collapsed)."""
    seen, out = set(), set()
    for i, row in enumerate(rows):
        key = tuple(" ".join(unicodedata.normalize("NFKC", row.get(f) or "").split()) for f in fields)
        if key in seen:
            out.add(i)
        seen.add(key)
    return out


def run_filter(tmp_path: Path, checks: str, fields: str, data: list[Path]) -> Filtered:
    text = f"contract: f\nversion: 1.0.0\ndataset:\n  kind: sft\n  fields: {fields}\nchecks:\n{checks}"
    contract = parse_contract(text, str(tmp_path / "c.yaml"))
    done = filter_data(contract, [str(d) for d in data], f"{tmp_path}/out/", options=RunOptions(workers=1))
    again = validate(contract, done.outputs)
    assert all(c.findings == 0 for c in again.checks), [(c.id, c.findings) for c in again.checks]
    return done


def test_code_alpaca_and_gpteacher_share_a_file_and_filter_keeps_one_copy(shared: Path, tmp_path: Path) -> None:
    ours, theirs = shared / "code_alpaca" / "new_codealpaca.json.gz", shared / "gpteacher" / "codegen-instruct.json.gz"
    rows = load(ours) + load(theirs)
    dropped = later_copies(rows, ("instruction", "input", "response"))
    done = run_filter(tmp_path, "  uniqueness:\n    - type: exact_duplicates\n",
                      "{prompt: instruction, context: input, response: response}", [ours, theirs])
    assert done.dropped == len(dropped) == 4535 and done.kept == len(rows) - len(dropped) == 4535
    written = [json.loads(gzip.decompress(Path(o).read_bytes())) for o in done.outputs]
    assert written[0] == load(ours) and written[1] == []  # every gpteacher row is a copy of a code_alpaca row


def test_code_alpaca_rows_holding_gpteacher_code_are_dropped(shared: Path, tmp_path: Path) -> None:
    data, codegen = shared / "code_alpaca" / "code_alpaca_2k.json", shared / "gpteacher" / "codegen-instruct.json.gz"
    rows = load(data)
    dropped = contaminated([" ".join([r["input"], r["instruction"], r["output"]]) for r in rows],
                           [r["response"] for r in load(codegen)])
    checks = (f"  uniqueness:\n    - type: contamination\n      against: [{{path: {codegen}, field: response}}]\n"
              "    - type: exact_duplicates\n")
    done = run_filter(tmp_path, checks, "{prompt: instruction, context: input, response: output}", [data])
    assert dropped | later_copies(rows, ("instruction", "input", "output")) == dropped  # no copies within the file
    assert done.dropped == len(dropped) == 50 and done.kept == len(rows) - 50
    assert json.loads(Path(done.outputs[0]).read_text()) == [r for i, r in enumerate(rows) if i not in dropped]


def test_gsm8k_without_the_mgsm_english_questions(shared: Path, tmp_path: Path) -> None:
    questions = [line.split("\t")[0] for line in (shared / "mgsm" / "mgsm_en.tsv").read_text(encoding="utf-8").splitlines()]
    (tmp_path / "mgsm_en.jsonl").write_text("".join(json.dumps({"question": q}) + "\n" for q in questions))
    test, train = shared / "gsm8k" / "test.jsonl", shared / "gsm8k" / "train.jsonl.gz"
    checks = f"  uniqueness:\n    - type: contamination\n      against: [{{path: {tmp_path / 'mgsm_en.jsonl'}}}]\n"
    done = run_filter(tmp_path, checks, "{prompt: question, response: answer}", [test, train])
    expected = [contaminated([r["question"] + " " + r["answer"] for r in load(path)], questions) for path in (test, train)]
    assert len(expected[0]) == 250 and done.dropped == sum(map(len, expected))
    for path, output, hit in zip((test, train), done.outputs, expected):
        lines = (gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()).splitlines(True)
        written = Path(output).read_bytes()
        written = gzip.decompress(written) if output.endswith(".gz") else written
        assert written == b"".join(line for i, line in enumerate(lines) if i not in hit)
