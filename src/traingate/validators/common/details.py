"""The sections of the HTML report, and the details models that several checks share.

A details model says what the report draws for it by subclassing sections: `ReasonCounts` (bars of rows per
reason), `ClusterListing` (duplicate clusters), `ShareListing` (a feature's shares against their targets)...
A section names the fields it reads, with their types (`needs`); a model that subclasses a section without
declaring them so is refused when its class is made. A section declares no field itself, so each model keeps
its keys in the order the run JSON has always had them. The parts those fields hold (a cluster, an eval set's
leaks, a share band...) are in details_parts.py."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from traingate.results.details import Absent, CheckDetails
from traingate.validators.common.details_parts import (
    AnnotatorDeviation,
    Cluster,
    DriftRow,
    EvalSetLeaks,
    PromptConflicts,
    ShareBand,
)


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
