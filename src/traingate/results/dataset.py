"""The data side of a run result: the files read, the records that could not be read, the files skipped
and what a cache supplied (traingate.results.model names them all)."""

from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from traingate import empty
from traingate.results.model import Model


class FileInfo(Model):
    """A data file the run read."""

    path: str = Field(description="The file as given (or found in a folder), or its URL.")
    split: str = Field(description="The split it belongs to (split=path, the contract's splits), else all.")
    format: str = Field(description="jsonl, json, parquet, csv, tsv or arrow.")
    bytes: int = Field(description="Size of the file in bytes.")
    sha256: str = Field(description="sha256 of the file's bytes.")
    rows: int = Field(0, description="Rows read from the file.")
    bad_records: int = Field(0, description="Records of the file that could not be read.")
    absolute_path: str | None = Field(None, description="The file as validate found it, from the root (the "
                                      "same as path for a URL): what promote hashes again, from any directory.")
    etag: str | None = Field(None, description="A remote object's etag (or the checksum its store lists) when the "
                             "run listed it (since 1.3); absent for a local file. `sha256` is still of the bytes read.")
    version_id: str | None = Field(None, description="A remote object's version id (S3, Azure with versioning) or "
                                   "generation (GCS), where its store keeps one (since 1.3); absent otherwise.")

    @model_serializer(mode="wrap")
    def _without_absent_versions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in ("etag", "version_id"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class Fault(Model):
    """A record that could not be read."""

    file: str = Field(description="Data file of the record.")
    line: int = Field(description="1-based line, item or row of the record, as `unit` says.")
    unit: str = Field("line", description="What `line` counts: line, item or row.")
    kind: str = Field(description="invalid_json, invalid_utf8, not_an_object, type_mismatch, bad_csv_row, ...")
    message: str = Field(description="What is wrong with it, in a sentence.")
    excerpt: str = Field("", description="The start of the record, truncated.")


class CacheInfo(Model):
    """What a run with a cache (`validate --cache`) took from it and what it read."""

    directory: str = Field(description="The cache directory.")
    cached_files: list[str] = Field(description="Files whose every state came from the cache: not read.")
    read_files: list[str] = Field(description="Files read in this run (new, changed, or not in the cache).")
    refolded: dict[str, list[str]] = Field(description="Files read for some checks only (their options changed, "
                                           "or their entries were missing or ignored): file -> those checks.")
    entries_written: int = Field(description="Entries written to the cache by this run.")
    finished: list[str] = Field(default_factory=empty.list_, description="Checks whose finished result came from "
                                "the cache: the same state over the same files, kept by an earlier run.")
    merged_files: int = Field(0, description="Leading files whose states came merged, one entry per check kept by "
                              "an earlier run over them, rather than merged file by file.")

    def line(self) -> str:
        """What the run took from the cache, in one line (terminal and HTML)."""
        total = len(self.cached_files) + len(self.read_files)
        text = f"{len(self.cached_files)} of {total} file(s) from the cache {self.directory}, {len(self.read_files)} read"
        text += f" (the first {self.merged_files} merged in one entry per check)" if self.merged_files else ""
        checks = sorted({c for checks in self.refolded.values() for c in checks})
        return text + (f"; checks folded again on cached files: {', '.join(checks)}" if checks else "")


class SkippedFile(Model):
    """A file given (or found in a folder) and not read."""

    path: str = Field(description="The file as given or found.")
    reason: str = Field(description="Why it was not read: a dataset card, excluded by a pattern, ...")


class DatasetInfo(Model):
    """The data the run read."""

    kind: str = Field(description="The contract's dataset kind: pretraining, sft, preference, reward or chat.")
    files: list[FileInfo] = Field(description="The files read, in reading order.")
    rows: int = Field(description="Rows read, over all files.")
    fingerprint: str = Field(description="sha256 over the files' sha256 values, in order.")
    bad_records: int = Field(0, description="Records that could not be read, over all files.")
    faults: list[Fault] = Field(default_factory=empty.list_, description="Capped samples of unreadable records.")
    fault_counts: dict[str, int] = Field(default_factory=empty.dict_, description="Unreadable records per fault kind.")
    limited_to: int | None = Field(None, description="Set when --limit stopped the read early.")
    tokenizer: str = Field(description="The tokenizer that counted tokens.")
    text_fields: list[str] = Field(default_factory=empty.list_, description="The text fields read (the kind's required "
                                   "ones and those the contract maps), each as 'logical field -> column'.")
    shards: int = Field(1, description="Pieces the data was read in (files, byte ranges, row groups).")
    errored_shards: list[str] = Field(default_factory=empty.list_,
                                      description="Shards that failed twice, with file, range and error; the gate fails.")
    stopped_early: str | None = Field(None, description="Why reading stopped before the end (--max-memory).")
    memory_actions: list[str] = Field(default_factory=empty.list_,
                                      description="Checks that kept a hash-chosen share of rows to stay under --max-memory.")
    skipped_files: list[SkippedFile] = Field(default_factory=empty.list_,
                                             description="Files given (or found in a folder) and not read, each with the reason.")
    inputs: list[str] | None = Field(None, description="The data as given, `split=path` with local paths absolute (or "
                                     "the contract's splits): promote lists them again to find files added or removed.")
    exclude: list[str] = Field(default_factory=empty.list_, description="Glob patterns of files not read: the contract's "
                               "dataset.exclude, then --exclude, then each relative path pattern made absolute.")
    cache: CacheInfo | None = Field(None, description="With --cache: the files taken from the cache and those read "
                                    "(absent without a cache).")

    @model_serializer(mode="wrap")
    def _without_absent_cache(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("cache") is None:
            data.pop("cache", None)
        return data
