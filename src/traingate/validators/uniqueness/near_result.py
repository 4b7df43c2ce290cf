"""What near_duplicates finishes with: its details (the clusters of rows whose shingle sets are near, the LSH
bands that found them, whether the pairs were verified by their exact Jaccard, the memory held per row) and
the message that sums them up."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from traingate.results.details import Absent
from traingate.results.words import counted
from traingate.validators.common.details import ClusterListing
from traingate.validators.common.details_parts import Cluster
from traingate.validators.common.lsh import optimal_bands

if TYPE_CHECKING:
    from traingate.validators.uniqueness.near import NearDuplicatesCheck


class NearDuplicatesDetails(ClusterListing):
    """Clusters of rows whose shingle sets are near (Jaccard at or above the threshold), from MinHash LSH."""

    fields: list[str] = Field(description="Logical fields compared.")
    threshold: float = Field(description="The Jaccard similarity that makes two rows near duplicates.")
    bands: int = Field(description="LSH bands.")
    rows_per_band: int = Field(description="MinHash values per band.")
    shingle: str = Field(description="The shingles compared, e.g. 'word 3-grams'.")
    clusters: int = Field(description="Clusters of two or more linked rows (connected components).")
    duplicate_rows: int = Field(description="Rows beyond the first of each cluster.")
    verified: bool = Field(description="Whether the pairs were checked by their exact Jaccard (`verify`).")
    candidate_pairs: int = Field(description="Pairs linking rows (after verification, when verified).")
    cluster_sizes: dict[str, int] = Field(description="Clusters per size (rows in the cluster), smallest size first.")
    largest_clusters: list[Cluster] = Field(description="The largest clusters (at most `top_clusters`), largest first.")
    bytes_per_row: int = Field(description="Memory the check holds per row.")
    not_verified: Absent[str] = Field(None, description="Why `verify` was asked for and not done (too many "
                                      "candidate rows): the figures are MinHash estimates.")


def near_details(config: NearDuplicatesCheck, fields: list[str], groups: list[np.ndarray], candidate_pairs: int,
                 verified: bool, shown: list[Cluster]) -> NearDuplicatesDetails:
    """The details of the clusters `groups` (largest first), `shown` listed."""
    bands, band_rows = optimal_bands(config.threshold, config.num_perm)
    return NearDuplicatesDetails(
        fields=fields, threshold=config.threshold, bands=bands, rows_per_band=band_rows,
        shingle=f"{config.shingle} {config.size}-grams", clusters=len(groups),
        duplicate_rows=sum(len(g) - 1 for g in groups), verified=verified, candidate_pairs=candidate_pairs,
        cluster_sizes={str(k): v for k, v in sorted(Counter(len(g) for g in groups).items())},
        largest_clusters=shown, bytes_per_row=8 * bands + 8,
        not_verified=f"more than {config.max_verify_rows} candidate rows; estimates only"
        if config.verify and not verified else None)


def near_message(details: NearDuplicatesDetails, rows: int) -> str:
    """The message of the details over `rows` rows."""
    duplicates = details.duplicate_rows
    rate = duplicates / rows if rows else 0.0
    return (f"{counted(duplicates, 'near-duplicate row')} in {counted(details.clusters, 'cluster')} among "
            f"{counted(rows, 'row')} ({rate:.2%}), "
            f"Jaccard >= {details.threshold}" + (" (verified)" if details.verified else " (MinHash estimate)"))
