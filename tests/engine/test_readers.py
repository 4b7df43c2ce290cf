from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from traingate.data.chunk import Chunk
from traingate.data.jsonl_reader import read_jsonl
from traingate.data.readers import open_raw, read_source
from traingate.data.sources import resolve, resolve_all
from traingate.engine.column_types import ColumnTypes
from traingate.errors import SourceError

ROWS = [{"prompt": f"question {i}", "response": f"answer {i}", "n": i} for i in range(5)]


def read_all(path: Path | str, columns: set[str] | None = None) -> list[Chunk]:
    (source,) = resolve([str(path)], None, None)
    with open_raw(source) as raw:
        return list(read_source(source, columns, raw))


def rows_and_faults(chunks: list[Chunk]) -> tuple[list[dict[str, object]], list[int], list[tuple[int, str]]]:
    rows = [r for c in chunks for r in c.table.to_pylist()]
    lines = [int(x) for c in chunks for x in c.lines]
    faults = [(f.line, f.kind) for c in chunks for f in c.faults]
    return rows, lines, faults


def test_jsonl_bad_lines_are_faults_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"prompt": "a", "response": "b"}\n'
                     b'{"prompt": "broken\n'
                     b'{"prompt": "\xff\xfe", "response": "c"}\n'
                     b'\n'
                     b'[1, 2]\n'
                     b'{"prompt": 7, "response": "d"}\n'
                     b'{"prompt": "e", "response": "f"}\n')
    rows, lines, faults = rows_and_faults(read_all(path))
    assert faults == [(2, "invalid_json"), (3, "invalid_utf8"), (5, "not_an_object"), (6, "type_mismatch")]
    assert lines == [1, 6, 7]
    assert rows == [{"prompt": "a", "response": "b"}, {"prompt": None, "response": "d"},
                    {"prompt": "e", "response": "f"}]


