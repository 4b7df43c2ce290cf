"""What the pii check leaves out by default in chat and code data: code, which the NER model reads as
people (`String`, `Load`), names of programming tools and formats (Python, Docker, JSON), imperative
verbs opening an instruction (Convert the list ...), e-mail addresses at the domains reserved for
examples (RFC 2606 and RFC 6761) and IP addresses that are not global (private, loopback, documentation)."""

from __future__ import annotations

import ipaddress
import re

# Fenced blocks (to their closing fence, or to the end of the text when it is left open) and inline code.
FENCED = re.compile(r"^[ \t>]*(```|~~~)[^\n]*\n.*?(?:^[ \t>]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(`+)[^`\n]+?\1")
# A line of code outside a fence: it ends in ; { } or ):, or holds a call, an assignment or an arrow
# with no space inside the left side (foo(x), a.b = 1, x => y), or starts with a keyword of a few languages.
CODE_LINE = re.compile(
    r"^[ \t]*(?:.*[;{}][ \t]*$|.*\)[ \t]*:[ \t]*$|[\w.\[\]]+[ \t]*(?:[+\-*/]?=|=>|->)[^=]|"
    r"(?:def|class|import|from|return|public|private|static|const|let|var|func|fn|#include|SELECT|print)\b.*[(=:;{]|"
    r".*\b\w+\([^)\n]*\)[ \t]*$)", re.MULTILINE)

# Capitalised words the NER model takes for people in technical text: languages, tools, formats and the
# type and function names chat answers about code are full of.
TECH_WORDS = (
    "python java javascript typescript kotlin scala rust perl php haskell matlab fortran cobol "
    "lua dart elixir erlang clojure groovy bash powershell pandas numpy scipy django flask rails laravel spring "
    "react angular vue svelte node nodejs express docker kubernetes kubectl helm terraform ansible jenkins git "
    "github gitlab linux ubuntu debian fedora windows macos android ios excel json yaml xml html css sql mysql "
    "postgres postgresql sqlite mongodb redis kafka spark hadoop tensorflow pytorch keras jupyter vim emacs string "
    "int integer float double boolean bool char list dict array map set tuple object class interface enum struct "
    "void null none true false load save print return import export main init test tests args kwargs self this "
    "async await lambda regex api url http https ssh ftp tcp udp dns aws gcp azure nginx apache tomcat maven "
    "gradle npm pip conda webpack babel eslint chatgpt gpt openai llama siri cortana "
)
TECH_TERMS = frozenset(TECH_WORDS.split())


def code_spans(text: str) -> list[tuple[int, int]]:
    """Where code stands in a text: fenced blocks, inline code and lines that read as code."""
    spans = [m.span() for m in FENCED.finditer(text)]
    spans += [m.span() for m in INLINE.finditer(text) if not _inside(m.start(), spans)]
    spans += [m.span() for m in CODE_LINE.finditer(text) if not _inside(m.start(), spans)]
    return sorted(spans)


def _inside(at: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= at < end for start, end in spans)


def without_code(text: str) -> str:
    """The text with its code blanked (newlines kept): the same length, so every offset still holds."""
    spans = code_spans(text)
    if not spans:
        return text
    out, at = [], 0
    for start, end in spans:
        if start < at:
            start = at
        out.append(text[at:start])
        out.append(re.sub(r"[^\n]", " ", text[start:end]))
        at = max(at, end)
    out.append(text[at:])
    return "".join(out)


def technical_name(value: str, after: str = "") -> bool:
    """A PERSON span that names a tool, a format or an identifier rather than a person: every word of it
    a known technical word or shaped like an identifier (snake_case, dotted, lowerCamel, digits, calls,
    all capitals, all lower case); or one word followed by an article, as an imperative verb opening an
    instruction is (Convert the list ...). Taylor Swift still counts."""
    words = value.split()
    if len(words) == 1 and ARTICLE.match(after):
        return True
    return all(w.lower().strip(".,:;!?'\"’") in TECH_TERMS or IDENTIFIER.search(w) for w in words)


IDENTIFIER = re.compile(r"[_./\\()\[\]{}<>=#@$%&*+|~^]|\d|^[a-z]+[A-Z]|^[A-Z]{2,}$|^[a-z]+$")
ARTICLE = re.compile(r"[ ]+(?:the|a|an|this|that|these|those|each|every|all|your|my|its|it|following|out|over|up)\b",
                     re.IGNORECASE)


RESERVED = re.compile(r"(?i)@(?:[\w\-]+\.)*(?:example\.(?:com|net|org)|[\w\-]+\.(?:example|test|invalid|localhost)|"
                      r"example|test|invalid|localhost)$")


def reserved_value(entity: str, value: str) -> bool:
    """An e-mail address at a domain reserved for examples and tests: example.com, .net and .org and any
    domain under them (RFC 2606), and the top-level names example, test, invalid and localhost (RFC 6761),
    or one that is no address (a URL with an @, a numeric top-level name); an IP address that is not
    global (private, loopback, link-local, unspecified, reserved and documentation ranges)."""
    if entity == "EMAIL_ADDRESS":
        return bool(RESERVED.search(value.strip())) or not re.fullmatch(r"[^/\s]+@[\w.\-]+\.[^\W\d_]{2,}", value.strip())
    if entity == "IP_ADDRESS":
        try:
            return not ipaddress.ip_address(value.strip()).is_global
        except ValueError:
            return False
    return False
