"""The second look reads the lines it wants from a block pyarrow parsed whole by parsing those lines alone with
the schema pyarrow inferred for the block (data/lookup.py). Pinned against parsing the whole block again, on
blocks whose columns mix the types pyarrow infers (integers that widen to floats, dates read as timestamps,
integers past 64 bits, nested records and lists, missing keys, escapes, CRLF, no final newline), on blocks
that went the line-by-line way, and on a span whose bytes changed."""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from traingate.data import jsonl_block, jsonl_reader, lookup
from traingate.data.chunk import Chunk, Span
from traingate.data.lookup import fetch_rows
from traingate.data.readers import open_raw, read_source
from traingate.data.rowids import LINE_BITS
from traingate.data.sources import SourceFile, resolve

KINDS = [  # each column mixes the kinds of one group (and null), which pyarrow unifies within a block
    [b'1', b'-7', b'2.5', b'1e300', b'9007199254740993'], [b'"text"', b'"caf\\u00e9 \\"q\\""', b'"\xc3\xa9t\xc3\xa9"', b'""'],
    [b'"2020-01-01"', b'"1999-12-31"'], [b'"2020-01-01 00:00:00"', b'"2020-01-01T10:11:12"'], [b'true', b'false'],
    [b'[1, 2]', b'[]', b'[3.5]'], [b'["a"]', b'["b", "c"]'], [b'{"x": 1}', b'{"x": 2.5, "y": "s"}', b'{"y": null}', b'{}'],
    [b'[{"z": 1}]', b'[{"z": 2, "w": [true]}]']]
HOSTILE = [b'"text"', b'18446744073709551615', b'[1]', b'{"x": 1}']  # a block holding one of these goes line by line


def block_file(tmp_path: Path, seed: int) -> tuple[SourceFile, int]:
    """A file of 600 records whose columns each mix two kinds, in blocks of about 4 KiB."""
    rng = random.Random(seed)
    columns = {f"c{k}": rng.choice(KINDS) + [b"null"] for k in range(6)}
    end = b"\r\n" if seed % 3 == 0 else b"\n"
    lines = []
    for _ in range(600):
        fields = [b'"id": %d' % len(lines)] + [b'"%s": %s' % (name.encode(), rng.choice(kinds))
                                               for name, kinds in columns.items() if rng.random() < 0.85]
        if rng.random() < 0.004:
            fields.append(b'"c0": ' + rng.choice(HOSTILE))
        lines.append(b"{" + b", ".join(fields) + b"}")
    path = tmp_path / f"d{seed}.jsonl"
    path.write_bytes(end.join(lines) + (end if seed % 2 else b""))
    (source,) = resolve([str(path)], None, None)
    return source, len(lines)


def first_pass(source: SourceFile) -> list[Chunk]:
    with open_raw(source) as raw:
        return list(read_source(source, None, raw))


def whole_blocks(source: SourceFile, spans: list[Span]) -> dict[int, dict[str, Any]]:
    """Every row, by row id, as parsing its whole block again reads it."""
    rows: dict[int, dict[str, Any]] = {}
    data = Path(source.path).read_bytes()
    for span in spans:
        chunk = jsonl_block.parse_block(data[span.start: span.end], span.first_line, None, source)
        rows.update({int(line): row for line, row in zip(chunk.lines, chunk.table.to_pylist())})
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_lines_read_alone_are_the_lines_the_whole_block_gives(tmp_path: Path, seed: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 4096)
    source, count = block_file(tmp_path, seed)
    spans = [c.span for c in first_pass(source) if c.span is not None]
    assert len(spans) > 5 and any(s.schema is not None for s in spans)
    parsed_whole: list[int] = []
    real = lookup.parse_block
    monkeypatch.setattr(lookup, "parse_block", lambda block, first, *a: parsed_whole.append(first) or real(block, first, *a))
    rng = random.Random(seed)
    wanted = set(rng.sample(range(1, count + 1), 40))
    got = fetch_rows([source], None, wanted, {0: spans})
    expected = whole_blocks(source, spans)
    assert got == {line: expected[line] for line in wanted}
    slow = {s.first_line for s in spans if s.schema is None}
    assert set(parsed_whole) <= slow  # only the blocks pyarrow did not parse whole are parsed whole again
    assert any(s.schema is not None and any(s.first_line <= w for w in wanted) for s in spans)


