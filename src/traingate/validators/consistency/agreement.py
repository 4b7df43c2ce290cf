"""Consistency between annotators. Krippendorff's alpha (the `krippendorff` package) at any level of
measurement, with missing data; Fleiss' kappa and Cohen's kappa (statsmodels) for nominal labels.
State: every (item, annotator, label) triple, about 100 bytes each; under `--max-memory`, the triples
of a hash-chosen share of items, on which the figures are estimated (the labels held and their matrix:
agreement_labels.py). An item or annotator column empty in every row, or one annotator in every row, is a
contract problem (the check errs with a hint)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.errors import require
from traingate.results.details import Absent
from traingate.results.model import CheckResult, Threshold
from traingate.validators.common import shares
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ShedsRows
from traingate.validators.common.contract_problems import KeySeen, named
from traingate.validators.common.details import AnnotatorDeviations, ViolationList
from traingate.validators.common.details_parts import AnnotatorDeviation, SampledShare
from traingate.validators.common.registry import check
from traingate.validators.consistency.agreement_labels import AgreementState, add_long, add_wide, kept, reliability
from traingate.validators.consistency.agreement_stats import agreement_figures, deviation


class AgreementCheck(CheckConfig):
    summary: ClassVar[str] = "inter-annotator agreement: Krippendorff's alpha, Fleiss' kappa, Cohen's kappa (two annotators)"
    type: Literal["agreement"]
    layout: Literal["long", "wide"] = Field("long", description="long: a row per (item, annotator, label); "
                                                                "wide: a row per item, a column per annotator.")
    item: str = Field("item", description="long: column naming the item.")
    annotator: str = Field("annotator", description="long: column naming the annotator.")
    label: str = Field("label", description="long: column holding the label.")
    annotators: list[str] = Field(default_factory=empty.list_, description="wide: one column per annotator.")
    level: Literal["nominal", "ordinal", "interval", "ratio"] = Field("nominal", description="Scale of the labels.")
    min_alpha: float | None = Field(None, ge=-1, le=1, description="Smallest Krippendorff's alpha.")
    min_fleiss_kappa: float | None = Field(None, ge=-1, le=1, description="Smallest Fleiss' kappa (nominal).")
    min_cohen_kappa: float | None = Field(None, ge=-1, le=1, description="Smallest Cohen's kappa (two annotators).")

    @model_validator(mode="after")
    def _layout(self) -> AgreementCheck:
        if self.layout == "wide" and len(self.annotators) < 2:
            raise ValueError("layout: wide needs `annotators`, two columns or more")
        return self


class AgreementDetails(AnnotatorDeviations, ViolationList):
    """Agreement figures over the labels, the counts they rest on, and each annotator's distance from the others."""

    krippendorff_alpha: Absent[float] = Field(None, description="Krippendorff's alpha at the contract's `level` "
                                              "(absent when fewer than two distinct labels or no item labelled twice).")
    fleiss_kappa: Absent[float] = Field(None, description="Fleiss' kappa over the items with the most common number of "
                                        "labels (nominal labels only).")
    cohen_kappa: Absent[float] = Field(None, description="Cohen's kappa over the items both annotators labelled "
                                       "(nominal labels, exactly two annotators).")
    items: int = Field(description="Items labelled (after sampling, when sampled).")
    annotators: int = Field(description="Distinct annotators.")
    labels: int = Field(description="Distinct (item, annotator, label) triples the figures use.")
    duplicate_labels: int = Field(description="Triples submitted more than once (counted once).")
    relabelled: int = Field(description="Further different labels an annotator gave an item (each counts as another "
                            "annotator, name#2).")
    values: list[str] = Field(description="The distinct labels, numbers first in numeric order.")
    violations: list[str] = Field(description="Figures below their minimum, one sentence each.")
    annotator_deviation: list[AnnotatorDeviation] = Field(description="The annotators furthest from the others' "
                                                          "consensus (at most 20), furthest first.")
    sampled: Absent[SampledShare] = Field(None, description="The share of items kept under --max-memory (absent when "
                                          "every item was kept).")


