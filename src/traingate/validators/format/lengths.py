"""Length bounds in characters or tokens, per row (all text fields together) or per field value."""

from __future__ import annotations

import numpy as np

from traingate.contracts.checks import MaxCharsCheck, MaxTokensCheck, MinCharsCheck, MinTokensCheck
from traingate.contracts.checks import _LengthCheck as LengthCheck
from traingate.data.batch import BatchContext, TextView
from traingate.validators.common.flags import Hit, RowFlagValidator
from traingate.validators.common.registry import register_validator


class _LengthValidator(RowFlagValidator[LengthCheck]):
    unit = "chars"
    too_long = True

    @property
    def noun(self) -> str:  # type: ignore[override]
        side = "more" if self.too_long else "fewer"
        return f"with {side} than {self.config.limit} {self.unit}"

    def _outside(self, values: np.ndarray) -> np.ndarray:
        return values > self.config.limit if self.too_long else values < self.config.limit

    def find(self, batch: BatchContext) -> list[Hit]:
        views = batch.views(self.config.fields)
        reason = f"{'over' if self.too_long else 'under'}_{self.config.limit}_{self.unit}"
        if self.config.per == "field":
            return [Hit(reason, self._outside(batch.counts(v, self.unit)), v) for v in views]
        totals = np.zeros(batch.num_rows, dtype=np.int64)
        for view in views:
            totals += batch.per_row(view, batch.counts(view, self.unit))
        mask = self._outside(totals)
        first = _first_view(views)
        note = f"{self.unit} per row outside the limit {self.config.limit}"
        if first is None or first.rows is not None:
            return [Hit(reason, mask, None, note=note)]
        return [Hit(reason, mask, first, note=note)]


def _first_view(views: list[TextView]) -> TextView | None:
    return views[0] if views else None


@register_validator
class MinTokensValidator(_LengthValidator):
    config_model = MinTokensCheck
    unit, too_long = "tokens", False


@register_validator
class MaxTokensValidator(_LengthValidator):
    config_model = MaxTokensCheck
    unit, too_long = "tokens", True


@register_validator
class MinCharsValidator(_LengthValidator):
    config_model = MinCharsCheck
    unit, too_long = "chars", False


@register_validator
class MaxCharsValidator(_LengthValidator):
    config_model = MaxCharsCheck
    unit, too_long = "chars", True
