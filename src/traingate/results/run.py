"""The run result as a whole: distributions and sketches of the data, the contract, the gate, and the run
(traingate.results.model names them all); `run_json_schema()` publishes its JSON Schema."""

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from traingate import empty
from traingate.results.dataset import DatasetInfo
from traingate.results.model import SCHEMA_VERSION, CheckResult, Limit, Model, Verdict


class Histogram(Model):
    """Counts of a distribution's values per bin."""

    edges: list[float] = Field(description="Bin edges, one more than counts: bin i holds edges[i] <= value < edges[i + 1], "
                               "the last bin also its upper edge, which is at or above the maximum. (Runs written before "
                               "1.1 hold lower edges only, as many as counts, the last bin open-ended.)")
    counts: list[int] = Field(description="Values per bin.")


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
