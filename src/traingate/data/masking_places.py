"""The places of a run's texts that data can reach, for masking: each distinct text once, with the setters that
put its masked form back (in an attribute, a dict value or key, a list item), gathered from samples, details
trees, file names and messages; `Places.apply` masks them all in one batch and puts each back, renaming a
dict's keys in one pass. A file name is shown to the masker broken at each / and before its data suffixes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from traingate.data.excerpts import moved_span, trim_cuts

Setter = Callable[[str], None]
Masker = Callable[[list[str]], list[str | None]]  # each text masked, or None when it holds nothing
# a file name is shown to the recognizers with a break at each / and before its data suffixes, so that an
# e-mail naming a folder or a file (maria@example.org.jsonl) ends where the name does; the break goes after
_BREAK = "\ue000 "
_DATA_SUFFIX = re.compile(r"\.(?:jsonl|ndjson|json|csv|tsv|txt|parquet|pq|arrow|feather|gz|bz2|xz|zst|lz4|zip)\b", re.I)


def _broken(path: str) -> str:
    return _DATA_SUFFIX.sub(lambda m: _BREAK + m.group(), path).replace("/", f"{_BREAK}/{_BREAK}")


def _unbroken(setter: Setter) -> Setter:
    return lambda text: setter(text.replace(_BREAK, ""))


class Places:
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
        setter = dict_setter(owner, name) if isinstance(owner, dict) else (lambda t: setattr(owner, name, t))
        self.add(_broken(text) if text else text, _unbroken(setter))

    def naming_files(self, texts: list[str]) -> None:
        """Messages that name files (errored shards, gate reasons): masked with the breaks of a file name."""
        for k, text in enumerate(texts):
            self.add(_broken(text), _unbroken(list_setter(texts, k)))

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
                    self.add(value, dict_setter(node, key), excerpt=key == "excerpt")
                else:
                    self.tree(value)
            for key in [k for k in node if isinstance(k, str)]:
                self.keys.setdefault(key, []).append(node)
        elif isinstance(node, list):
            for k, value in enumerate(node):
                if isinstance(value, str):
                    self.add(value, list_setter(node, k))
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


def dict_setter(node: dict[str, Any], key: str) -> Setter:
    def put(text: str) -> None:
        if key == "excerpt" and "span" in node:
            node["span"] = moved_span(node[key], text, node["span"])
        node[key] = text
    return put


def list_setter(node: list[Any], index: int) -> Setter:
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
