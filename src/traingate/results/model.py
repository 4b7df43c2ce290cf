"""The run result: what every reporter presents and what `--json` writes. Field names are fixed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.1"
Status = Literal["passed", "failed", "errored", "skipped"]
Verdict = Literal["passed", "warned", "failed", "errored"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sample(Model):
    """One failing row, capped and reproducible (bottom-k by a seeded row hash)."""

    file: str = Field(description="Data file the row came from.")
    line: int = Field(description="1-based line (JSONL/CSV; the line a JSON array item starts on), item (a JSON "
                      "array whose items share lines) or row (Parquet/Arrow).")
    unit: str = Field("line", description="What `line` counts: line, item or row.")
    field: str | None = Field(None, description="Logical field holding the finding.")
    reason: str = Field(description="Short reason code, e.g. empty_turn.")
    excerpt: str = Field("", description="Text around the finding, truncated; never more than 400 characters.")
    span: tuple[int, int] | None = Field(None, description="Offending span inside `excerpt` (start, end).")


class Location(Model):
    """Where a row is: its file and line (or item, or row, as `unit` says)."""

    file: str
    line: int
    unit: str = "line"


class Threshold(Model):
    kind: Literal["max_count", "max_rate", "min_share", "min", "none"] = Field(
        description="none: the check fails on any finding.")
    value: float


class CheckResult(Model):
    id: str = Field(description="Unique id in the run: the check's name or group.type.")
    group: str = Field(description="Quality dimension: format, quantity, ...")
    type: str
    severity: Literal["error", "warn", "info"]
    status: Status
    description: str = ""
    metric: str = Field("", description="Name of the metric compared with the threshold.")
    value: float | None = Field(None, description="The metric's value.")
    threshold: Threshold | None = None
    rows: int = Field(0, description="Rows the check looked at.")
    findings: int = Field(0, description="Rows with at least one finding.")
    rate: float | None = Field(None, description="findings / rows.")
    message: str = Field("", description="One sentence a reviewer reads.")
    details: dict[str, Any] = Field(default_factory=dict, description="Counts per reason and other figures.")
    samples: list[Sample] = Field(default_factory=list)
    first_failure: Location | None = Field(None, description="The first failing row in data order (files in order, "
                                           "then line), for checks that flag rows one by one.")
    error: str | None = Field(None, description="Reason code and message when status is errored.")


class FileInfo(Model):
    path: str
    split: str
    format: str
    bytes: int
    sha256: str
    rows: int = 0
    bad_records: int = 0
    absolute_path: str | None = Field(None, description="The file as validate found it, from the root (the "
                                      "same as path for a URL): what promote hashes again, from any directory.")


class Fault(Model):
    file: str
    line: int
    unit: str = "line"
    kind: str = Field(description="invalid_json, invalid_utf8, not_an_object, type_mismatch, bad_csv_row, ...")
    message: str
    excerpt: str = ""


class SkippedFile(Model):
    path: str
    reason: str = Field(description="Why it was not read: a dataset card, excluded by a pattern, ...")


class DatasetInfo(Model):
    kind: str
    files: list[FileInfo]
    rows: int
    fingerprint: str = Field(description="sha256 over the files' sha256 values, in order.")
    bad_records: int = 0
    faults: list[Fault] = Field(default_factory=list, description="Capped samples of unreadable records.")
    fault_counts: dict[str, int] = Field(default_factory=dict)
    limited_to: int | None = Field(None, description="Set when --limit stopped the read early.")
    tokenizer: str
    text_fields: list[str] = Field(default_factory=list)
    shards: int = Field(1, description="Pieces the data was read in (files, byte ranges, row groups).")
    errored_shards: list[str] = Field(default_factory=list,
                                      description="Shards that failed twice, with file, range and error; the gate fails.")
    stopped_early: str | None = Field(None, description="Why reading stopped before the end (--max-memory).")
    memory_actions: list[str] = Field(default_factory=list,
                                      description="Checks that kept a hash-chosen share of rows to stay under --max-memory.")
    skipped_files: list[SkippedFile] = Field(default_factory=list,
                                             description="Files given (or found in a folder) and not read, each with the reason.")
    inputs: list[str] | None = Field(None, description="The data as given, `split=path` with local paths absolute (or "
                                     "the contract's splits): promote lists them again to find files added or removed.")
    exclude: list[str] = Field(default_factory=list, description="Glob patterns of files not read: the contract's "
                               "dataset.exclude, then --exclude, then each relative path pattern made absolute.")


class Histogram(Model):
    edges: list[float] = Field(description="Bin edges, one more than counts: bin i holds edges[i] <= value < edges[i + 1], "
                               "the last bin also its upper edge, which is at or above the maximum. (Runs written before "
                               "1.1 hold lower edges only, as many as counts, the last bin open-ended.)")
    counts: list[int]


class Distribution(Model):
    name: str = Field(description="e.g. chars.prompt, tokens.response, turns")
    count: int
    sum: float
    min: float | None
    max: float | None
    mean: float | None
    quantiles: dict[str, float] = Field(default_factory=dict, description="p50, p90, p99: the smallest value with at least "
                                        "that share of the values at or below it (numpy's inverted_cdf), over `quantile_basis`.")
    quantile_basis: Literal["exact", "sample", "bin_edge"] = Field(
        "bin_edge", description="exact: over every value; sample (more values than the sample holds): the histogram bin "
        "from every value (exact below 64), the place in it from the `quantile_sample` rows of smallest row hash, the "
        "same rows for any split, so within the bin's 4.4%; bin_edge (runs before 1.1): upper bin edges, up to 4.4% high.")
    quantile_sample: int | None = Field(None, description="Values the quantiles were computed from.")
    histogram: Histogram

    def quantile_note(self) -> str:
        """What the quantiles are, in words, wherever they are shown."""
        if self.quantile_basis == "exact":
            return "exact"
        if self.quantile_basis == "sample":
            return f"bins of all {self.count:,} values, placed in the bin by a seeded sample of {self.quantile_sample or 0:,}"
        return "upper histogram bin edges, up to 4.4% high"


class SideFile(Model):
    path: str = Field(description="Absolute path (or URL) of a file a check read besides the data.")
    sha256: str | None = Field(None, description="Its sha256 (none for a remote file).")


class ContractInfo(Model):
    name: str
    version: str
    sha256: str
    path: str | None
    description: str | None = None
    side_files: list[SideFile] = Field(default_factory=list, description="Files the checks read besides the data "
                                       "(eval sets, reference texts), with their sha256: promote refuses a run "
                                       "when one changed since.")


class Gate(Model):
    verdict: Verdict
    fail_on: Literal["error", "warn"]
    exit_code: int
    reasons: list[str] = Field(default_factory=list)


class RunResult(Model):
    schema_version: str = SCHEMA_VERSION
    tool_version: str
    run_id: str
    started_at: str
    finished_at: str
    contract: ContractInfo
    dataset: DatasetInfo
    checks: list[CheckResult]
    distributions: list[Distribution] = Field(default_factory=list)
    gate: Gate
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds: total, read, per check id.")
    resources: dict[str, float] = Field(default_factory=dict, description="peak_rss_mib of the driver, "
                                        "worker_peak_rss_mib of the largest worker process or Ray worker (0 in one process).")
    attestation: dict[str, Any] | None = Field(
        None, description="Set by `validate --key`: a DSSE envelope around an in-toto Statement v1 of this run (its "
        "files and their sha256, the contract, the verdict, every check's status and value, whether it was limited "
        "or sampled). The statement's predicate.run_sha256 is the sha256 of this JSON without this field, so an "
        "edit anywhere breaks the signature.")
