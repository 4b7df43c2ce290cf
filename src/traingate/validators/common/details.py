"""Shapes that the details of several checks share, and the sections of the HTML report.

A details model says what the report draws for it by subclassing sections: `ReasonCounts` (bars of rows per
reason), `ClusterListing` (duplicate clusters), `ShareListing` (a feature's shares against their targets)...
A section names the fields it reads, with their types (`needs`); a model that subclasses a section without
declaring them so is refused when its class is made. A section declares no field itself, so each model keeps
its keys in the order the run JSON has always had them."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from traingate.results.details import Absent, CheckDetails, Part
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


class Section(CheckDetails):
    """A part of the HTML report, drawn for the details models that subclass it."""

    needs: ClassVar[dict[str, Any]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "needs" in cls.__dict__:  # a section itself
            return
        for section in cls.__mro__[1:]:
            for name, annotation in section.__dict__.get("needs", {}).items():
                field = cls.model_fields.get(name)
                if field is None or field.annotation != annotation:
                    found = "no such field" if field is None else f"it is {field.annotation}"
                    raise TypeError(f"{cls.__name__} draws the report section {section.__name__}, which reads "
                                    f"{name}: {annotation} ({found})")


class ReasonCounts(Section):
    """Bars of the rows per reason (per entity, per finding kind)."""

    needs: ClassVar[dict[str, Any]] = {"by_reason": dict[str, int]}


class SplitCounts(Section):
    """The amount per split, on one line."""

    needs: ClassVar[dict[str, Any]] = {"by_split": dict[str, int]}


class ClusterListing(Section):
    """Bars of the clusters per size, and the largest clusters with their members side by side."""

    needs: ClassVar[dict[str, Any]] = {"cluster_sizes": dict[str, int], "largest_clusters": list[Cluster]}


class PromptConflictListing(Section):
    """Prompts that repeat with different content, a few of them shown as clusters."""

    needs: ClassVar[dict[str, Any]] = {"same_prompt_different_content": PromptConflicts | None}


class EvalSetListing(Section):
    """Per eval set, the items that leaked and the rows holding them."""

    needs: ClassVar[dict[str, Any]] = {"eval_sets": list[EvalSetLeaks]}


class ShareListing(Section):
    """A feature's share of rows per value, against the target bands."""

    needs: ClassVar[dict[str, Any]] = {"feature": str, "shares": dict[str, float], "targets": dict[str, ShareBand]}


class AnnotatorDeviations(Section):
    """Per annotator, how far their labels stand from the others' consensus."""

    needs: ClassVar[dict[str, Any]] = {"annotator_deviation": list[AnnotatorDeviation]}


class ViolationList(Section):
    """The figures that missed their targets, one sentence each."""

    needs: ClassVar[dict[str, Any]] = {"violations": list[str]}


class DriftTable(Section):
    """Per feature, its drift measures against the reference, each with its limit, the moved ones marked."""

    needs: ClassVar[dict[str, Any]] = {"features": list[DriftRow]}


class FlagDetails(ReasonCounts):
    """The details of a check that flags rows one by one."""

    by_reason: dict[str, int] = Field(description="Rows per reason code (a row with several reasons counts under "
                                      "each), in the order of the codes.")


class MaskingDetails(CheckDetails):
    """The details of a check that masks what it finds (personal data, secrets) in every text of the run."""

    masked_excerpts: Absent[int] = Field(None, description="Texts of the run masked by this check (excerpts, "
                                         "messages, details, file names), set by the run after every check finished.")


SECTIONS: tuple[type[Section], ...] = (ReasonCounts, SplitCounts, ClusterListing, PromptConflictListing,
                                        EvalSetListing, ShareListing, AnnotatorDeviations, ViolationList, DriftTable)
