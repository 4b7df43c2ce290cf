"""The parts nested in the details of several checks, each a typed shape with its fields described: a cluster
of rows and the prompts repeated with other content (duplicates, split leakage, conflicting labels), the eval
items leaked and each eval set's losses (contamination), a value's target band of shares (coverage), an
annotator's deviation and the share of items a check kept (agreement), a feature's drift (drift). The report
sections that draw them are in details.py."""

from __future__ import annotations

from pydantic import Field

from traingate.results.details import Absent, Part
from traingate.results.model import Sample


class Cluster(Part):
    """Rows that hold the same content: how many, and the first of them."""

    size: int = Field(description="Rows in the cluster.")
    members: list[Sample] = Field(description="The first rows of the cluster (at most 3), each excerpt marked where "
                                  "it first differs from the first member's.")


class PromptConflicts(Part):
    """Prompts that repeat with different content (the rest of the row differs)."""

    prompts: int = Field(description="Prompts (context and prompt fields together) that repeat with different content.")
    rows: int = Field(description="Rows holding one of those prompts.")
    examples: list[Cluster] = Field(description="The largest groups of rows sharing a prompt (at most 3).")


class LeakedItem(Part):
    """An eval item found in the data."""

    item: int = Field(description="The item's index in its eval set (0-based, in file order).")
    line: int = Field(description="The item's line in the eval set file.")
    excerpt: str = Field(description="The item's text, truncated.")
    best_share: float = Field(description="The largest share of the item's n-grams one row holds.")
    row_count: int = Field(description="Rows holding at least `min_overlap` of the item's n-grams.")
    rows: list[Sample] = Field(description="The first of those rows (at most 3).")


class EvalSetLeaks(Part):
    """What one eval set lost to the data."""

    name: str = Field(description="The eval set's name (its `name` option, else its file name).")
    item_count: int = Field(description="Items in the eval set.")
    too_short: int = Field(description="Items with fewer words than `min_words`, not looked for.")
    leaked_items: int = Field(description="Items of the set found in at least one row.")
    contaminated_rows: int = Field(description="Rows holding at least one item of the set.")
    leaked: list[LeakedItem] = Field(description="The first leaked items, in item order.")


class ShareBand(Part):
    """A value's target band of shares."""

    min: float | None = Field(description="Smallest share of rows with the value (null: none).")
    max: float | None = Field(description="Largest share of rows with the value (null: none).")


class AnnotatorDeviation(Part):
    """How far one annotator's labels stand from the others' consensus."""

    annotator: str = Field(description="The annotator (a name#2 is the same annotator's second label of an item).")
    labels: int = Field(description="Items this annotator labelled that others labelled too.")
    deviation: float = Field(description="Nominal labels: the share that differs from the others' majority; "
                                         "else the mean distance from the others' mean.")


class SampledShare(Part):
    """The hash-chosen share of items a check kept to stay under the run's memory limit."""

    share: float = Field(description="Share of items kept (chosen by item hash).")
    items_kept: int = Field(description="Items the figures were computed on.")
    why: str = Field(description="Why a share was kept.")


class DriftRow(Part):
    """One feature's drift against the reference."""

    feature: str = Field(description="The feature: chars.<field>, tokens.<field>, turns, language, a column, ...")
    kind: str = Field(description="numeric or categorical.")
    reference_count: int = Field(description="Values in the reference.")
    current_count: int = Field(description="Values in this data.")
    basis: str = Field(description="exact (every value), histogram (fixed bins, within 0.55%) or top_k (the most "
                       "frequent labels, the rest as other): the coarser of the two sketches.")
    psi: float = Field(description="Population stability index (numeric: over the reference's decile bins).")
    js: Absent[float] = Field(None, description="Jensen-Shannon distance, base 2 (categorical).")
    ks: Absent[float] = Field(None, description="Kolmogorov-Smirnov statistic (numeric).")
    ks_p_value: Absent[float] = Field(None, description="Its asymptotic two-sided p-value (numeric).")
    chi2_p_value: Absent[float] = Field(None, description="The chi-square test's p-value that the label counts "
                                        "come from one distribution (categorical).")
    wasserstein: Absent[float] = Field(None, description="Wasserstein-1 distance in the feature's unit (numeric).")
    wasserstein_normalised: Absent[float] = Field(None, description="It divided by the reference's standard deviation "
                                                   "(its mean absolute value when that is 0).")
    limits: dict[str, float] = Field(description="The limit of each measure judged.")
    flagged_by: list[str] = Field(description="The sizes at or over their limit, when the test's p-value is under "
                                  "its limit (else none).")
    flagged: bool = Field(description="The feature moved: the test finds a difference and some size reaches its limit.")
    warned: bool = Field(False, description="PSI at or over psi_warn, under psi.")
