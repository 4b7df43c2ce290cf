"""The run result: what every reporter presents and what `--json` writes. Field names are fixed; every field
is described, and `run_json_schema()` publishes the JSON Schema of a run (a check's `details` follow the model
its check type registered: traingate.contracts.registry.details_model)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from traingate import empty

SCHEMA_VERSION = "1.3"
Status = Literal["passed", "failed", "errored", "skipped"]
Verdict = Literal["passed", "warned", "failed", "errored"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sample(Model):
    """One failing row, capped and reproducible (chosen by a seeded row hash)."""

    file: str = Field(description="Data file the row came from.")
    line: int = Field(description="1-based line (JSONL/CSV; the line a JSON array item starts on), item (a JSON "
                      "array whose items share lines) or row (Parquet/Arrow).")
    unit: str = Field("line", description="What `line` counts: line, item or row.")
    field: str | None = Field(None, description="Logical field holding the finding.")
    reason: str = Field(description="Short reason code, e.g. empty_turn.")
    excerpt: str = Field("", description="Text around the finding, truncated; never more than 400 characters.")
    span: tuple[int, int] | None = Field(None, description="Offending span inside `excerpt` (start, end).")
    value: float | None = Field(None, description="The measured value behind the finding (since 1.2): a token or "
                                "character count, an entity score, a similarity.")
    measure: str | None = Field(None, description="What `value` measures, as a unit: tokens, chars, score, similarity.")
    role: str | None = Field(None, description="The role of the chat turn holding the finding (user, assistant, ...).")
    turn: int | None = Field(None, description="0-based index of the chat turn holding the finding.")
    recognizer: str | None = Field(None, description="What found it: a PII recognizer, a secret rule.")


class Location(Model):
    """Where a row is: its file and line (or item, or row, as `unit` says)."""

    file: str = Field(description="Data file the row came from.")
    line: int = Field(description="1-based line, item or row of the file, as `unit` says.")
    unit: str = Field("line", description="What `line` counts: line, item or row.")


class Threshold(Model):
    """The limit a check's metric was compared with."""

    kind: Literal["max_count", "max_rate", "min_share", "min", "none"] = Field(
        description="max_count: most findings allowed; max_rate: largest share of rows with a finding; min_share: "
        "smallest share of rows without one (an expectation's `mostly`); min: smallest value of the metric; none: the "
        "check fails on any finding.")
    value: float = Field(description="The limit (0 for none).")


class CheckResult(Model):
    """What one check of the contract found."""

    id: str = Field(description="Unique id in the run: the check's name or group.type.")
    group: str = Field(description="Quality dimension: format, quantity, ...")
    type: str = Field(description="The check type, e.g. exact_duplicates.")
    severity: Literal["error", "warn", "info"] = Field(
        description="What a failure does to the gate: error fails it, warn fails it under fail_on: warn (else "
        "warns), info never does.")
    status: Status = Field(description="passed, failed, errored (the check could not run: see `error`) or skipped.")
    description: str = Field("", description="The check's description from the contract, else its type's summary.")
    metric: str = Field("", description="Name of the metric compared with the threshold.")
    value: float | None = Field(None, description="The metric's value.")
    threshold: Threshold | None = Field(None, description="The limit the metric was compared with (none for a "
                                        "check that judges otherwise).")
    rows: int = Field(0, description="Rows the check looked at.")
    findings: int = Field(0, description="Rows with at least one finding.")
    rate: float | None = Field(None, description="findings / rows.")
    message: str = Field("", description="One sentence a reviewer reads.")
    details: dict[str, Any] = Field(default_factory=empty.dict_, description="Counts per reason, clusters and other "
                                    "figures, as the check type's details model describes them (`traingate checks`, "
                                    "docs); kept as JSON so that masking and older runs read back alike.")
    samples: list[Sample] = Field(default_factory=empty.list_, description="Failing rows chosen by a seeded row hash (the "
                                  "same rows for any split of the data): each reason's row of smallest hash, then the "
                                  "rows of smallest hash up to 20 in all; with more reasons, one row for each of at "
                                  "most 64.")
    first_failure: Location | None = Field(None, description="The first failing row in data order (files in order, "
                                           "then line), for checks that flag rows one by one.")
    error: str | None = Field(None, description="Reason code and message when status is errored.")


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

    def line(self) -> str:
        """What the run took from the cache, in one line (terminal and HTML)."""
        total = len(self.cached_files) + len(self.read_files)
        text = f"{len(self.cached_files)} of {total} file(s) from the cache {self.directory}, {len(self.read_files)} read"
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


