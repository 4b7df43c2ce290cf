"""Mergeable statistics behind aggregate expectations. Sums are exact (float mantissas added as integers),
so mean, sum and standard deviation are the same for any split of the data and any merge order."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import xxhash

DISTINCT_VALUES_CAP = 100_000  # distinct values kept by value (distinct-set and most-common expectations)


def _limb_sums(parts: np.ndarray, exponents: np.ndarray, shift: int, into: Counter[int]) -> None:
    """Add each integer part (< 2**36) at its exponent; chunks of 2**26 keep int64 sums exact."""
    for exponent in np.unique(exponents):
        chosen = parts[exponents == exponent]
        total = sum(int(chosen[i: i + (1 << 26)].sum()) for i in range(0, len(chosen), 1 << 26))
        into[int(exponent) + shift] += total


def _add_exact(values: np.ndarray, into: Counter[int], squares: bool) -> None:
    """Exact sum of `values` (or of their squares) as integer multiples of powers of two."""
    mantissa, exponent = np.frexp(values)
    whole = (mantissa * float(1 << 53)).astype(np.int64)  # exact: 53-bit signed integer
    exponent = exponent.astype(np.int64) - 53
    sign = np.sign(whole)
    whole = np.abs(whole)
    limbs = [(whole >> 36) & 0x1FFFF, (whole >> 18) & 0x3FFFF, whole & 0x3FFFF]  # 17 + 18 + 18 bits
    if not squares:
        for i, limb in enumerate(limbs):
            _limb_sums(sign * limb, exponent, 18 * (2 - i), into)
        return
    for i, a in enumerate(limbs):
        for j, b in enumerate(limbs):
            _limb_sums(a * b, 2 * exponent, 18 * (4 - i - j), into)


def _signed_sum(a: Counter[int], b: Counter[int]) -> Counter[int]:
    """Counter addition that keeps negative totals (`a + b` drops them)."""
    merged = Counter(a)
    merged.update(b)
    return merged


def exact_value(sums: Counter[int]) -> Fraction:
    return sum((Fraction(total) * Fraction(2) ** exp for exp, total in sums.items() if total), Fraction(0))


@dataclass
class Moments:
    """Count, exact sum and sum of squares, min and max of a numeric column's non-missing values."""

    count: int = 0
    sums: Counter[int] = field(default_factory=Counter)
    squares: Counter[int] = field(default_factory=Counter)
    low: float = math.inf
    high: float = -math.inf

    def add(self, values: np.ndarray) -> None:
        if not len(values):
            return
        self.count += len(values)
        _add_exact(values, self.sums, squares=False)
        _add_exact(values, self.squares, squares=True)
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))

    def merge(self, other: Moments) -> Moments:
        return Moments(self.count + other.count, _signed_sum(self.sums, other.sums), _signed_sum(self.squares, other.squares),
                       min(self.low, other.low), max(self.high, other.high))

    def metrics(self) -> dict[str, float | None]:
        if not self.count:
            return {"column.mean": None, "column.sum": 0.0, "column.min": None, "column.max": None,
                    "column.standard_deviation": None}
        total = exact_value(self.sums)
        variance = ((exact_value(self.squares) - total * total / self.count) / (self.count - 1)
                    if self.count > 1 else None)
        return {"column.mean": float(total / self.count), "column.sum": float(total), "column.min": self.low,
                "column.max": self.high,
                "column.standard_deviation": math.sqrt(float(variance)) if variance is not None else None}


def value_hash(value: Any) -> int:
    """A 64-bit identity of a value, equal for values pandas treats as equal (1 and 1.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return xxhash.xxh3_64_intdigest(repr((type(value).__name__ if not isinstance(value, int) else "int", value)).encode())


@dataclass
class Distinct:
    """Occurrences per value hash (exact uniqueness), and per value while at most DISTINCT_VALUES_CAP."""

    by_hash: Counter[int] = field(default_factory=Counter)
    by_value: Counter[Any] | None = None
    overflow: bool = False

    def add(self, values: list[Any], keep_values: bool) -> None:
        self.by_hash.update(value_hash(v) for v in values)
        if keep_values and not self.overflow:
            self.by_value = (self.by_value or Counter())
            self.by_value.update(v if not isinstance(v, (list, dict)) else repr(v) for v in values)
            self.overflow = len(self.by_value) > DISTINCT_VALUES_CAP
            if self.overflow:
                self.by_value = None

    def merge(self, other: Distinct) -> Distinct:
        overflow = self.overflow or other.overflow
        values = None if overflow or (self.by_value is None and other.by_value is None) else \
            (self.by_value or Counter()) + (other.by_value or Counter())
        if values is not None and len(values) > DISTINCT_VALUES_CAP:
            values, overflow = None, True
        return Distinct(self.by_hash + other.by_hash, values, overflow)

    def duplicated_rows(self) -> int:
        return sum(n for n in self.by_hash.values() if n > 1)


@dataclass
class BottomK:
    """The values of the k rows with the smallest seeded row keys: the same sample for any split."""

    k: int
    keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    values: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    seen: int = 0

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.seen += len(values)
        self.keys, self.values = self._smallest(np.concatenate([self.keys, keys]),
                                                np.concatenate([self.values, values]))

    def _smallest(self, keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(keys) > self.k:
            keep = np.argpartition(keys, self.k)[: self.k]
            keys, values = keys[keep], values[keep]
        order = np.argsort(keys, kind="stable")
        return keys[order], values[order]

    def merge(self, other: BottomK) -> BottomK:
        merged = BottomK(self.k, seen=self.seen + other.seen)
        merged.keys, merged.values = self._smallest(np.concatenate([self.keys, other.keys]),
                                                    np.concatenate([self.values, other.values]))
        return merged
