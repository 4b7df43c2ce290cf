"""What semantic_duplicates finishes with: its details (the clusters of rows at or above the cosine threshold,
how many rows were embedded and whether only a sample of them, the memory held per row) and the message
that sums them up, read from the details."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from traingate.results.details import Absent
from traingate.results.words import counted
from traingate.validators.common.details import ClusterListing
from traingate.validators.common.details_parts import Cluster
from traingate.validators.uniqueness.semantic_state import BYTES_PER_ROW, VectorState
from traingate.validators.uniqueness.semantic_words import LONG_TOKENS, MIN_SHARED

if TYPE_CHECKING:
    from traingate.validators.uniqueness.semantic import SemanticDuplicatesCheck


class SemanticDuplicatesDetails(ClusterListing):
    """Clusters of rows whose embeddings are at or above the cosine threshold (connected components)."""

    fields: list[str] = Field(description="Logical fields embedded.")
    model: str = Field(description="The embedding model.")
    threshold: float = Field(description="The cosine similarity that makes two rows duplicates.")
    embedded_rows: int = Field(description="Rows embedded and compared (all rows with text, unless sampled).")
    total_rows: int = Field(description="Rows the check saw.")
    sampled: bool = Field(description="Whether only a sample of the rows was compared (`sample`, or the memory cap).")
    memory_cap: Absent[int] = Field(None, description="Rows kept at most to stay under --max-memory (absent when "
                                    "the memory limit was not reached).")
    clusters: int = Field(description="Clusters of two or more linked rows.")
    duplicate_rows: int = Field(description="Rows beyond the first of each cluster.")
    cluster_sizes: dict[str, int] = Field(description="Clusters per size (rows in the cluster), smallest size first.")
    largest_clusters: list[Cluster] = Field(description="The largest clusters (at most `top_clusters`), largest first.")
    bytes_per_row: int = Field(description="Memory the check holds per row.")


def semantic_details(config: SemanticDuplicatesCheck, fields: list[str], state: VectorState,
                     groups: list[np.ndarray], shown: list[Cluster]) -> SemanticDuplicatesDetails:
    """The details of the clusters `groups` (largest first) over the rows `state` holds, `shown` listed."""
    embedded = sum(len(i) for i in state.ids)
    sampled = (config.sample is not None or state.memory_cap is not None) and embedded < state.rows
    return SemanticDuplicatesDetails(
        fields=fields, model=config.model, threshold=config.threshold, embedded_rows=embedded, total_rows=state.rows,
        sampled=sampled, memory_cap=state.memory_cap or None, clusters=len(groups),
        duplicate_rows=sum(len(g) - 1 for g in groups),
        cluster_sizes={str(k): v for k, v in sorted(Counter(len(g) for g in groups).items())},
        largest_clusters=shown, bytes_per_row=BYTES_PER_ROW)


def semantic_message(details: SemanticDuplicatesDetails) -> str:
    duplicates, embedded = details.duplicate_rows, details.embedded_rows
    rate = duplicates / embedded if embedded else 0.0
    return (f"{counted(duplicates, 'semantic duplicate')} in {counted(details.clusters, 'cluster')} among {embedded:,} "
            f"{'sampled ' if details.sampled else ''}rows ({rate:.2%}), cosine >= {details.threshold} (where a row "
            f"has {LONG_TOKENS}+ tokens, also {MIN_SHARED:.0%} of the pair's distinct tokens in both rows)"
            + (f"; rows capped at {details.memory_cap} to stay under --max-memory" if details.memory_cap else ""))
