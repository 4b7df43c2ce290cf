"""Options of the coverage and consistency checks (declaration only)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traingate.contracts.model import CheckConfig, StrictModel
from traingate.contracts.uniqueness import DEFAULT_NORMALISATION, FULL_NORMALISATION, Normalisation


class Band(StrictModel):
    min: float | None = Field(None, ge=0, le=1, description="Smallest share of rows with this value.")
    max: float | None = Field(None, ge=0, le=1, description="Largest share of rows with this value.")


class _FeatureCheck(CheckConfig):
    group: ClassVar[str] = "coverage"
    feature: str = Field(description="language, output_format, length_bucket, turns, or a column name.")
    buckets: tuple[int, int] = Field((200, 1000), description="length_bucket: characters where short and medium end.")


class DistributionCheck(_FeatureCheck):
    summary: ClassVar[str] = "a feature's share per value against target bands, required values and a target mix"
    type: Literal["distribution"]
    targets: dict[str, Band] = Field(default_factory=dict, description="Value -> {min, max} share of rows.")
    required: list[str] = Field(default_factory=list, description="Values that must occur at least once.")
    mix: dict[str, float] | None = Field(None, description="Target share per value (normalised to sum 1).")
    max_divergence: float | None = Field(None, ge=0, le=1,
                                         description="Largest total variation distance from `mix`.")

    @model_validator(mode="after")
    def _something(self) -> DistributionCheck:
        if not self.targets and not self.required and self.mix is None:
            raise ValueError("distribution needs `targets`, `required` or a `mix`")
        if (self.mix is None) != (self.max_divergence is None):
            raise ValueError("`mix` and `max_divergence` go together")
        return self


class DiversityCheck(_FeatureCheck):
    summary: ClassVar[str] = "distinct values and normalised entropy of a feature; distinct-n of the text"
    type: Literal["diversity"]
    feature: str = Field("output_format", description="Feature whose values are counted.")
    min_entropy: float | None = Field(None, ge=0, le=1, description="Smallest entropy / log(distinct values).")
    min_distinct: int | None = Field(None, ge=1, description="Fewest distinct values of the feature.")
    min_distinct_1: float | None = Field(None, ge=0, le=1, description="Smallest distinct unigrams / unigrams.")
    min_distinct_2: float | None = Field(None, ge=0, le=1, description="Smallest distinct bigrams / bigrams.")


class AgreementCheck(CheckConfig):
    group: ClassVar[str] = "consistency"
    summary: ClassVar[str] = "inter-annotator agreement: Krippendorff's alpha, Fleiss' kappa, Cohen's kappa (two annotators)"
    type: Literal["agreement"]
    layout: Literal["long", "wide"] = Field("long", description="long: a row per (item, annotator, label); "
                                                                "wide: a row per item, a column per annotator.")
    item: str = Field("item", description="long: column naming the item.")
    annotator: str = Field("annotator", description="long: column naming the annotator.")
    label: str = Field("label", description="long: column holding the label.")
    annotators: list[str] = Field(default_factory=list, description="wide: one column per annotator.")
    level: Literal["nominal", "ordinal", "interval", "ratio"] = Field("nominal", description="Scale of the labels.")
    min_alpha: float | None = Field(None, ge=-1, le=1, description="Smallest Krippendorff's alpha.")
    min_fleiss_kappa: float | None = Field(None, ge=-1, le=1, description="Smallest Fleiss' kappa (nominal).")
    min_cohen_kappa: float | None = Field(None, ge=-1, le=1, description="Smallest Cohen's kappa (two annotators).")

    @model_validator(mode="after")
    def _layout(self) -> AgreementCheck:
        if self.layout == "wide" and len(self.annotators) < 2:
            raise ValueError("layout: wide needs `annotators`, two columns or more")
        return self


class ConflictingLabelsCheck(CheckConfig):
    group: ClassVar[str] = "consistency"
    summary: ClassVar[str] = "the same normalised input with different labels, scores or responses"
    type: Literal["conflicting_labels"]
    on: list[str] = Field(default_factory=lambda: ["prompt"], description="Logical fields forming the input.")
    label: str | None = Field(None, description="Logical field or column that must agree; default score (reward), "
                                                "chosen (preference), response (others).")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(FULL_NORMALISATION))
    tolerance: float = Field(0.0, ge=0, description="Numeric labels: largest spread that still agrees.")
    top_clusters: int = Field(10, ge=0, le=100)


class PreferenceConsistencyCheck(CheckConfig):
    group: ClassVar[str] = "consistency"
    summary: ClassVar[str] = "preference pairs that contradict each other: swapped (A>B, B>A) or cycles (A>B>C>A)"
    type: Literal["preference_consistency"]
    normalize: list[Normalisation] = Field(default_factory=lambda: list(DEFAULT_NORMALISATION))
