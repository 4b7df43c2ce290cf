"""Every regular expression a contract supplies runs in time linear in the text it reads.

Checks match with RE2 (google-re2 here, the RE2 inside pyarrow for whole columns): RE2 has no backtracking, so
no pattern can make a value take exponential time. A pattern RE2 cannot take (a backreference, a lookaround,
an atomic group) is refused when the contract is loaded, at its file:line:col, with how to write it instead.
GX regex expectations keep Python `re.search` semantics (the `regex` module, which matches as `re` does) behind
a time bound per value: a value that takes longer errs the check instead of hanging the run."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]

SECONDS_PER_VALUE = 0.1  # the `regex` module checks its deadline coarsely: a runaway value ends in about 0.5 s
SECONDS_PER_MB = 0.05  # allowance added per MB of value, so a long value read in linear time is never cut short

_FIXES = (  # (text in RE2's error, how to write the pattern instead)
    ("sequence: \\Z", "RE2 writes the end of the text as \\z (or $ outside multi-line mode)"),
    ("(?=", "RE2 has no lookahead: match the text itself, or split the rule into two checks"),
    ("(?!", "RE2 has no negative lookahead: match the text itself, or split the rule into two checks"),
    ("(?<=", "RE2 has no lookbehind: match the text itself, or split the rule into two checks"),
    ("(?<!", "RE2 has no negative lookbehind: match the text itself, or split the rule into two checks"),
    ("(?>", "RE2 has no atomic groups: drop `?>`; RE2 never backtracks, so the group is not needed"),
    ("(?P=", "RE2 has no backreferences: match the repeated text explicitly, or drop it"),
    ("(?x", "RE2 has no verbose mode: remove the spaces and comments and the x flag"),
    ("bad repetition operator", "RE2 has no possessive quantifiers (*+, ++, ?+) or repeated repeats: drop the second one"),
    ("repetition size", "RE2 repeats at most 1000 times: use + or * for longer runs"),
    ("too large", "the pattern compiles past RE2's memory bound: write a shorter pattern"),
)
BACKREFERENCE = "RE2 has no backreferences: match the repeated text explicitly, or drop it"


def _options(dot_all: bool = False) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.dot_nl = dot_all
    return options


def re2_problem(pattern: str) -> tuple[str, str] | None:
    """Why RE2 cannot take `pattern`, and how to fix it; None when it can."""
    try:
        re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        if reason.startswith("invalid escape sequence: \\") and reason[-1:].isdigit():
            return reason, BACKREFERENCE
        return reason, next((fix for marker, fix in _FIXES if marker in reason),
                            "write it in RE2 syntax (no backreferences, lookarounds or atomic groups)")
    return None


@lru_cache(maxsize=512)
def compile_re2(pattern: str, dot_all: bool = False) -> Any:
    """`pattern` compiled by RE2 (search, match, fullmatch and finditer as `re` has them, offsets in characters)."""
    return re2.compile(pattern, _options(dot_all))


def patterns_in(paths: tuple[tuple[str, ...], ...], item: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path inside the check, pattern) for each regex a check's raw contract mapping holds at `paths` (its
    options model's `regex_options`)."""
    for spec in paths:
        yield from _walk(item, spec, ())


def _walk(value: Any, spec: tuple[str, ...], path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if not spec:
        if isinstance(value, str):
            yield path, value
        return
    head, rest = spec[0], spec[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
        for key in keys:
            yield from _walk(value[key], rest, (*path, str(key)))
    elif isinstance(value, list) and head == "*":
        for index, child in enumerate(value):
            yield from _walk(child, rest, (*path, index))


def search_bounded(compiled: Any, text: str) -> bool:
    """Whether a `regex`-module pattern finds a match in `text` within its time bound (TimeoutError past it)."""
    bound = SECONDS_PER_VALUE + SECONDS_PER_MB * len(text) / 1e6
    try:
        return compiled.search(text, timeout=bound) is not None
    except TimeoutError:
        raise RegexTimeout(f"the regex {compiled.pattern!r} ran past its time bound ({bound:.2f} s) on one value: "
                           "it backtracks; rewrite it without nested repetition, e.g. (a+)+ as a+") from None


class RegexTimeout(RuntimeError):
    """A GX regex ran past its time bound on one value: the check errs instead of hanging the run."""