def test_jsonl_fast_path_keeps_line_numbers_and_projects(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    chunks = read_all(path, {"prompt"})
    rows, lines, faults = rows_and_faults(chunks)
    assert rows == [{"prompt": r["prompt"]} for r in ROWS] and lines == [1, 2, 3, 4, 5] and faults == []


def test_blank_lines_do_not_shift_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": "x"}\n\n  \n{"a": "y"}\n{"a": "z"}')
    _, lines, _ = rows_and_faults(read_all(path))
    assert lines == [1, 4, 5]


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_compressed_jsonl(tmp_path: Path, suffix: str) -> None:
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    path = tmp_path / f"d{suffix}"
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        with pa.CompressedOutputStream(str(path), "zstd") as out:
            out.write(data)
    rows, _, _ = rows_and_faults(read_all(path))
    assert rows == ROWS


def test_json_array_reports_items(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps([ROWS[0], "not an object", ROWS[1]]))
    chunks = read_all(path)
    rows, lines, faults = rows_and_faults(chunks)
    # All on one line: a line number would not tell items apart, so they are counted as items.
    assert rows == ROWS[:2] and lines == [1, 3] and faults == [(2, "not_an_object")]
    assert {c.unit for c in chunks} == {"item"} and {f.unit for c in chunks for f in c.faults} == {"item"}


def test_pretty_printed_json_array_gives_the_line_each_item_starts_on(tmp_path: Path) -> None:
    items: list[object] = [{"conversations": [{"from": "human", "value": f"q{i} [x] {{y}}, \"z\""},
                                              {"from": "gpt", "value": "a\nb"}], "id": i} for i in range(5)]
    items.insert(3, "not an object")
    parts, starts, line = [], [], 2  # the opening bracket is alone on line 1
    for item in items:
        text = json.dumps(item, indent=2)
        parts.append("  " + text.replace("\n", "\n  "))
        starts.append(line)
        line += text.count("\n") + 1
    path = tmp_path / "d.json"
    path.write_text("[\n" + ",\n".join(parts) + "\n]\n")
    chunks = read_all(path)
    rows, lines, faults = rows_and_faults(chunks)
    assert rows == [i for i in items if isinstance(i, dict)] and {c.unit for c in chunks} == {"line"}
    assert lines == starts[:3] + starts[4:] and faults == [(starts[3], "not_an_object")]
    assert path.read_text().splitlines()[lines[3] - 1] == "  {"  # item 5 (id 3) starts there


@pytest.mark.parametrize("item", ['{"prompt": "a \\ud800 b"}', '{"score": NaN, "prompt": "a \\ud800 b"}'])
def test_json_array_rejects_what_a_jsonl_line_may_not_hold(tmp_path: Path, item: str) -> None:
    """A lone surrogate is not JSON the JSONL reader accepts (nor, beside a NaN, its standard-library
    fallback): an array holding one is invalid as before, not left to crash the run on a string Arrow
    cannot encode."""
    (tmp_path / "d.jsonl").write_text(item + "\n")
    assert [f.kind for c in read_all(tmp_path / "d.jsonl") for f in c.faults] == ["invalid_json"]
    for text in (f"[\n{item}\n]\n", f'[{{"prompt": "x"}}, {item}]'):
        (tmp_path / "d.json").write_text(text)
        with pytest.raises(SourceError, match="not valid JSON"):
            read_all(tmp_path / "d.json")


def test_json_array_with_a_trailing_comma_is_invalid_and_nan_is_read_as_in_jsonl(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text('[\n{"prompt": "x"},\n]\n')
    with pytest.raises(SourceError, match="not valid JSON"):
        read_all(tmp_path / "d.json")
    (tmp_path / "d.json").write_text('[\n{"prompt": "x", "score": NaN},\n{"prompt": "y", "score": 1.5}\n]\n')
    (tmp_path / "d.jsonl").write_text('{"prompt": "x", "score": NaN, "n": 123456789012345678901234567890}\n')
    assert rows_and_faults(read_all(tmp_path / "d.jsonl"))[0][0]["n"] == 1.2345678901234568e29  # as without NaN
    (tmp_path / "d.jsonl").write_text('{"prompt": "x", "score": NaN}\n{"prompt": "y", "score": 1.5}\n')
    array, lines = (rows_and_faults(read_all(tmp_path / name)) for name in ("d.json", "d.jsonl"))
    assert str(array[0]) == str(lines[0]) and array[1] == [2, 3] and lines[1] == [1, 2]


def test_json_file_holding_lines_is_read_as_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    assert rows_and_faults(read_all(path))[0] == ROWS


def test_parquet_csv_arrow_and_saved_dataset(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(ROWS)
    pq.write_table(table, tmp_path / "d.parquet")
    pcsv.write_csv(table, tmp_path / "d.csv")
    with ipc.new_file(str(tmp_path / "d.arrow"), table.schema) as w:
        w.write_table(table)
    saved = tmp_path / "saved"
    saved.mkdir()
    with ipc.new_stream(str(saved / "data-00000-of-00001.arrow"), table.schema) as w:
        w.write_table(table)
    (saved / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    (saved / "dataset_info.json").write_text("{}")
    assert rows_and_faults(read_all(tmp_path / "d.parquet"))[0] == ROWS
    assert rows_and_faults(read_all(tmp_path / "d.arrow"))[0] == ROWS
    csv_rows, csv_lines, _ = rows_and_faults(read_all(tmp_path / "d.csv"))
    assert csv_rows[0] == {"prompt": "question 0", "response": "answer 0", "n": "0"} and csv_lines[:2] == [2, 3]
    (source,) = resolve([str(saved)], None, None)
    with open_raw(source) as raw:
        assert [r for c in read_source(source, None, raw) for r in c.table.to_pylist()] == ROWS


def test_csv_bad_row_is_a_fault(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("prompt,response\na,b\nc,d,e\nf,g\n")
    rows, lines, faults = rows_and_faults(read_all(path))
    assert rows == [{"prompt": "a", "response": "b"}, {"prompt": "f", "response": "g"}] and lines == [2, 4]
    assert faults == [(3, "bad_csv_row")]


def test_directories_globs_and_splits(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.jsonl", "sub/b.jsonl.gz", "notes.txt", "README.md"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(SourceError, match=r"notes\.txt: .*cannot read it.*--exclude"):
        resolve([str(tmp_path)], None, None)
    files, skipped = resolve_all([str(tmp_path)], None, None, ("*.txt",))
    assert [Path(f.path).name for f in files] == ["a.jsonl", "b.jsonl.gz"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [("README.md", "a dataset card"),
                                                                ("notes.txt", "excluded by '*.txt'")]
    assert [f.split for f in resolve([f"train={tmp_path}/*.jsonl"], None, None)] == ["train"]
    assert [f.split for f in resolve([], {"test": ["a.jsonl"]}, str(tmp_path))] == ["test"]
    with pytest.raises(SourceError, match="no such file"):
        resolve([str(tmp_path / "missing.jsonl")], None, None)
    with pytest.raises(SourceError, match="unknown data format"):
        resolve([str(tmp_path / "notes.txt")], None, None)


def test_second_look_reads_only_the_blocks_holding_wanted_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data import jsonl_reader, lookup
    from traingate.data.lookup import LINE_BITS, fetch_rows
    from traingate.data.sources import resolve
    from traingate.engine.shard_reader import read_shard
    from traingate.engine.shards import Shard

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 2048)
    lines = [json.dumps({"text": f"row {i}", "n": i}) for i in range(600)]
    lines[250], lines[251], lines[400] = "{broken", "", '{"text": "nan", "n": NaN}'  # slow and NaN blocks
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n")
    (source,) = resolve([str(path)], None, None)
    with open(path, "rb") as raw:
        spans = [c.span for c in read_shard(source, Shard(0), None, raw)]
    assert len(spans) == 9 and all(s is not None for s in spans)
    wanted = {(0 << LINE_BITS) | line for line in (1, 251, 252, 401, 600)}  # row ids of file 0
    parsed: list[int] = []
    real = lookup.parse_block
    monkeypatch.setattr(lookup, "parse_block", lambda block, first, *a: parsed.append(first) or real(block, first, *a))
    indexed = fetch_rows([source], None, wanted, {0: [s for s in spans if s is not None]})
    plain = fetch_rows([source], None, wanted)  # reading from the start (NaN != NaN, so compare as JSON)
    assert json.dumps(sorted(indexed.items())) == json.dumps(sorted(plain.items()))
    assert sorted(indexed) == [1, 401, 600] and indexed[401]["text"] == "nan"  # line 251 is broken, 252 blank
    assert len(parsed) == 1 and parsed[0] <= 251  # of the blocks holding lines 1, 251-252, 401 and 600 (not all 9),
    # only the one read line by line is parsed again: the others' wanted lines are read alone (data/lookup.py)


def test_csv_unclosed_quote_is_one_bad_record_and_the_rows_after_it_are_read(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('prompt,response\n"a,b\nc,d\n"e",f\n')  # the quote at line 2 closes at line 4, then text
    rows, lines, faults = rows_and_faults(read_all(path))
    assert rows == [{"prompt": "c", "response": "d"}, {"prompt": "e", "response": "f"}] and lines == [3, 4]
    assert faults == [(2, "bad_csv_row")]


def test_csv_values_with_newlines_across_block_edges_keep_the_line_they_start_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("traingate.data.jsonl_reader.BLOCK_BYTES", 64)
    monkeypatch.setattr("traingate.data.csv_reader.BLOCK_BYTES", 64)
    path = tmp_path / "d.csv"
    path.write_text("prompt,response\n" + "".join(f'q{i},"line one\nline ""two"" {i}"\n' for i in range(20)))
    rows, lines, faults = rows_and_faults(read_all(path))
    assert faults == [] and lines == list(range(2, 42, 2))
    assert rows[7] == {"prompt": "q7", "response": 'line one\nline "two" 7'}


def test_a_line_past_the_limit_is_one_fault_and_reading_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINGATE_MAX_LINE_BYTES", "1000")
    monkeypatch.setattr("traingate.data.jsonl_reader.BLOCK_BYTES", 300)
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"prompt": "a"}\n{"prompt": "' + b"x" * 5000 + b'"}\n{"prompt": "b"}\n' + b"y" * 3000)
    rows, lines, faults = rows_and_faults(read_all(path))
    assert rows == [{"prompt": "a"}, {"prompt": "b"}] and lines == [1, 3]
    assert faults == [(2, "line_too_long"), (4, "line_too_long")]


class Trickle:
    """A stream that gives at most 16 KiB a read, as a decompressor or a network stream may."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, n: int = -1) -> bytes:
        piece = self.data[self.at: self.at + min(n if n >= 0 else len(self.data), 16 << 10)]
        self.at += len(piece)
        return piece


def test_a_line_without_newlines_is_read_in_linear_time(tmp_path: Path) -> None:
    """32 MiB without a newline, 16 KiB a read: each byte is searched once (the former reader searched and
    copied the whole growing line at every read: about 32 GiB of copies here, many seconds)."""
    (tmp_path / "d.jsonl").write_bytes(b"")
    (source,) = resolve([str(tmp_path / "d.jsonl")], None, None)
    start = time.perf_counter()
    faults = [f.kind for chunk in read_jsonl(Trickle(b"x" * (32 << 20)), source, None) for f in chunk.faults]
    assert faults == ["invalid_json"] and time.perf_counter() - start < 3


def test_column_types_of_parts_merge_to_the_judgement_of_one_pass() -> None:
    def part(file_index: int, kinds: list[object]) -> ColumnTypes:
        types = ColumnTypes()
        table = pa.table({"prompt": pa.array(kinds)})
        types.judge(table, np.arange(1, len(kinds) + 1), file_index, [])
        return types

    whole = ColumnTypes()
    for index, values in enumerate((["a", "b"], [1, 2, 3], ["c"])):
        whole.judge(pa.table({"prompt": pa.array(values)}), np.arange(1, len(values) + 1), index, [])
    merged = part(2, ["c"]).merge(part(1, [1, 2, 3])).merge(part(0, ["a", "b"]))
    expected = [(1, 3, [("f1", line) for line in (1, 2, 3)])]
    for types in (whole, merged):
        found = [(i, n, [(f.file, f.line) for f in sample]) for i, n, sample in types.faults(["f0", "f1", "f2"])]
        assert found == expected


def _csv_reference(text: str) -> tuple[list[list[str]], list[int]]:
    """Python's csv module over the whole text: each non-blank record and the line it starts on."""
    import csv
    import io

    reader, rows, starts, end = csv.reader(io.StringIO(text, newline=""), strict=True), [], [], 0
    for values in reader:
        if values:
            rows.append(values)
            starts.append(end + 1)
        end = reader.line_num
    return rows, starts


@pytest.mark.parametrize("block", [97, 4096, 8 << 20])
def test_csv_fast_path_gives_the_rows_and_lines_of_the_strict_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   block: int) -> None:
    import csv

    monkeypatch.setattr("traingate.data.csv_reader.BLOCK_BYTES", block)
    monkeypatch.setattr("traingate.data.csv_reader.MIN_WINDOW", min(block, 64 << 10))
    monkeypatch.setattr("traingate.data.csv_reader.MIN_STRICT", 64)
    values = ["plain", "", '"a, b"', '"two\nlines"', '"crlf\r\ninside"', '"say ""hi"""', '""', "naïve"]
    tall = '5" tall'  # a quote inside an unquoted value: the strict parser reads it
    body = "".join(f"{i},{values[i % 8]},{tall if i % 100 == 50 else values[(i * 7) % 8]}\r\n"
                   + ("\r\n" if i % 13 == 0 else "") for i in range(600))
    text = "\ufeffid,a,b\r\n" + body
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    strict_records: list[list[str]] = []
    real = csv.reader

    def counted(*args: object, **kwargs: object) -> Iterator[list[str]]:
        for values in real(*args, **kwargs):  # type: ignore[call-overload]
            strict_records.append(values)
            yield values

    monkeypatch.setattr(csv, "reader", counted)
    rows, lines, faults = rows_and_faults(read_all(path))
    monkeypatch.undo()
    (header, *expected), starts = _csv_reference(text)
    assert faults == [] and header == ["\ufeffid", "a", "b"]
    assert [list(r.values()) for r in rows] == expected and lines == starts[1:]
    assert len(strict_records) < 0.2 * len(expected)  # the header and records near 5" tall; pyarrow reads the rest


def test_csv_line_with_bad_bytes_in_a_quoted_value_is_never_read_as_a_row(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b'prompt\n"one\ntw\xffo"\nok\n')
    rows, lines, faults = rows_and_faults(read_all(path))
    assert rows == [{"prompt": "ok"}] and lines == [4]
    assert faults == [(2, "invalid_utf8"), (3, "invalid_utf8")]


def test_two_records_on_a_line_and_one_over_two_lines_fail_the_gate_whatever_the_lines_around(tmp_path: Path) -> None:
    """The line count and the record count of this file agree (a line of two records, a record over two lines,
    a blank line), which once let pyarrow read it whole: five rows numbered after other lines, no unreadable
    record, a gate that passed. Each broken line is an unreadable record at its own line."""
    from tests.conftest import contract_text
    from traingate.contracts import parse_contract
    from traingate.engine.runner import validate

    lines = ['{"prompt": "a", "response": "1"}{"prompt": "b", "response": "2"}', '{"prompt": "c",',
             '"response": "3"}{"prompt": "d", "response": "4"}', '', '{"prompt": "e", "response": "5"}']
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    contract = parse_contract(contract_text("sft", "  quantity:\n    - {type: min_rows, min: 1}\n"), str(tmp_path / "c.yaml"))
    result = validate(contract, [str(tmp_path / "d.jsonl")])
    assert result.dataset.rows == 1 and result.gate.exit_code == 1
    assert [(f.line, f.kind) for f in result.dataset.faults] == [(1, "invalid_json"), (2, "invalid_json"),
                                                                        (3, "invalid_json")]