@check("agreement", group="consistency", options=AgreementCheck, details=AgreementDetails)
class AgreementValidator(Validator[AgreementCheck, AgreementState], ShedsRows[AgreementState]):

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # alpha from krippendorff, the kappas of nominal labels from statsmodels
        kappas = ("statsmodels",) if self.config.level == "nominal" else ()
        require(f"the agreement check {self.check_id!r}", "stats", ("krippendorff", *kappas))

    def columns(self) -> set[str]:
        return {n.split(".")[0] for n in self.reads_columns()}

    def reads(self) -> list[str]:
        return []

    def reads_columns(self) -> list[str]:
        c = self.config
        return c.annotators if c.layout == "wide" else [c.item, c.annotator, c.label]

    def create_state(self) -> AgreementState:
        return AgreementState()

    def add_batch(self, state: AgreementState, batch: BatchContext) -> AgreementState:
        c = self.config
        state.rows += batch.num_rows
        if c.layout == "long":
            add_long(state, batch, c.item, c.annotator, c.label)
        else:
            add_wide(state, batch, c.annotators)
        return state

    def merge_states(self, a: AgreementState, b: AgreementState) -> AgreementState:
        below = min(a.keep_below, b.keep_below)
        keys = {k: a.keys.get(k, KeySeen()).merge(b.keys.get(k, KeySeen())) for k in a.keys.keys() | b.keys.keys()}
        return AgreementState(a.rows + b.rows, kept(a.triples, below) + kept(b.triples, below), below, keys)

    def shed(self, state: AgreementState) -> AgreementState:
        """Keep the triples of half of the current share of items (by hash): called when memory runs short."""
        below = state.keep_below // 2
        return AgreementState(state.rows, kept(state.triples, below), below, state.keys)

    def problem(self, state: AgreementState) -> str | None:
        """An item column empty in every row, an annotator column empty or constant in every row (no one to
        agree with), annotator columns (wide) all empty: the contract names the wrong columns. One item for
        every row is a small set, not a problem."""
        c = self.config
        hints = {"item": (f"column {c.item!r}", "set `item:` to the column naming the item each label is about"),
                 "annotator": (f"column {c.annotator!r}", "set `annotator:` to the column naming who gave each label"),
                 "annotators": (named("column", c.annotators),
                                "set `annotators:` to the columns holding each annotator's labels")}
        found = (state.keys[k].problem(*hints[k], constant=k == "annotator") for k in sorted(state.keys))
        return next((p for p in found if p), None)

    def finalize(self, state: AgreementState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        problem = self.problem(state)
        if problem:
            return self.result(status="errored", error=problem, message=problem, rows=state.rows)
        c = self.config
        r = reliability(state.triples, c.level)
        figures = agreement_figures(r.matrix, c.level)
        minimums = {"krippendorff_alpha": c.min_alpha, "fleiss_kappa": c.min_fleiss_kappa, "cohen_kappa": c.min_cohen_kappa}
        failed = [f"{name} {figures.get(name, float('nan')):.3f} < {low}" for name, low in minimums.items()
                  if low is not None and not figures.get(name, -2.0) >= low]
        annotators = len({person for _, person, _ in state.triples})
        message = (f"{len(r.items)} items, {annotators} annotators, {r.labels} labels: "
                   + ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
                   + shares.note(state.keep_below, len(r.items), "items") + ("; " + "; ".join(failed) if failed else ""))
        return self.result(status="failed" if failed else "passed", metric="krippendorff_alpha",
                           value=figures.get("krippendorff_alpha"), threshold=Threshold(kind="min", value=c.min_alpha or 0),
                           rows=state.rows, findings=len(failed), message=message,
                           details=AgreementDetails(
                               **figures, items=len(r.items), annotators=annotators, labels=r.labels,
                               duplicate_labels=len(state.triples) - len(set(state.triples)), relabelled=r.relabelled,
                               values=r.values, violations=failed, annotator_deviation=deviation(r.matrix, r.people, c.level),
                               sampled=shares.details(state.keep_below, len(r.items), "item hash", "items").get("sampled"),
                           ).dump())