class Histogram(Model):
    """Counts of a distribution's values per bin."""

    edges: list[float] = Field(description="Bin edges, one more than counts: bin i holds edges[i] <= value < edges[i + 1], "
                               "the last bin also its upper edge, which is at or above the maximum. (Runs written before "
                               "1.1 hold lower edges only, as many as counts, the last bin open-ended.)")
    counts: list[int] = Field(description="Values per bin.")


class Limit(Model):
    """A bound a check puts on a distribution's values."""

    check: str = Field(description="Id of the check that sets it.")
    kind: Literal["min", "max"] = Field(description="min: values below it fail; max: values above it fail.")
    value: float = Field(description="The bound.")


class Distribution(Model):
    """A figure of every row (characters or tokens of a field, turns) summarised over the run."""

    name: str = Field(description="e.g. chars.prompt, tokens.response, turns")
    count: int = Field(description="Values summarised.")
    sum: float = Field(description="Sum of the values.")
    min: float | None = Field(description="Smallest value (null when there is none).")
    max: float | None = Field(description="Largest value (null when there is none).")
    mean: float | None = Field(description="Mean of the values (null when there is none).")
    quantiles: dict[str, float] = Field(default_factory=empty.dict_,
                                        description="p50, p90, p99: the smallest value with at least that share of the "
                                        "values at or below it (numpy's inverted_cdf), over `quantile_basis`.")
    quantile_basis: Literal["exact", "sample", "bin_edge"] = Field(
        "bin_edge", description="exact: over every value; sample (more values than the sample holds): the histogram bin "
        "from every value (exact below 64), the place in it from the `quantile_sample` rows of smallest row hash, the "
        "same rows for any split, so within the bin's 4.4%; bin_edge (runs before 1.1): upper bin edges, up to 4.4% high.")
    quantile_sample: int | None = Field(None, description="Values the quantiles were computed from.")
    histogram: Histogram = Field(description="The values per bin.")
    limits: list[Limit] = Field(default_factory=empty.list_, description="The contract's limits on these values (since 1.2): "
                                "a max_tokens check on the same field, drawn on the chart's axis.")

    def quantile_note(self) -> str:
        """What the quantiles are, in words, wherever they are shown."""
        if self.quantile_basis == "exact":
            return "exact"
        if self.quantile_basis == "sample":
            return f"bins of all {self.count:,} values, placed in the bin by a seeded sample of {self.quantile_sample or 0:,}"
        return "upper histogram bin edges, up to 4.4% high"


class Sketch(Model):
    """A feature's values summarised so that a later run can measure drift against them (since 1.3)."""

    name: str = Field(description="The feature: chars.<field>, tokens.<field>, turns, language, output_format, a "
                      "column, ...")
    kind: Literal["numeric", "categorical"] = Field(description="numeric: numbers per row; categorical: a label per row.")
    count: int = Field(description="Values summarised (rows with the feature).")
    basis: Literal["exact", "histogram", "top_k"] = Field(
        description="exact: every distinct value with its count; histogram (a numeric feature of more distinct values "
        "than the cap): each value's fixed bin, given by its lower edge (whole numbers below 2,048 are their own bin, "
        "others bins 1/128 octave wide, within 0.55% of the value); top_k (a categorical feature of more labels than "
        "are kept): the most frequent labels, the rest counted in `other`.")
    values: list[float] | list[str] = Field(description="The distinct values (or bin lower edges), ascending; or the "
                                            "labels, most frequent first.")
    counts: list[int] = Field(description="How many values each holds, in the same order.")
    other: int = Field(0, description="Categorical: values of labels not listed.")


