"""The parts of a RunResult that describe what was read: each file with its sha256, the dataset (rows,
faults, shards, what stopped the run early), the contract with the files its checks read besides the data."""

from __future__ import annotations

import glob
import hashlib
import os
from concurrent.futures import Future
from typing import Any

from traingate.contracts.model import Contract
from traingate.data.readers import open_raw
from traingate.data.sources import SourceFile, describe
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.folded import Folded
from traingate.errors import SourceError
from traingate.results.model import ContractInfo, DatasetInfo, Fault, FileInfo, SideFile
from traingate.validators.common.base import Validator


def sha256_file(source: SourceFile) -> str:
    """The file's sha256; a remote object that cannot be read to the end (its store stopped answering) is a
    SourceError naming it, as in the pass."""
    digest = hashlib.sha256()
    try:
        with open_raw(source) as raw:
            while block := raw.read(1 << 22):
                digest.update(block)
    except OSError as exc:
        if "://" not in source.path:
            raise
        raise SourceError(str(exc)) from None
    return digest.hexdigest()


def side_files(validators: list[Validator[Any, Any]]) -> list[SideFile]:
    """The files checks read besides the data, globs expanded, each with its sha256 (local files)."""
    paths = [p for v in validators for pattern in v.side_files()
             for p in (sorted(glob.glob(pattern)) if "://" not in pattern and glob.has_magic(pattern) else [pattern])]
    return [SideFile(path=p if "://" in p else os.path.abspath(p),
                     sha256=None if "://" in p else sha256_file(describe(p, "side"))) for p in dict.fromkeys(paths)]


def contract_info(contract: Contract, validators: list[Validator[Any, Any]]) -> ContractInfo:
    return ContractInfo(name=contract.contract, version=contract.version, sha256=contract.sha256,
                        path=contract.source_path, description=contract.description,
                        side_files=side_files(validators))


def file_infos(files: list[SourceFile], hashes: list[Future[str]], folded: Folded) -> list[FileInfo]:
    """Each file read, with its sha256 (hashed while the data was read), its rows and bad records."""
    return [FileInfo(path=f.path, split=f.split, format=f.format, bytes=f.size, sha256=h.result(),
                     absolute_path=f.path if "://" in f.path else os.path.abspath(f.path),
                     rows=folded.rows_per_file[i], bad_records=folded.faults.per_file.get(i, 0),
                     etag=f.etag, version_id=f.version)
            for i, (f, h) in enumerate(zip(files, hashes))]


def dataset_info(contract: Contract, infos: list[FileInfo], folded: Folded, fault_samples: list[Fault],
                 limit: int | None, shard_count: int, failed_shards: list[str]) -> DatasetInfo:
    faults = folded.faults
    return DatasetInfo(kind=contract.dataset.kind, files=infos, rows=folded.rows,
                       fingerprint=hashlib.sha256("".join(fi.sha256 for fi in infos).encode()).hexdigest(),
                       bad_records=faults.total, faults=fault_samples, fault_counts=dict(sorted(faults.by_kind.items())),
                       limited_to=limit if limit is not None and folded.rows >= limit else None,
                       tokenizer=get_tokenizer(contract.dataset.tokenizer).name, text_fields=text_fields(contract),
                       shards=shard_count, errored_shards=failed_shards, stopped_early=folded.stopped,
                       memory_actions=folded.memory_actions)


def text_fields(contract: Contract) -> list[str]:
    """The text fields read: the kind's required ones and the optional ones the contract maps."""
    from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS
    ds = contract.dataset
    wanted = [f for f in TEXT_FIELDS[ds.kind] if f in KIND_FIELDS[ds.kind][0] or f in ds.fields]
    return [f"{f} -> {ds.column(f)}" for f in wanted]
