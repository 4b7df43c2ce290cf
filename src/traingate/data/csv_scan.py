"""The fast path for CSV and TSV: an exact scan of a window of whole lines finds the leading records that
the strict parser (`csv_reader`) would read the same way as pyarrow, and pyarrow parses them.

The scan vouches for a record when every quote in it (CSV) is one of: an opening quote at the start of a
field, a closing quote before a delimiter, a line end or the end of the data, or one of the two quotes of
an escaped `""` inside a quoted value, and the quotes of the record pair up, and it holds no carriage
return that is not followed by a newline. Under those rules the quoting state after each byte is the
parity of the quotes before it, so a newline after an even number of quotes ends a record. A quote inside
an unquoted value, a quote that never closes, a closing quote followed by text or a bare carriage return
ends the vouched part at the record holding it; the strict parser reads from there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

QUOTE, NEWLINE, RETURN = ord('"'), ord("\n"), ord("\r")


@dataclass(frozen=True)
class Vouched:
    end: int  # bytes of the window vouched for: whole records, 0 when the first is not
    stop: int  # where the first thing the scan cannot vouch for lies (len(window) when nothing)
    lines: np.ndarray  # the line (0-based, from the window's first) each non-blank vouched record starts on
    newlines: int  # newlines in window[:end]


def _first_bad_quote(a: np.ndarray, quotes: np.ndarray, delimiter: int) -> int:
    """The position of the first quote that does not follow the rules, or len(a)."""
    n = a.size
    opening, closing = quotes[0::2], quotes[1::2]
    after_quote = np.zeros(opening.size, dtype=bool)
    after_quote[1:] = closing[: opening.size - 1] == opening[1:] - 1
    before = a[np.maximum(opening - 1, 0)]
    good_open = (opening == 0) | (before == delimiter) | (before == NEWLINE) | after_quote
    before_quote = np.zeros(closing.size, dtype=bool)
    following = opening[1: closing.size + 1]
    before_quote[: following.size] = following == closing[: following.size] + 1
    nxt = a[np.minimum(closing + 1, n - 1)]
    crlf = (nxt == RETURN) & (closing + 2 < n) & (a[np.minimum(closing + 2, n - 1)] == NEWLINE)
    good_close = (closing + 1 == n) | (nxt == delimiter) | (nxt == NEWLINE) | crlf | before_quote
    bad = np.concatenate([opening[~good_open], closing[~good_close]])
    return int(bad.min()) if bad.size else n


def scan(window: bytes, tsv: bool, limit: int, final: bool) -> Vouched:
    """What of `window` (whole lines from a record start; at the end of the data, `final`, its last line
    may lack a newline) the fast path may read, and the lines its records start on."""
    a = np.frombuffer(window, dtype=np.uint8)
    n = a.size
    newlines = np.flatnonzero(a == NEWLINE)
    returns = np.flatnonzero(a == RETURN)
    bare = returns[(returns + 1 >= n) | (a[np.minimum(returns + 1, n - 1)] != NEWLINE)]
    stop = 0 if window.startswith(b"\xef\xbb\xbf") else int(bare[0]) if bare.size else n  # pyarrow drops a BOM
    ends = newlines
    quotes = np.zeros(0, dtype=np.int64) if tsv else np.flatnonzero(a == QUOTE)
    if quotes.size:
        stop = min(stop, _first_bad_quote(a, quotes, ord(",")))
        ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    bounds = ends + 1
    if final and n and a[-1] != NEWLINE and quotes.size % 2 == 0:
        bounds = np.append(bounds, n)
    starts = np.concatenate([[0], bounds[:-1]]).astype(np.int64)
    ok = np.cumprod((bounds <= stop) & (bounds - starts <= limit)).astype(bool)
    count = int(ok.sum())
    end = int(bounds[count - 1]) if count else 0
    starts = starts[:count]
    blank = (a[np.minimum(starts, n - 1)] == NEWLINE) | (a[np.minimum(starts, n - 1)] == RETURN)
    starts = starts[~blank]
    return Vouched(end, stop, np.searchsorted(newlines, starts), int(np.searchsorted(newlines, end)))


def parse(block: bytes, names: list[str], kept: list[str], tsv: bool) -> pa.Table | None:
    """pyarrow's reading of vouched records, every value as text; None when it refuses them (a record
    with another number of values than the header, bytes that are not UTF-8)."""
    if kept != names:  # pyarrow checks UTF-8 only in the columns it converts
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            return None
    dialect = {"delimiter": "\t", "quote_char": False} if tsv else {}
    try:
        return pcsv.read_csv(
            pa.py_buffer(block),
            read_options=pcsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, **dialect),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in kept}, include_columns=kept,
                                                strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None
