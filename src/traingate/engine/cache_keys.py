"""What a cache entry is keyed by. A file's part of an entry's key: its content (sha256), where it sits in the
run (its index: row ids carry it, data/rowids.py), its shown path, split, format and compression. A check's
part: the tool's version, its id and options (canonical JSON), the dataset section (field mapping, kind,
tokenizer), the columns the run reads, whether it keeps every finding, and the content of the files it reads
besides the data. The shared part (statistics, presence, types, faults): the dataset section, the columns, the
fields the checks read, the sketched features. The file's record (size, mtime or etag and version, sha256) is
found by the file's path and index: the fast pre-check before the sha256 confirms it."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from traingate.contracts.model import Contract
from traingate.data.sources import SourceFile
from traingate.engine.assemble import side_files
from traingate.engine.presence import all_needs
from traingate.engine.stats import sketched_features
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings
from traingate.version import __version__


def digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _dataset(contract: Contract) -> Any:
    """The dataset section without the data's paths (splits, exclude): which files are read is the files' part."""
    return contract.dataset.model_dump(mode="json", exclude={"splits", "exclude"})


def check_keys(contract: Contract, validators: list[Validator[Any, Any]], columns: set[str]) -> list[str]:
    configs = list(contract.all_checks())
    return [digest("check", __version__, v.check_id, c.model_dump(mode="json"), _dataset(contract), sorted(columns),
                   isinstance(v, ListsFindings) and v.keeps_findings,
                   [(s.path, s.sha256) for s in side_files([v])])
            for v, c in zip(validators, configs)]


def shared_key(contract: Contract, validators: list[Validator[Any, Any]], columns: set[str]) -> str:
    findings = any(isinstance(v, ListsFindings) and v.keeps_findings for v in validators)
    needs = sorted(str(n) for n in all_needs(validators))
    return digest("shared", __version__, _dataset(contract), sorted(columns), needs, sketched_features(contract),
                  findings)


def identity(source: SourceFile) -> dict[str, Any]:
    """What tells, without reading it, whether a file may have changed: size, and mtime (local) or etag and
    version (remote)."""
    mtime = None
    if source.url is None and "://" not in source.path:
        try:
            mtime = os.stat(source.path).st_mtime_ns
        except OSError:
            mtime = None
    return {"size": source.size, "mtime_ns": mtime, "etag": source.etag, "version": source.version}


def record_key(source: SourceFile, index: int) -> str:
    return digest("record", __version__, source.path, index, source.split)


def entry_key(sha256: str, source: SourceFile, index: int, part: str) -> str:
    return digest("entry", sha256, index, source.path, source.split, source.format, source.compression, part)