def test_a_block_whose_bytes_changed_is_parsed_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A span whose block no longer holds a record per line in its schema (the file was rewritten between the
    pass and the second look) is parsed whole, as before, rather than read with a schema that does not fit."""
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3}\n')
    (source,) = resolve([str(path)], None, None)
    (span,) = [c.span for c in first_pass(source) if c.span is not None]
    assert span.schema is not None
    path.write_bytes(b'{"a": "x"}\n{"a": 2}\n{"a": 3}\n')
    parsed_whole: list[int] = []
    real = lookup.parse_block
    monkeypatch.setattr(lookup, "parse_block", lambda block, first, *a: parsed_whole.append(first) or real(block, first, *a))
    got = fetch_rows([source], None, {1}, {0: [span]})
    assert parsed_whole == [1] and got == {1: {"a": "x"}}


def test_a_line_past_the_block_is_not_read_from_it(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n')
    (source,) = resolve([str(path)], None, None)
    (span,) = [c.span for c in first_pass(source) if c.span is not None]
    assert lookup._lines_alone(path.read_bytes(), span, __import__("numpy").array([3]), None) is None
    assert fetch_rows([source], None, {2, 3 | (0 << LINE_BITS)}, {0: [span]}) == {2: {"a": 2}}


@pytest.mark.integration
def test_real_datasets_read_alone_as_whole(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JSON lines file of ../shared/datasets (nested conversation trees among them), in blocks of 64 KiB:
    every third line, read alone from its block, is the record the whole block gives."""
    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 64 << 10)
    parsed_whole: list[int] = []
    real = lookup.parse_block
    monkeypatch.setattr(lookup, "parse_block", lambda block, first, *a: parsed_whole.append(first) or real(block, first, *a))
    compared = fast = 0
    for path in sorted(shared.rglob("*.jsonl")):
        (source,) = resolve([str(path)], None, None)
        spans = [c.span for c in first_pass(source) if c.span is not None]
        rows = whole_blocks(source, spans)
        lines = sorted(rows)[::3]
        parsed_whole.clear()
        assert fetch_rows([source], None, set(lines), {0: spans}) == {line: rows[line] for line in lines}, path
        assert set(parsed_whole) <= {s.first_line for s in spans if s.schema is None}, path
        compared, fast = compared + len(lines), fast + sum(s.schema is not None for s in spans)
    assert compared > 1000 and fast > 50


MISNUMBERED = [  # blocks pyarrow parses whole with as many records as lines, though a line holds none or two
    b'{"a": 1}{"a": 2}\n{"a": 3}\n\n',  # two records on a line, a blank line later
    b'{"a": 1} {"a": 2}\r\n{"a": 3}\r\n \r\n{"a": 4}',
    b'{"a":\n1}{"a": 2}\n{"b":\n3}{"b": 4}\n',  # a record over two lines, two records on the next
    b'\n{"a": 1}{"a": 2}\n{"a": 3}\n']


@pytest.mark.parametrize("data", MISNUMBERED)
def test_a_block_whose_lines_are_not_its_records_is_read_line_by_line(tmp_path: Path, data: bytes) -> None:
    """pyarrow numbered the records of such a block in order, the line count matching, so a row took another
    line's number and a line holding two records, or half of one, read as records. The first pass reads it
    line by line (each such line a fault, at its own number), whatever the lines around it."""
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    (source,) = resolve([str(path)], None, None)
    chunks = first_pass(source)
    alone = jsonl_block._jsonl_slow(data, 1, None, source)
    assert [int(n) for c in chunks for n in c.lines] == alone.lines.tolist()
    assert [(f.line, f.kind) for c in chunks for f in c.faults] == [(f.line, f.kind) for f in alone.faults]
    assert any(f.kind == "invalid_json" for f in alone.faults)


