"""The strict CSV and TSV parser: Python's csv module, record by record, with the line each record starts on.

A quoted value may hold newlines (RFC 4180). A quote that is never closed, or a closing quote followed by
anything but a delimiter or a line end, makes the record that opened it one unreadable record at its line;
reading resumes on the next line, so the rows after it are not swallowed into one value. A record longer
than the line limit is unreadable too, and is skipped without being held past the limit."""

from __future__ import annotations

import csv
from typing import Any

from traingate.data.rows import excerpt
from traingate.results.model import Fault

_MESSAGES = {"unexpected end of data": "a quote opened in this record is never closed (it runs to the end of the file)",
             "',' expected after '\"'": "a closing quote is followed by more text, not a delimiter or line end "
                                         "(a quote in this record may be unclosed)"}


class _TooLong(Exception):
    pass


class _BadBytes(Exception):
    pass


class Buffer:
    """The stream from the record being read on: byte `pos` (absolute) is on line `line`; bytes before
    `keep` may be dropped when more is read."""

    def __init__(self, stream: Any, block: int):
        self.stream, self.block, self.data, self.eof = stream, block, b"", False
        self.base = self.pos = self.keep = 0
        self.line = 1

    def more(self) -> bool:
        chunk = b"" if self.eof else self.stream.read(self.block)
        if not chunk:
            self.eof = True
            return False
        drop = min(self.keep, self.pos) - self.base
        self.data, self.base = self.data[drop:] + chunk, self.base + drop
        return True

    def window(self, size: int) -> tuple[bytes, bool]:
        """About `size` bytes of whole lines from `pos` (b"" when no line ends in them), and whether they
        run to the end of the stream."""
        self.keep = self.pos
        while self.base + len(self.data) - self.pos < size and self.more():
            pass
        start = self.pos - self.base
        view = self.data[start: start + size]
        if self.eof and start + size >= len(self.data):
            return view, True
        return view[: view.rfind(b"\n") + 1], False

    def next_line(self, record_start: int, limit: int) -> bytes:
        """The next line with its newline; _TooLong once the record passes `limit` bytes without one."""
        searched = self.pos
        while (cut := self.data.find(b"\n", searched - self.base)) < 0:
            searched = self.base + len(self.data)
            if searched - record_start > limit:
                raise _TooLong
            if not self.more():
                if searched == self.pos:
                    raise StopIteration
                cut = searched - self.base - 1
                break
        raw = self.data[self.pos - self.base: cut + 1]
        self.pos, self.line = self.base + cut + 1, self.line + 1
        return raw

    def skip_line(self) -> None:
        """Past the next newline, dropping what it passes."""
        while (cut := self.data.find(b"\n", self.pos - self.base)) < 0:
            self.pos = self.keep = self.base + len(self.data)
            if not self.more():
                return
        self.pos, self.line = self.base + cut + 1, self.line + 1


class Lines:
    """The lines of the record being parsed, for csv.reader; a broken record is read again from its second."""

    def __init__(self, buffer: Buffer, limit: int):
        self.buffer, self.limit = buffer, limit
        self.record: list[tuple[int, int]] = []  # (offset, line) of each of its lines

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        b = self.buffer
        first, where = (self.record[0] if self.record else (b.pos, b.line)), (b.pos, b.line)
        try:
            raw = b.next_line(first[0], self.limit)
            self.record.append(where)
            if b.pos - first[0] > self.limit:
                raise _TooLong
        except _TooLong:
            raise _TooLong(f"a record from line {first[1]} runs past {self.limit:,} bytes "
                           "(TRAINGATE_MAX_LINE_BYTES); a quote may never close") from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _BadBytes(f"byte {exc.start} of line {where[1]} is not valid UTF-8") from exc

    def start(self) -> None:
        self.record, self.buffer.keep = [], self.buffer.pos

    def resume(self) -> tuple[int, str]:
        """After a broken record: its first line and text; reading goes on from its second line."""
        b = self.buffer
        if not self.record:  # its first line is too long: it is skipped
            line, text = b.line, b.data[b.pos - b.base: b.pos - b.base + 4096]
            b.skip_line()
        else:
            (offset, line), end = self.record[0], min(b.pos, self.record[0][0] + 4096)
            text = b.data[offset - b.base: end - b.base]
            if len(self.record) > 1:
                b.pos, b.line = self.record[1]
        return line, text.decode("utf-8", "replace")


def next_record(lines: Lines, path: str, tsv: bool) -> tuple[int, list[str]] | Fault | None:
    """The next record as (line, values), or a Fault for one that cannot be read; None at the end.
    Blank lines are skipped."""
    dialect: dict[str, Any] = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if tsv else {}
    while True:
        lines.start()
        try:
            values = next(csv.reader(lines, strict=True, **dialect))
        except StopIteration:
            if not lines.record:
                return None
            error = _MESSAGES["unexpected end of data"]
        except (csv.Error, _TooLong, _BadBytes) as exc:
            error = _MESSAGES.get(str(exc), str(exc))
        else:
            if values:
                return lines.record[0][1], values
            continue
        line, text = lines.resume()
        kind = "invalid_utf8" if "UTF-8" in error else "line_too_long" if "TRAINGATE_MAX" in error else "bad_csv_row"
        return Fault(file=path, line=line, kind=kind, message=error, excerpt=excerpt(text))
