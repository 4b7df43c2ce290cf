"""What exact_duplicates finishes with: its details (the clusters of rows equal after normalisation, their
sizes, the largest of them; with prompt fields, the prompts repeated with other content) and the message that
sums them up."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pydantic import Field

from traingate.results.details import Absent
from traingate.results.words import counted
from traingate.validators.common.details import ClusterListing, PromptConflictListing
from traingate.validators.common.details_parts import Cluster, PromptConflicts
from traingate.validators.uniqueness.ranked import Ranked

if TYPE_CHECKING:
    from traingate.validators.uniqueness.exact import ExactDuplicatesCheck


class ExactDuplicatesDetails(ClusterListing, PromptConflictListing):
    """Clusters of rows equal after normalisation; with prompt fields, the prompts repeated with other content."""

    fields: list[str] = Field(description="Logical fields compared.")
    normalize: list[str] = Field(description="Normalisation steps applied before comparing.")
    clusters: int = Field(description="Clusters of two or more equal rows.")
    duplicate_rows: int = Field(description="Rows beyond the first of each cluster.")
    cluster_sizes: dict[str, int] = Field(description="Clusters per size (rows in the cluster), smallest size first.")
    largest_clusters: list[Cluster] = Field(description="The largest clusters (at most `top_clusters`), largest first.")
    bytes_per_row: int = Field(description="Memory the check holds per row.")
    same_prompt_different_content: Absent[PromptConflicts] = Field(
        None, description="Prompts that repeat with different content (when the kind has prompt fields besides "
        "the content compared).")


def exact_details(config: ExactDuplicatesCheck, fields: list[str], groups: Ranked, conflicts: Ranked,
                  largest: list[Cluster], examples: list[Cluster] | None) -> ExactDuplicatesDetails:
    """The details of the clusters `groups` and the prompt conflicts `conflicts` (largest first), the `largest`
    clusters listed; `examples`: the largest prompt conflicts shown, None without prompt fields."""
    return ExactDuplicatesDetails(
        fields=fields, normalize=list(config.normalize), clusters=len(groups),
        duplicate_rows=int((groups.sizes - 1).sum()),
        cluster_sizes={str(k): v for k, v in sorted(Counter(groups.sizes.tolist()).items())},
        largest_clusters=largest, bytes_per_row=24 if examples is not None else 16,
        same_prompt_different_content=PromptConflicts(prompts=len(conflicts), rows=int(conflicts.sizes.sum()),
                                                      examples=examples) if examples is not None else None)


def exact_message(details: ExactDuplicatesDetails, rows: int, conflicts: int) -> str:
    """The message of the details over `rows` rows, `conflicts` prompts repeating with different content."""
    duplicates = details.duplicate_rows
    rate = duplicates / rows if rows else 0.0
    return (f"{counted(duplicates, 'duplicate row')} in {counted(details.clusters, 'cluster')} among "
            f"{counted(rows, 'row')} ({rate:.2%})"
            + (f"; {conflicts} prompts repeat with different content" if conflicts else ""))