@pytest.mark.parametrize("data", MISNUMBERED)
def test_a_block_rewritten_so_since_the_pass_is_parsed_whole(tmp_path: Path, data: bytes) -> None:
    """A span the pass noted as parsed whole, over bytes that no longer hold one object a line: the second look
    does not read its lines alone (they would be other records than the whole block gives)."""
    schema = pa.schema([("a", pa.int64()), ("b", pa.int64())]).serialize().to_pybytes()
    span = Span(1, 0, len(data), schema)
    assert lookup._lines_alone(data, span, np.arange(1, data.count(b"\n") + 1), None) is None


def test_a_rewritten_line_that_is_null_does_not_crash(tmp_path: Path) -> None:
    """pyarrow crashes the process on `null` as the first record (jsonl_block._jsonl_fast), with a schema given
    too: a block rewritten between the pass and the second look must not hand it such a line."""
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n')
    (source,) = resolve([str(path)], None, None)
    (span,) = [c.span for c in first_pass(source) if c.span is not None]
    path.write_bytes(b'null    \n{"a": 2}\n')
    code = ("import pickle, sys; from traingate.data.lookup import fetch_rows; "
            "s, span = pickle.loads(sys.stdin.buffer.read()); print(sorted(fetch_rows([s], None, {1, 2}, {0: [span]}).items()))")
    done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps((source, span)), capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-500:]
    assert done.stdout.decode().strip() == "[(2, {'a': 2})]"


@pytest.mark.parametrize("options", [{}, {"cache": "cache"}, {"workers": 2}])
def test_a_run_over_a_misnumbered_block_shows_what_the_whole_block_gives(tmp_path: Path, options: dict[str, Any],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The run JSON (duplicate clusters' excerpts, near duplicates verified on the rows read again) over a file
    whose line 4 holds two records and line 20 none, twice with a cache, is the run that parses the blocks whole."""
    from tests.engine.test_cache import comparable
    from traingate.contracts import parse_contract
    from traingate.engine.runner import RunOptions, validate

    rng = random.Random(1)
    words = [f"w{k}" for k in range(16)]
    rows = [{"id": f"r{i}", "prompt": " ".join(rng.choice(words) for _ in range(30)), "response": f"a{i}"}
            for i in range(40)]
    rows[30]["prompt"] = rows[4]["prompt"]
    lines = [json.dumps(r) for r in rows]
    (tmp_path / "d.jsonl").write_text("\n".join(lines[:3] + [lines[3] + lines[4]] + lines[5:20] + [""] + lines[20:]))
    contract = parse_contract("contract: t\nversion: 1.0.0\ndataset:\n  kind: sft\nchecks:\n  uniqueness:\n"
                              "    - type: exact_duplicates\n    - type: near_duplicates\n      threshold: 0.5\n",
                              str(tmp_path / "c.yaml"))

    def runs(name: str) -> list[dict[str, Any]]:
        cache = {"cache": str(tmp_path / name)} if "cache" in options else {}
        run = RunOptions(**{**options, **cache})
        return [comparable(validate(contract, [str(tmp_path / "d.jsonl")], options=run))
                for _ in range(2 if cache else 1)]

    got = runs("a")
    monkeypatch.setattr(lookup, "_lines_alone", lambda *a: None)
    assert got == runs("b")


def test_the_blocks_of_a_file_hold_their_schema_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run keeps every block's span to its end (and in the cache): blocks parsed to the same schema share one
    object, so a file of many blocks holds and pickles it once, not once a block."""
    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 4096)
    record = {"id": 1, "messages": [{"role": "user", "content": "hi", "meta": {"lang": "en", "score": 0.5}}]}
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({**record, "id": i}) + "\n" for i in range(2000)))
    (source,) = resolve([str(path)], None, None)
    spans = [c.span for c in first_pass(source) if c.span is not None]
    schemas = [s.schema for s in spans if s.schema is not None]
    assert len(spans) > 30 and len(schemas) == len(spans)
    assert len({id(s) for s in schemas}) == 1
    assert len(pickle.dumps(spans)) < len(spans) * 64 + len(schemas[0]) * 2
