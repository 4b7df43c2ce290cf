"""The second look reads the lines it wants from a block pyarrow parsed whole by parsing those lines alone with
the schema pyarrow inferred for the block (data/lookup.py). Pinned against parsing the whole block again, on
blocks whose columns mix the types pyarrow infers (integers that widen to floats, dates read as timestamps,
integers past 64 bits, nested records and lists, missing keys, escapes, CRLF, no final newline), on blocks
that went the line-by-line way, and on a span whose bytes changed."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from traingate.data import lookup, readers
from traingate.data.lookup import fetch_rows
from traingate.data.readers import Span, open_raw, read_source
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


def first_pass(source: SourceFile) -> list[readers.Chunk]:
    with open_raw(source) as raw:
        return list(read_source(source, None, raw))


def whole_blocks(source: SourceFile, spans: list[Span]) -> dict[int, dict[str, Any]]:
    """Every row, by row id, as parsing its whole block again reads it."""
    rows: dict[int, dict[str, Any]] = {}
    data = Path(source.path).read_bytes()
    for span in spans:
        chunk = readers.parse_block(data[span.start: span.end], span.first_line, None, source)
        rows.update({int(line): row for line, row in zip(chunk.lines, chunk.table.to_pylist())})
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_lines_read_alone_are_the_lines_the_whole_block_gives(tmp_path: Path, seed: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "BLOCK_BYTES", 4096)
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
    monkeypatch.setattr(readers, "BLOCK_BYTES", 64 << 10)
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
