"""When a contract looks for personal data or secrets, no output may show any. Every text of the run that
data can reach goes through the check's masker: excerpts (samples, duplicate and conflict clusters,
contamination and leakage rows, unreadable records, GX observed values), every string and dictionary key
in a check's details (feature values, annotators, labels, role names), messages, gate reasons and file
names. An excerpt cut at a limit is marked with CUT at the cut (`window`); masking drops the word a cut
split, with the digit groups beside it, since a recognizer cannot tell what a piece of an e-mail, a key or a
phone number was. Without a `pii` or `secrets` check nothing is masked: that is the contract's choice."""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the run's models load with a run, not with the checks that import this
    from traingate.results.model import CheckResult, Fault, RunResult

Setter = Callable[[str], None]
Masker = Callable[[list[str]], list[str | None]]  # each text masked, or None when it holds nothing
CUT = "…"
# at a cut: the split word, then any whitespace-separated groups of digits (+, -, ., parentheses) beside it
_HEAD = re.compile(r"^…\S*(?:\s+[-+.()\d]+(?=\s|$))*")
_TAIL = re.compile(r"(?:(?<=\s)[-+.()\d]+\s+)*\S*…$")
_MARKER_HEAD, _MARKER_TAIL = re.compile(r"^…<[^<>]*>"), re.compile(r"<[^<>]*>…$")
# a file name is shown to the recognizers with a break at each / and before its data suffixes, so that an
# e-mail naming a folder or a file (maria@example.org.jsonl) ends where the name does; the break goes after
_BREAK = "\ue000 "
_DATA_SUFFIX = re.compile(r"\.(?:jsonl|ndjson|json|csv|tsv|txt|parquet|pq|arrow|feather|gz|bz2|xz|zst|lz4|zip)\b", re.I)


def window(text: str, start: int, stop: int) -> str:
    """text[start:stop], with CUT where it cuts the text (so masking can see the cut)."""
    start, stop = max(0, start), min(len(text), stop)
    return (CUT if start > 0 else "") + text[start:stop] + (CUT if stop < len(text) else "")


def trim_cuts(text: str) -> str:
    """The excerpt without the word split at each marked cut (nor the digit groups beside it); a cut
    that the masker already turned into its <name> stays."""
    if text.startswith(CUT) and not _MARKER_HEAD.match(text):
        text = CUT + text[_HEAD.match(text).end():]  # type: ignore[union-attr]  # the pattern always matches
    if text.endswith(CUT) and len(text) > 1 and not _MARKER_TAIL.search(text):
        found = _TAIL.search(text)
        text = text[: found.start() if found else len(text) - 1] + CUT
    return text


def _broken(path: str) -> str:
    return _DATA_SUFFIX.sub(lambda m: _BREAK + m.group(), path).replace("/", f"{_BREAK}/{_BREAK}")


def _unbroken(setter: Setter) -> Setter:
    return lambda text: setter(text.replace(_BREAK, ""))


class _Places:
    """Every text to mask, each distinct text once, with the setters that put its masked form back."""

    def __init__(self) -> None:
        self.values: dict[str, list[tuple[Setter, bool]]] = {}  # and whether the text is an excerpt
        self.keys: dict[str, list[dict[str, Any]]] = {}  # key -> the dicts holding it, renamed after the values
        self.evidence: list[list[dict[str, Any]]] = []  # pii findings: a file name each, one per finding

    def add(self, text: str | None, setter: Setter, excerpt: bool = False) -> None:
        if text:
            self.values.setdefault(text, []).append((setter, excerpt))

    def attr(self, owner: Any, name: str, excerpt: bool = False) -> None:
        self.add(getattr(owner, name), lambda text: setattr(owner, name, text), excerpt)

    def path(self, owner: Any, name: str) -> None:
        """A file name, masked as its parts (`_broken`)."""
        text = owner[name] if isinstance(owner, dict) else getattr(owner, name)
        setter = _dict_setter(owner, name) if isinstance(owner, dict) else (lambda t: setattr(owner, name, t))
        self.add(_broken(text) if text else text, _unbroken(setter))

    def naming_files(self, texts: list[str]) -> None:
        """Messages that name files (errored shards, gate reasons): masked with the breaks of a file name."""
        for k, text in enumerate(texts):
            self.add(_broken(text), _unbroken(_list_setter(texts, k)))

    def sample(self, sample: Any) -> None:
        def put(text: str) -> None:  # the span pointed into the unmasked text: it moves with what it marked
            sample.excerpt, sample.span = text, moved_span(sample.excerpt, text, sample.span)
        self.add(sample.excerpt, put, excerpt=True)
        self.path(sample, "file")
        for name in ("role", "reason", "field", "recognizer", "measure"):  # a chat role is the data's own text
            self.attr(sample, name)

    def tree(self, node: Any) -> None:
        """Strings and keys of a details tree; an 'excerpt' entry loses its 'span' when masked."""
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "evidence" and isinstance(value, list):
                    self.evidence.append(value)
                elif key == "file" and isinstance(value, str):
                    self.path(node, key)
                elif isinstance(value, str):
                    self.add(value, _dict_setter(node, key), excerpt=key == "excerpt")
                else:
                    self.tree(value)
            for key in [k for k in node if isinstance(k, str)]:
                self.keys.setdefault(key, []).append(node)
        elif isinstance(node, list):
            for k, value in enumerate(node):
                if isinstance(value, str):
                    self.add(value, _list_setter(node, k))
                else:
                    self.tree(value)

    def apply(self, masker: Masker) -> int:
        files = {r["file"]: _broken(r["file"]) for records in self.evidence for r in records if isinstance(r.get("file"), str)}
        texts = list(dict.fromkeys([*self.values, *self.keys, *files.values()]))
        masked = {text: new for text, new in zip(texts, masker(texts)) if new is not None}
        changed = 0
        for text, places in self.values.items():
            for setter, excerpt in places:
                new = trim_cuts(masked.get(text, text)) if excerpt else masked.get(text)
                if new is not None and new != text:
                    setter(new)
                    changed += 1
        renames: dict[int, tuple[dict[str, Any], dict[str, str]]] = {}
        for text, new in masked.items():  # in the order of the texts, so a value gets the same name in every dict
            for node in self.keys.get(text, []):
                renames.setdefault(id(node), (node, {}))[1][text] = new
        changed += sum(_rename_keys(node, names) for node, names in renames.values())
        named = {file: masked[shown].replace(_BREAK, "") for file, shown in files.items() if shown in masked}
        for records in self.evidence if named else []:
            for record in records:
                record["file"] = named.get(record.get("file"), record.get("file"))
        return changed