class SideFile(Model):
    """A file a check read besides the data."""

    path: str = Field(description="Absolute path (or URL) of a file a check read besides the data.")
    sha256: str | None = Field(None, description="Its sha256 (none for a remote file).")


class ContractInfo(Model):
    """The contract the run checked against."""

    name: str = Field(description="The contract's name (its `contract` key).")
    version: str = Field(description="The contract's version (semver).")
    sha256: str = Field(description="sha256 of the contract file's bytes (empty for a contract given as text).")
    path: str | None = Field(description="The contract file as given.")
    description: str | None = Field(None, description="The contract's description.")
    side_files: list[SideFile] = Field(default_factory=empty.list_, description="Files the checks read besides the data "
                                       "(eval sets, reference texts), with their sha256: promote refuses a run "
                                       "when one changed since.")


class Gate(Model):
    """The verdict of the run and why."""

    verdict: Verdict = Field(description="passed; warned (a warn check failed, fail_on: error); failed (a blocking "
                             "check failed, or too many unreadable records); errored (a check or a shard could not "
                             "run, or no row was read).")
    fail_on: Literal["error", "warn"] = Field(description="The contract's gate.fail_on: the lowest severity whose "
                                              "failure fails the gate.")
    exit_code: int = Field(description="The command's exit code: 0 passed or warned, 1 failed, 3 errored.")
    reasons: list[str] = Field(default_factory=empty.list_, description="One sentence per reason for the verdict.")


class RunResult(Model):
    """One validation run: the contract, the data, every check's result and the gate's verdict."""

    schema_version: str = Field(SCHEMA_VERSION, description="Version of this format (major.minor).")
    tool_version: str = Field(description="The traingate version that ran.")
    run_id: str = Field(description="A random id of the run (32 hex digits).")
    started_at: str = Field(description="When the run started (ISO 8601, UTC).")
    finished_at: str = Field(description="When the run finished (ISO 8601, UTC).")
    contract: ContractInfo = Field(description="The contract checked against.")
    dataset: DatasetInfo = Field(description="The data read.")
    checks: list[CheckResult] = Field(description="One result per check of the contract, in the contract's order.")
    distributions: list[Distribution] = Field(default_factory=empty.list_, description="Length and turn distributions of "
                                              "the kind's text fields.")
    sketches: list[Sketch] = Field(default_factory=empty.list_, description="Per feature, its values summarised for "
                                   "drift against a later run (since 1.3): characters and tokens per text field and "
                                   "turns always, the features a `drift` or `distribution` check names.")
    gate: Gate = Field(description="The verdict.")
    timings: dict[str, float] = Field(default_factory=empty.dict_, description="Seconds: total, read, per check id.")
    resources: dict[str, float] = Field(default_factory=empty.dict_, description="peak_rss_mib of the driver, "
                                        "worker_peak_rss_mib of the largest worker process or Ray worker (0 in one process).")
    warnings: list[str] = Field(default_factory=empty.list_, description="What the run says of how it ran, not of the "
                                "data: --workers or --engine ray chosen for data too small to gain from them, with "
                                "what starting them cost. Left out when empty.")
    attestation: dict[str, Any] | None = Field(
        None, description="Set by `validate --key`: a DSSE envelope around an in-toto Statement v1 of this run (its "
        "files and their sha256, the contract, the verdict, every check's status and value, whether it was limited "
        "or sampled). The statement's predicate.run_sha256 is the sha256 of this JSON without this field, so an "
        "edit anywhere breaks the signature.")

    @model_serializer(mode="wrap")
    def _without_empty_warnings(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.warnings:
            data.pop("warnings", None)
        return data


def run_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a run result, as `--json` writes it and `traingate schema --run` prints it."""
    schema = RunResult.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"traingate-run-{SCHEMA_VERSION}", **schema}
