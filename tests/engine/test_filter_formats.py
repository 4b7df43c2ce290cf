"""`filter` writes the kept rows in their original form, whatever the format: each fixture is built from known
records (some too long, some exact copies of an earlier one, some unreadable), and the output is compared
with what those records say it must be, computed here without traingate."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.engine.filter import Filtered, filter_data
from traingate.engine.runner import RunOptions

Record = dict[str, Any]
LIMIT = 20
CHECKS = f"  format:\n    - type: max_chars\n      limit: {LIMIT}\n      fields: [response]\n" \
         "  uniqueness:\n    - type: exact_duplicates\n"


def records(n: int = 30) -> list[Record]:
    """Rows with a long response every 7th row and an exact copy of row k-5 every 6th row."""
    rows = [{"prompt": f"question {i}", "response": f"answer {i}" + (" is far too long here" if i % 7 == 3 else "")}
            for i in range(n)]
    for i in range(6, n, 6):
        rows[i] = dict(rows[i - 5])
    return rows


def bad(rows: list[Record | None]) -> list[bool]:
    """Which rows a run rejects: unreadable (None), too long, or a copy of an earlier row."""
    seen: set[tuple[str, str]] = set()
    out = []
    for row in rows:
        key = None if row is None else (row["prompt"], row["response"])
        out.append(row is None or len(row["response"]) > LIMIT or key in seen)
        seen |= {key} if key else set()
    return out


def run(tmp_path: Path, data: list[str], out: str = "out/", kind: str = "sft") -> Filtered:
    contract = parse_contract(contract_text(kind, CHECKS), str(tmp_path / "c.yaml"))
    return filter_data(contract, data, f"{tmp_path}/{out}", options=RunOptions(workers=1))


def test_json_lines_are_copied_byte_for_byte_blank_crlf_bom_and_unreadable_lines_too(tmp_path: Path) -> None:
    rows: list[Record | None] = list(records())
    lines = [json.dumps(r).encode() + (b"\r\n" if k % 4 == 1 else b"\n") for k, r in enumerate(rows)]
    lines[0] = b"\xef\xbb\xbf" + lines[0]  # a byte-order mark: json.loads refuses it, and so does the reader
    rows[0] = None
    lines[9], rows[9] = b"{\"prompt\": \"question 9\", \"response\": \n", None  # unreadable
    lines.insert(12, b"   \n")  # blank: not a row, not written
    rows.insert(12, None)
    lines[-1] = lines[-1].rstrip(b"\n")  # no newline at the end
    (tmp_path / "d.jsonl").write_bytes(b"".join(lines))
    with gzip.open(tmp_path / "d2.jsonl.gz", "wb") as packed:  # the same lines asking other questions
        packed.write(b"".join(lines).replace(b"question", b"query"))
    done = run(tmp_path, [str(tmp_path / "d.jsonl"), str(tmp_path / "d2.jsonl.gz")])
    dropped = bad(rows)
    want = b"".join(line for line, gone in zip(lines, dropped) if not gone)
    assert (tmp_path / "out" / "d.jsonl").read_bytes() == want and b"\r\n" in want
    assert gzip.decompress((tmp_path / "out" / "d2.jsonl.gz").read_bytes()) == want.replace(b"question", b"query")
    assert done.kept == 2 * (len(rows) - sum(dropped)) and done.unreadable == 4  # the mark and line 10, twice
    assert done.dropped == 2 * (sum(dropped) - 1)  # the blank line is neither kept nor dropped


def test_csv_records_keep_their_header_and_lines_byte_for_byte(tmp_path: Path) -> None:
    rows = records()
    pieces = [f'{r["prompt"]},"{r["response"]}"\r\n'.encode() for r in rows]
    pieces[4] = b'question 4,"answer 4\nwith a second line"\r\n'
    rows[4] = {"prompt": "question 4", "response": "answer 4\nwith a second line"}  # 29 characters: too long
    pieces[8] = b'question 8,"answer 8\nsplit"\n'
    rows[8] = {"prompt": "question 8", "response": "answer 8\nsplit"}
    pieces[11] = b'question 11,"never closed\n'  # unreadable: its record is one line
    rows_or_none: list[Record | None] = [*rows]
    rows_or_none[11] = None
    header = b"prompt,response\r\n"
    (tmp_path / "d.csv").write_bytes(header + b"".join(pieces))
    done = run(tmp_path, [str(tmp_path / "d.csv")])
    want = header + b"".join(p for p, gone in zip(pieces, bad(rows_or_none)) if not gone)
    assert (tmp_path / "out" / "d.csv").read_bytes() == want
    assert done.unreadable == 1 and done.kept == len(rows) - sum(bad(rows_or_none))


def test_a_csv_file_of_a_header_alone_is_written_as_its_header(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_bytes(b"prompt,response\r\n")
    (tmp_path / "d.csv").write_bytes(b"prompt,response\nquestion 1,answer 1\n")
    done = run(tmp_path, [str(tmp_path / "h.csv"), str(tmp_path / "d.csv")])
    assert (tmp_path / "out" / "h.csv").read_bytes() == b"prompt,response\r\n"
    assert (tmp_path / "out" / "d.csv").read_bytes() == b"prompt,response\nquestion 1,answer 1\n"
    assert done.kept == 1 and done.dropped == 0


def test_tsv_and_a_single_output_file_of_its_format(tmp_path: Path) -> None:
    rows = records()
    lines = [f"{r['prompt']}\t{r['response']}\n".encode() for r in rows]
    (tmp_path / "d.tsv").write_bytes(b"prompt\tresponse\n" + b"".join(lines))
    run(tmp_path, [str(tmp_path / "d.tsv")], out="clean.tsv")
    want = b"prompt\tresponse\n" + b"".join(line for line, gone in zip(lines, bad(list(rows))) if not gone)
    assert (tmp_path / "clean.tsv").read_bytes() == want


@pytest.mark.parametrize("compact", [False, True])
def test_json_arrays_keep_their_items(tmp_path: Path, compact: bool) -> None:
    rows = records()
    items = [json.dumps(r, indent=None if compact else 2) for r in rows]
    text = ("[" + ",".join(items) + "]") if compact else ("[\n" + ",\n".join(items) + "\n]\n")
    (tmp_path / "d.json").write_text(text)
    done = run(tmp_path, [str(tmp_path / "d.json")])
    kept = [r for r, gone in zip(rows, bad(list(rows))) if not gone]
    written = (tmp_path / "out" / "d.json").read_text()
    assert json.loads(written) == kept and done.kept == len(kept)
    if not compact:  # each item's text as it stands
        assert all(json.dumps(r, indent=2) in written for r in kept)


def test_json_lines_named_json_and_arrow_to_one_parquet_file(tmp_path: Path) -> None:
    rows = records()
    (tmp_path / "d.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run(tmp_path, [str(tmp_path / "d.json")])
    kept = [r for r, gone in zip(rows, bad(list(rows))) if not gone]
    assert (tmp_path / "out" / "d.json").read_text() == "".join(json.dumps(r) + "\n" for r in kept)
    with ipc.new_file(str(tmp_path / "d.arrow"), _table(rows).schema) as out:
        out.write_table(_table(rows))
    run(tmp_path, [str(tmp_path / "d.arrow")], out="one.parquet")
    assert pq.read_table(tmp_path / "one.parquet").equals(_table(rows).filter(pa.array([not g for g in bad(list(rows))])))


def _table(rows: list[Record]) -> pa.Table:
    table = pa.Table.from_pylist([{**r, "meta": {"n": i, "tags": [str(i)]}} for i, r in enumerate(rows)])
    return table.replace_schema_metadata({"origin": "fixture"})


def test_parquet_keeps_its_schema_row_group_by_row_group(tmp_path: Path) -> None:
    rows = records(40)
    pq.write_table(_table(rows), tmp_path / "d.parquet", row_group_size=7, compression="zstd")
    done = run(tmp_path, [str(tmp_path / "d.parquet")])
    written = pq.read_table(tmp_path / "out" / "d.parquet")
    want = _table(rows).filter(pa.array([not gone for gone in bad(list(rows))]))
    assert written.equals(want) and written.schema.metadata == want.schema.metadata
    assert pq.ParquetFile(tmp_path / "out" / "d.parquet").metadata.row_group(0).column(0).compression == "ZSTD"
    assert done.kept == want.num_rows < len(rows)


@pytest.mark.parametrize("flavour", ["file", "stream"])
def test_arrow_files_and_streams_stay_what_they_were(tmp_path: Path, flavour: str) -> None:
    rows = records()
    table = _table(rows)
    with (ipc.new_file if flavour == "file" else ipc.new_stream)(str(tmp_path / "d.arrow"), table.schema) as out:
        for batch in table.to_batches(max_chunksize=8):
            out.write_batch(batch)
    run(tmp_path, [str(tmp_path / "d.arrow")])
    data = pa.py_buffer((tmp_path / "out" / "d.arrow").read_bytes())
    written = (ipc.open_file(data) if flavour == "file" else ipc.open_stream(data)).read_all()
    assert written.equals(table.filter(pa.array([not gone for gone in bad(list(rows))])))


def test_a_saved_dataset_folder_is_written_as_parquet(tmp_path: Path) -> None:
    rows = records()
    folder = tmp_path / "saved"
    folder.mkdir()
    with ipc.new_stream(str(folder / "data-00000-of-00001.arrow"), _table(rows).schema) as out:
        out.write_table(_table(rows))
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    (folder / "dataset_info.json").write_text("{}")
    done = run(tmp_path, [str(folder)])
    assert done.outputs == [f"{tmp_path}/out/data-00000-of-00001.parquet"]
    written = pq.read_table(done.outputs[0])
    assert written.equals(_table(rows).filter(pa.array([not gone for gone in bad(list(rows))])))


def test_one_json_lines_file_holds_every_kept_row_in_input_order(tmp_path: Path) -> None:
    rows = records(36)
    parts = [rows[:12], rows[12:24], rows[24:]]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in parts[0]))
    (tmp_path / "b.csv").write_text("prompt,response\n" + "".join(f"{r['prompt']},{r['response']}\n" for r in parts[1]))
    pq.write_table(pa.Table.from_pylist(parts[2]), tmp_path / "c.parquet")
    done = run(tmp_path, [str(tmp_path / name) for name in ("a.jsonl", "b.csv", "c.parquet")], out="all.jsonl")
    written = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert written == [r for r, gone in zip(rows, bad(list(rows))) if not gone] and done.outputs == [f"{tmp_path}/all.jsonl"]


def test_a_folder_output_keeps_the_inputs_relative_names(tmp_path: Path) -> None:
    rows = records(12)
    names = ("train/part-0.jsonl", "train/part-1.jsonl", "test/part-0.jsonl")
    for name in names:
        (tmp_path / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / name).write_text("".join(json.dumps({**r, "prompt": f"{name} {r['prompt']}"}) + "\n"
                                                      for r in rows))
    done = run(tmp_path, [str(tmp_path / "data")], out="clean")
    written = {Path(p).relative_to(tmp_path / "clean").as_posix(): Path(p).read_text().count("\n") for p in done.outputs}
    assert written == {name: len(rows) - sum(bad(list(rows))) for name in names}