def mask_run(run: RunResult, masker: Masker) -> int:
    """Mask every text of the run that data can reach; returns how many places changed."""
    places = _Places()
    for check in run.checks:
        _check_places(check, places)
    ds = run.dataset
    for info in ds.files:
        places.path(info, "path")
        places.path(info, "absolute_path")
    for skipped in ds.skipped_files:
        places.path(skipped, "path")
        places.attr(skipped, "reason")
    _fault_places(ds.faults, places)
    places.attr(ds, "stopped_early")
    places.naming_files(ds.errored_shards)
    places.naming_files(run.gate.reasons)
    labelled = [sketch for sketch in run.sketches if sketch.kind == "categorical"]
    for sketch in labelled:  # a feature's labels are the data's own values (a column, a chat role, ...)
        for k, label in enumerate(sketch.values):
            places.add(str(label), _list_setter(sketch.values, k))
    changed = places.apply(masker)
    for sketch in labelled:
        _merge_labels(sketch)
    return changed


def _merge_labels(sketch: Any) -> None:
    """Labels masked alike (two e-mail addresses, one placeholder) counted as one, most frequent first."""
    merged: dict[str, int] = {}
    for label, count in zip(sketch.values, sketch.counts):
        merged[str(label)] = merged.get(str(label), 0) + count
    if len(merged) < len(sketch.values):
        ordered = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
        sketch.values, sketch.counts = [label for label, _ in ordered], [count for _, count in ordered]


def _check_places(check: CheckResult, places: _Places) -> None:
    places.attr(check, "message")
    places.attr(check, "error")
    for sample in check.samples:
        places.sample(sample)
    if check.first_failure is not None:
        places.path(check.first_failure, "file")
    places.tree(check.details)


def _fault_places(faults: list[Fault], places: _Places) -> None:
    for fault in faults:
        places.attr(fault, "excerpt", excerpt=True)
        places.path(fault, "file")
        places.attr(fault, "message")


def _dict_setter(node: dict[str, Any], key: str) -> Setter:
    def put(text: str) -> None:
        if key == "excerpt" and "span" in node:
            node["span"] = moved_span(node[key], text, node["span"])
        node[key] = text
    return put


def moved_span(old: str, new: str, span: Any) -> tuple[int, int] | None:
    """Where the span marked in `old` lies in `new` (the excerpt masked, its cut words trimmed): positions in
    text both keep move with it; a position inside a part masking replaced goes to that part's start (the
    span's start) or end (its end), so a masked finding stays marked as its <ENTITY>."""
    if span is None:
        return None
    ops = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()

    def at(pos: int, end: bool) -> int:
        for tag, i1, i2, j1, j2 in ops:
            if i1 <= pos < i2 or (end and i1 < pos <= i2):
                return j1 + (pos - i1) if tag == "equal" else (j2 if end else j1)
        return len(new)
    start = at(int(span[0]), False)
    return start, max(start, at(int(span[1]), True))


def _list_setter(node: list[Any], index: int) -> Setter:
    def put(text: str) -> None:
        node[index] = text
    return put


def _rename_keys(node: dict[str, Any], names: dict[str, str]) -> int:
    """Rename keys of a dict at once, keeping their order (one rebuild per dict, not one per key: a
    distribution of 20,000 e-mail addresses is 20,000 renames). A masked key that meets another is numbered
    (#2, #3, ...) so that no value is lost: two e-mails of a distribution stay two values. Keys left as they
    are keep their names; renamed ones are numbered in the order of `names`."""
    taken = {key for key in node if key not in names}
    final: dict[str, str] = {}
    last: dict[str, int] = {}  # the number each masked name reached, so numbering does not start over
    for key, text in names.items():
        if key not in node:
            continue
        new, k = text, last.get(text, 1)
        while new in taken:
            k += 1
            new = f"{text} #{k}"
        last[text], final[key] = k, new
        taken.add(new)
    items = [(final.get(key, key), value) for key, value in node.items()]
    node.clear()
    node.update(items)
    return len(final)
