"""What a cache entry is keyed by. A file's part of an entry's key: its content (sha256), where it sits in the run
(its index: row ids carry it, data/rowids.py), its shown path, split, format and compression. A check's part: the
tool's version and a digest of its code (`code_digest`), its id and options (canonical JSON), the dataset section
(field mapping, kind, tokenizer), the columns the run reads, whether it keeps every finding, and the content of
the files it reads besides the data. The shared part (statistics, presence, types, faults): the dataset section,
the columns, the fields the checks read, the sketched features. The file's record (its stat or etag and version,
sha256) is found by the file's path and index: the pre-check before the sha256 confirms it, or, when every field
of the stat is what the record holds (below), in place of hashing the file again."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from traingate.contracts.model import Contract
from traingate.data.chunk import max_line_bytes
from traingate.data.sources import SourceFile
from traingate.engine.assemble import side_files
from traingate.engine.presence import all_needs
from traingate.engine.stats_collector import sketched_features
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings
from traingate.version import __version__


def digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


PACKAGE = Path(__file__).resolve().parents[1]  # traingate's own folder


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 of traingate's code: every .py file of the package, by its path in it. An edited check (an
    editable install keeps its version number) then keys new entries instead of reusing the old code's."""
    whole = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        whole.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return whole.hexdigest()


def _module_digest(validator: Validator[Any, Any]) -> str:
    """sha256 of the module of a check from another distribution ('' for traingate's own: code_digest)."""
    found = getattr(sys.modules.get(type(validator).__module__), "__file__", None)
    if not found or Path(found).resolve().is_relative_to(PACKAGE):
        return ""
    try:
        return hashlib.sha256(Path(found).read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _dataset(contract: Contract) -> Any:
    """The dataset section without the data's paths (splits, exclude): which files are read is the files' part."""
    return contract.dataset.model_dump(mode="json", exclude={"splits", "exclude"})


def check_keys(contract: Contract, validators: list[Validator[Any, Any]], columns: set[str]) -> list[str]:
    configs = list(contract.all_checks())
    return [digest("check", __version__, code_digest(), _module_digest(v), v.check_id, c.model_dump(mode="json"),
                   _dataset(contract), sorted(columns),
                   isinstance(v, ListsFindings) and v.keeps_findings,
                   [(s.path, s.sha256) for s in side_files([v])], max_line_bytes())
            for v, c in zip(validators, configs)]


def shared_key(contract: Contract, validators: list[Validator[Any, Any]], columns: set[str]) -> str:
    findings = any(isinstance(v, ListsFindings) and v.keeps_findings for v in validators)
    needs = sorted(str(n) for n in all_needs(validators))
    return digest("shared", __version__, code_digest(), _dataset(contract), sorted(columns), needs,
                  sketched_features(contract), findings, max_line_bytes())


SETTLE_NS = 2_000_000_000
"""A local file's stat vouches for its content only when it last changed this long before it was taken: a
write in the same tick of the filesystem's clock as the stat (or within a coarse filesystem's 2 s) could
change the content and leave every field as it was."""
WEAK = ("size", "mtime_ns", "etag", "version")  # the fields that say whether an entry is worth confirming


def identity(source: SourceFile) -> dict[str, Any]:
    """What tells, without reading it, whether a file may have changed: its size, and the local file's
    mtime, ctime, inode and device (ctime is the kernel's: no user call sets it, so an edit that puts back
    size and mtime still moves it), or the remote object's etag and version."""
    found: dict[str, Any] = {"size": source.size, "mtime_ns": None, "ctime_ns": None, "inode": None,
                             "device": None, "etag": source.etag, "version": source.version}
    if source.url is None and "://" not in source.path:
        try:
            info = os.stat(source.path)
        except OSError:
            return found
        found.update(mtime_ns=info.st_mtime_ns, ctime_ns=info.st_ctime_ns, inode=info.st_ino, device=info.st_dev)
    return found


def same_file(recorded: Any, now: dict[str, Any]) -> bool:
    """Whether a file's record may describe it still (size and mtime, or etag and version, unchanged): its
    entries are then used once the file's sha256 confirms them."""
    return isinstance(recorded, dict) and all(recorded.get(k) == now[k] for k in WEAK)


def settled(found: dict[str, Any], at_ns: int) -> bool:
    """Whether this identity, taken at `at_ns` before the file was hashed, can later stand for the hash: a
    local file's every field known and its last change SETTLE_NS before; a remote object with an etag or a
    version (its store gives each write a new one)."""
    if found["mtime_ns"] is None:
        return found["etag"] is not None or found["version"] is not None
    known = None not in (found["ctime_ns"], found["inode"], found["device"])
    return known and max(found["mtime_ns"], found["ctime_ns"]) < at_ns - SETTLE_NS


def record_key(source: SourceFile, index: int) -> str:
    return digest("record", __version__, source.path, index, source.split)


def placed(source: SourceFile, index: int, sha256: str) -> list[Any]:
    """A file as the keys of what is folded from it know it: its content, its place in the run, its shown path,
    split, format and compression."""
    return [sha256, index, source.path, source.split, source.format, source.compression]


def entry_key(sha256: str, source: SourceFile, index: int, part: str) -> str:
    return digest("entry", *placed(source, index, sha256), part)
