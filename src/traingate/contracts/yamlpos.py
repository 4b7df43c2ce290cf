"""YAML loading that remembers where every key and value stands in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from traingate.errors import ContractError, Location

Path = tuple[str | int, ...]
MAX_ALIAS_NODES = 10_000  # nodes that YAML aliases may add to a contract once expanded ("billion laughs" past it)
MAX_DEPTH = 64  # nesting of mappings and lists


@dataclass
class PositionedDocument:
    """Plain Python data plus the location of each key (mapping entries) and value."""

    data: Any
    file: str
    keys: dict[Path, Location] = field(default_factory=dict)
    values: dict[Path, Location] = field(default_factory=dict)

    def locate(self, path: Path, prefer_key: bool = False) -> Location | None:
        """The closest known location of `path`, walking up to its parents."""
        for cut in range(len(path), -1, -1):
            sub = path[:cut]
            table = (self.keys, self.values) if prefer_key or cut < len(path) else (self.values, self.keys)
            for positions in table:
                if sub in positions:
                    return positions[sub]
        return None


def _mark(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node: yaml.Node, path: Path, doc: PositionedDocument, loader: yaml.SafeLoader) -> Any:
    doc.values[path] = _mark(doc.file, node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            # Keys stay text: YAML 1.1 would read `on:`, `yes:` or `no:` as booleans.
            if not isinstance(key_node, yaml.ScalarNode):
                raise ContractError("a mapping key must be a plain value", _mark(doc.file, key_node))
            key = key_node.value
            if key in result:
                raise ContractError(f"key '{key}' appears twice in the same mapping", _mark(doc.file, key_node),
                                    "keep one of them")
            child = (*path, str(key))
            doc.keys[child] = _mark(doc.file, key_node)
            result[key] = _build(value_node, child, doc, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


class _BoundedLoader(yaml.SafeLoader):
    """Composes nodes while counting what aliases add once expanded, and how deep nesting goes, so that an
    alias bomb or a deeply nested document is refused at the alias (or node) that passes the bound, before
    anything is expanded."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.sizes: dict[int, int] = {}  # id(node) -> nodes in it once aliases are expanded
        self.alias_nodes = 0
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._count_alias(self.peek_event())  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ContractError(f"the contract nests more than {MAX_DEPTH} levels deep",
                                self._at(self.peek_event()),  # type: ignore[no-untyped-call]
                                "a contract is a few levels of mappings and lists")
        node: Any = super().compose_node(parent, index)
        self.depth -= 1
        children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else \
            node.value if isinstance(node, yaml.SequenceNode) else []
        self.sizes[id(node)] = 1 + sum(self.sizes.get(id(child), 1) for child in children)
        return node

    def _count_alias(self, event: Any) -> None:
        anchor = getattr(event, "anchor", None)
        if anchor in self.anchors and id(self.anchors[anchor]) not in self.sizes:
            raise ContractError(f"alias *{anchor} stands inside the node it names, which never ends", self._at(event),
                                "write the value out instead of the alias")
        self.alias_nodes += self.sizes.get(id(self.anchors.get(anchor)), 1)
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise ContractError(f"YAML aliases expand the contract past {MAX_ALIAS_NODES:,} nodes at alias *{anchor}",
                                self._at(event), "write the values out, or use fewer nested aliases")

    def _at(self, event: Any) -> Location:
        return Location(self.file, event.start_mark.line + 1, event.start_mark.column + 1)


def load_positioned(text: str, file: str) -> PositionedDocument:
    """Parse one YAML document; syntax errors become ContractErrors with a location."""
    doc = PositionedDocument(data=None, file=file)
    try:
        loader = _BoundedLoader(text, file)  # checks every character first
    except yaml.reader.ReaderError as exc:
        raise _unprintable(exc, text, file) from exc
    try:
        root = loader.get_single_node()
        if root is None:
            raise ContractError("the contract file is empty", Location(file, 1, 1),
                                "start from `traingate init` or an example in examples/")
        doc.data = _build(root, (), doc, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else None
        raise ContractError(f"YAML syntax error: {exc.problem or exc}", where,
                            "check indentation and quoting at that place") from exc
    finally:
        loader.dispose()
    return doc


def _unprintable(exc: yaml.reader.ReaderError, text: str, file: str) -> ContractError:
    """A character YAML does not allow in a file (a NUL, a control character), at its line and column."""
    start = text.rfind("\n", 0, exc.position) + 1
    where = Location(file, text.count("\n", 0, exc.position) + 1, exc.position - start + 1)
    code = int(exc.character)
    escaped = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ContractError(f"YAML does not allow the character #x{code:04x} ({exc.reason})", where,
                         f'remove it, or write it as an escape inside a double-quoted string ("{escaped}")')
