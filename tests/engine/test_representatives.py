"""One row survives each group of duplicates, whichever checks link it: two duplicate checks with different
keep rules, or a duplicate check and split_leakage, once dropped a group whole."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import invoke

TEXT = "the quick brown fox jumps over the lazy dog near the river bank today"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_two_keep_rules_keep_one_row_of_a_group(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("contract: mix\nversion: 1.0.0\ndataset:\n  kind: pretraining\nchecks:\n"
                                     "  uniqueness:\n    - type: exact_duplicates\n"
                                     "    - type: near_duplicates\n      keep: {highest: score}\n")
    rows = [{"text": TEXT, "score": 1}, {"text": TEXT, "score": 9},
            {"text": "something else entirely different words here for a row", "score": 3}]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, output = invoke("filter", str(tmp_path / "c.yaml"), str(tmp_path / "d.jsonl"), "-o", str(tmp_path / "o.jsonl"),
                          "--rejects", str(tmp_path / "r.jsonl"))
    assert code == 0, output
    kept = [json.loads(line) for line in _lines(tmp_path / "o.jsonl")]
    assert [r["text"] for r in kept].count(TEXT) == 1 and len(kept) == 2  # one copy stays: the first check's choice
    assert kept[0]["score"] == 1 and len(_lines(tmp_path / "r.jsonl")) == 1
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(tmp_path / "o.jsonl"))
    assert code == 0, output


def test_a_row_in_both_splits_stays_in_train(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("contract: mix\nversion: 1.0.0\ndataset:\n  kind: pretraining\nchecks:\n"
                                     "  uniqueness:\n    - type: exact_duplicates\n"
                                     "    - type: split_leakage\n      threshold: null\n")
    shared = "shared row lambda mu nu xi three"
    (tmp_path / "te.jsonl").write_text(json.dumps({"text": shared}) + "\n" + json.dumps({"text": "omicron pi rho"}) + "\n")
    (tmp_path / "tr.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in ("alpha beta", "zeta eta", shared)))
    out = tmp_path / "out"
    code, output = invoke("filter", str(tmp_path / "c.yaml"), f"test={tmp_path / 'te.jsonl'}",
                          f"train={tmp_path / 'tr.jsonl'}", "-o", f"{out}/")
    assert code == 0, output
    written = {p.name: [json.loads(line)["text"] for line in _lines(p)] for p in out.rglob("*.jsonl")}
    assert written["te.jsonl"] == ["omicron pi rho"]  # the test copy leaks: dropped
    assert written["tr.jsonl"] == ["alpha beta", "zeta eta", shared]  # the train copy is the group's survivor


def test_clusters_say_which_row_of_a_group_survives(tmp_path: Path) -> None:
    """--clusters holds each check's own choice (`kept`) and the row the joined groups keep (`survives`): the
    row --rejects and filter keep, so an audit applying it elsewhere keeps the same rows."""
    (tmp_path / "c.yaml").write_text("contract: mix\nversion: 1.0.0\ndataset:\n  kind: pretraining\nchecks:\n"
                                     "  uniqueness:\n    - type: exact_duplicates\n"
                                     "    - type: near_duplicates\n      keep: {highest: score}\n")
    rows = [{"text": TEXT, "score": 1}, {"text": TEXT, "score": 9}, {"text": "another row of other words", "score": 3}]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name in ("clusters.jsonl", "clusters.parquet"):
        code, output = invoke("validate", str(tmp_path / "c.yaml"), str(tmp_path / "d.jsonl"),
                              "--clusters", str(tmp_path / name), "--rejects", str(tmp_path / "r.jsonl"))
        assert code == 1, output
    listed = [json.loads(line) for line in _lines(tmp_path / "clusters.jsonl")]
    kept = {(r["check"], r["line"]) for r in listed if r["kept"]}
    assert kept == {("uniqueness.exact_duplicates", 1), ("uniqueness.near_duplicates", 2)}  # the checks disagree
    assert {r["line"] for r in listed if r["survives"]} == {1}  # the group keeps one: the first check's choice
    rejected = {json.loads(line)["line"] for line in _lines(tmp_path / "r.jsonl")}
    assert rejected == {r["line"] for r in listed if not r["survives"]} == {2}
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "clusters.parquet")
    assert table.column("survives").to_pylist() == [r["survives"] for r in listed]
