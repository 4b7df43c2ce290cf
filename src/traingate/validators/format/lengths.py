"""Length bounds in characters or tokens, per row (all text fields together) or per field value."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import TEXT_FIELDS, TextCheck
from traingate.data.batch import BatchContext
from traingate.results.model import Limit
from traingate.validators.common.base import Bound
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import Hit, RowFlagValidator
from traingate.validators.common.registry import check


class _LengthCheck(TextCheck):
    limit: int = Field(ge=0)
    per: Literal["row", "field"] = Field("row", description="row: sum over the row's text fields.")


class MinTokensCheck(_LengthCheck):
    summary: ClassVar[str] = "rows (or fields) with fewer tokens than `limit`"
    type: Literal["min_tokens"]


class MaxTokensCheck(_LengthCheck):
    summary: ClassVar[str] = "rows (or fields) with more tokens than `limit`"
    type: Literal["max_tokens"]


class MinCharsCheck(_LengthCheck):
    summary: ClassVar[str] = "rows (or fields) with fewer characters than `limit`"
    type: Literal["min_chars"]


class MaxCharsCheck(_LengthCheck):
    summary: ClassVar[str] = "rows (or fields) with more characters than `limit`"
    type: Literal["max_chars"]


class _LengthValidator(RowFlagValidator[_LengthCheck]):
    unit = "chars"
    too_long = True

    @property
    def noun(self) -> str:  # type: ignore[override]
        side = "more" if self.too_long else "fewer"
        return f"with {side} than {self.config.limit} {self.unit}"

    def limits(self) -> list[Bound]:
        """The limit on each named field's distribution (`tokens.response`); per row, on the row's total,
        which is a field's distribution only when the check counts one field."""
        limit = Limit(check=self.check_id, kind="max" if self.too_long else "min", value=self.config.limit)
        fields = self.config.fields or list(TEXT_FIELDS[self.spec.kind])
        per_value = self.config.per == "field"
        if not per_value and len(fields) != 1:
            return []
        return [Bound(f"{self.unit}.{field}", limit, per_value) for field in fields]

    def _outside(self, values: np.ndarray) -> np.ndarray:
        return values > self.config.limit if self.too_long else values < self.config.limit

    def find(self, batch: BatchContext) -> list[Hit]:
        views = batch.views(self.config.fields)
        reason = f"{'over' if self.too_long else 'under'}_{self.config.limit}_{self.unit}"
        if self.config.per == "field":
            return [Hit(reason, self._outside(counts), v, values=counts, measure=self.unit)
                    for v in views for counts in [batch.counts(v, self.unit)]]
        per_view = [batch.per_row(view, batch.counts(view, self.unit)) for view in views]
        totals = np.vstack(per_view).sum(axis=0) if per_view else np.zeros(batch.num_rows, dtype=np.int64)
        mask = self._outside(totals)
        note = f"{self.unit} per row outside the limit {self.config.limit}"
        if not views or any(view.rows is not None for view in views):
            return [Hit(reason, mask, None, note=note, values=totals, measure=self.unit)]
        # the sample shows the field that counts most in its row: the one that made a row too long
        shown = np.argmax(np.vstack(per_view), axis=0) if self.too_long else np.zeros(batch.num_rows, dtype=np.int64)
        return [Hit(reason, mask & (shown == k), view, note=note, values=totals, measure=self.unit)
                for k, view in enumerate(views)]


@check("min_tokens", group="format", options=MinTokensCheck, details=FlagDetails)
class MinTokensValidator(_LengthValidator):
    unit, too_long = "tokens", False


@check("max_tokens", group="format", options=MaxTokensCheck, details=FlagDetails)
class MaxTokensValidator(_LengthValidator):
    unit, too_long = "tokens", True


@check("min_chars", group="format", options=MinCharsCheck, details=FlagDetails)
class MinCharsValidator(_LengthValidator):
    unit, too_long = "chars", False


@check("max_chars", group="format", options=MaxCharsCheck, details=FlagDetails)
class MaxCharsValidator(_LengthValidator):
    unit, too_long = "chars", True
