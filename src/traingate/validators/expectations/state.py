"""What an embedded expectation holds while it reads (checks.py): its rows, the values missing and unexpected,
a reservoir of unexpected values shown as samples (each with what the expectation measured of it), the
mergeable statistics its aggregate needs (moments, distinct values, a seeded sample for quantiles: stats.py)
and, when the run keeps them, the rows with an unexpected value; and how two such states merge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from traingate.contracts.expectations import SAMPLE_ROWS, ExpectationCheck
from traingate.data.batch import BatchContext
from traingate.results.model import Sample
from traingate.validators.common.findings import Findings
from traingate.validators.common.samples import Reservoir, excerpt_around, row_keys
from traingate.validators.expectations.judge import SAMPLED
from traingate.validators.expectations.stats import BottomK, Distinct, Moments

LENGTHS = ("expect_column_value_lengths_to_be_between", "expect_column_value_lengths_to_equal")


@dataclass
class ExpectationState:
    rows: int = 0
    present: bool = False  # the column appeared in the data
    missing: int = 0
    unexpected: int = 0
    samples: Reservoir = field(default_factory=Reservoir)
    moments: Moments = field(default_factory=Moments)
    distinct: Distinct = field(default_factory=Distinct)
    sample: BottomK | None = None
    findings: Findings = field(default_factory=Findings)  # rows with an unexpected value, when the run keeps them

    def merge(self, other: ExpectationState) -> ExpectationState:
        sample = self.sample.merge(other.sample) if self.sample is not None and other.sample is not None else None
        return ExpectationState(self.rows + other.rows, self.present or other.present, self.missing + other.missing,
                                self.unexpected + other.unexpected, self.samples.merge(other.samples),
                                self.moments.merge(other.moments), self.distinct.merge(other.distinct), sample,
                                self.findings.merge(other.findings))


def new_state(config: ExpectationCheck) -> ExpectationState:
    """An empty state for `config`: with a seeded sample of its rows when a sample judges it (quantiles)."""
    sample = config.sample
    return ExpectationState(sample=BottomK(sample.rows if sample else SAMPLE_ROWS) if config.expectation in SAMPLED else None)


def keep_samples(samples: Reservoir, batch: BatchContext, positions: np.ndarray, values: list[Any],
                 expectation: str) -> None:
    """Offer the unexpected `values` at `positions` of the batch to the reservoir of samples."""
    if not len(positions):
        return
    keys = row_keys(batch.row_ids(positions))
    for pos in samples.candidates(keys, "unexpected"):
        text = values[pos] if isinstance(values[pos], str) else repr(values[pos])
        samples.add(int(keys[pos]), Sample(
            file=batch.file, line=int(batch.lines[int(positions[pos])]), unit=batch.unit, reason="unexpected",
            excerpt=excerpt_around(text, None)[0], **measured(expectation, values[pos])).model_dump())


def measured(expectation: str, value: Any) -> dict[str, Any]:
    """What the expectation measured of an unexpected value: its length, or the number itself."""
    if expectation in LENGTHS:
        return {"value": float(len(value if isinstance(value, str) else str(value))), "measure": "chars"}
    if expectation == "expect_column_values_to_be_between" and isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": float(value)}
    return {}
