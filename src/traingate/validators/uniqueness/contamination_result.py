"""What contamination finishes with: per eval set, the items found in the data and the first rows holding each
(their share of the item's n-grams as the reason), its details and the message that sums them up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from traingate.contracts.model import DatasetSpec
from traingate.validators.common.details import EvalSetListing
from traingate.validators.common.details_parts import EvalSetLeaks, LeakedItem
from traingate.validators.common.evalsets import EvalIndex
from traingate.validators.uniqueness.shown import describe_cluster

if TYPE_CHECKING:
    from traingate.validators.uniqueness.contamination import ContaminationCheck

ITEMS_SHOWN = 20


class ContaminationDetails(EvalSetListing):
    """Per eval set, the items found in the data and the rows holding them."""

    ngram: int = Field(description="Word n-gram length compared.")
    min_overlap: float = Field(description="Share of an item's n-grams that makes a row contaminated.")
    eval_sets: list[EvalSetLeaks] = Field(description="One entry per eval set of `against`, in its order.")
    bytes_per_hit: int = Field(description="Memory the check holds per (row, item) hit.")


def describe_set(index: EvalIndex, hits: np.ndarray, files: Mapping[int, tuple[str, str]],
                 rows: Mapping[int, dict[str, Any]] | None, spec: DatasetSpec, fields: list[str]) -> EvalSetLeaks:
    """What one eval set (its `index`) lost to the data: its `hits` (row id, set, item, share * 1e6, by item),
    the first ITEMS_SHOWN items found, each with the first rows holding it."""
    items = []
    for item in np.unique(hits[:, 2])[:ITEMS_SHOWN]:
        mine = hits[hits[:, 2] == item]
        shown = describe_cluster(mine[:, 0].astype(np.uint64), files, rows, spec, fields)
        for member, hit in zip(shown.members, mine):
            member.reason = f"{hit[3] / 1e4:.0f}% of the item's n-grams"
            member.span = None
        items.append(LeakedItem(item=int(item), line=int(index.lines[item]), excerpt=index.excerpts[item],
                                best_share=float(mine[:, 3].max() / 1e6), row_count=len(mine), rows=shown.members))
    return EvalSetLeaks(name=index.name, item_count=index.count, too_short=index.too_short(),
                        leaked_items=len(np.unique(hits[:, 2])), contaminated_rows=len(np.unique(hits[:, 0])),
                        leaked=items)


def contamination_message(config: ContaminationCheck, contaminated: int, rows: int, sets: list[EvalSetLeaks]) -> str:
    """The message of `contaminated` rows among `rows`, the eval sets' losses `sets`."""
    leaked = sum(s.leaked_items for s in sets)
    return (f"{contaminated:,} of {rows:,} rows hold at least {config.min_overlap:.0%} of an eval item's "
            f"{config.ngram}-grams; {leaked} eval items leaked")
