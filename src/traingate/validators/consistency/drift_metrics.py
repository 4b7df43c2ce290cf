"""Drift measures between two sketches of a feature: a reference and the current data.

Numeric (distinct values with counts, or histogram bins keyed by their lower edge):
- KS: the largest distance between the two empirical CDFs; p-value asymptotic, as scipy's
  `ks_2samp(method="asymp")` computes it (`kstwo.sf(D, round(n*m/(n+m)))`).
- Wasserstein-1: the area between the two CDFs, as scipy's `wasserstein_distance`; normalised by the
  reference's standard deviation (as Evidently does), so 0.1 reads "moved a tenth of the reference's spread".
  Sampling noise in the distance grows with the spread, so halves of one sample stay far under 0.1 even for
  a field empty in most rows, where a mean would be near 0; a reference without spread divides by its mean
  absolute value, and one of zeros by 1.
- PSI on the reference's decile bins (edges: its 10%...90% quantiles, repeated ones merged; a bin holds the
  values above its lower edge up to its upper edge).
Categorical (labels with counts, plus `other`): the chi-square test's p-value, PSI and the Jensen-Shannon
distance (base 2, in [0, 1]) over
the labels both sketches name (a label one names and the other, complete, lacks counts 0 there), the rest
in one `other` bucket.
PSI = sum((c - r) * ln(c / r)) over bins of shares r (reference) and c (current), each share at least EPSILON
(1e-4), so an empty bin adds a bounded term instead of an infinite one."""

from __future__ import annotations

import math

import numpy as np

from traingate.results.model import Sketch
from traingate.validators.common.sketches import bin_edges

EPSILON = 1e-4
DECILES = tuple(q / 10 for q in range(1, 10))


def damage(sketch: Sketch) -> str | None:
    """What makes a sketch unusable (one a run JSON edited by hand or cut short may hold), or None."""
    values, counts = list(sketch.values), sketch.counts
    if len(values) != len(counts):
        return f"{len(values)} values and {len(counts)} counts"
    if min([*counts, sketch.other, sketch.count]) < 0:
        return "a negative count"
    if sketch.count != sum(counts) + sketch.other:
        return f"count {sketch.count}, but its counts add up to {sum(counts) + sketch.other}"
    if sketch.kind == "categorical":
        return "a label listed twice" if len(set(map(str, values))) < len(values) else None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        return "a value that is not a finite number"
    numbers = [float(v) for v in sketch.values]
    return "values not ascending" if any(a >= b for a, b in zip(numbers, numbers[1:])) else None


def numeric_arrays(reference: Sketch, current: Sketch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both sketches' values and counts, on one footing: binned alike when either is a histogram."""
    rv, cv = np.asarray(reference.values, np.float64), np.asarray(current.values, np.float64)
    rc, cc = np.asarray(reference.counts, np.float64), np.asarray(current.counts, np.float64)
    if "histogram" in (reference.basis, current.basis):
        rv, cv = bin_edges(rv), bin_edges(cv)
    return rv, rc, cv, cc


def _cdfs(rv: np.ndarray, rc: np.ndarray, cv: np.ndarray, cc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    support = np.union1d(rv, cv)
    fr = np.cumsum(np.bincount(np.searchsorted(support, rv), rc, minlength=len(support))) / rc.sum()
    fc = np.cumsum(np.bincount(np.searchsorted(support, cv), cc, minlength=len(support))) / cc.sum()
    return support, fr, fc


def ks(rv: np.ndarray, rc: np.ndarray, cv: np.ndarray, cc: np.ndarray) -> tuple[float, float]:
    """The KS statistic and its asymptotic two-sided p-value."""
    from scipy.stats import kstwo

    _, fr, fc = _cdfs(rv, rc, cv, cc)
    d = float(np.max(np.abs(fr - fc)))
    n, m = float(rc.sum()), float(cc.sum())
    return d, float(np.clip(kstwo.sf(d, np.round(n * m / (n + m))), 0.0, 1.0))


def wasserstein(rv: np.ndarray, rc: np.ndarray, cv: np.ndarray, cc: np.ndarray) -> float:
    size = largest(rv, cv)
    support, fr, fc = _cdfs(rv / size, rc, cv / size, cc)
    with np.errstate(over="ignore"):  # a true distance past the float limit is inf
        return float(np.sum(np.abs(fr - fc)[:-1] * np.diff(support)) * size)


def normalised_wasserstein(rv: np.ndarray, rc: np.ndarray, cv: np.ndarray, cc: np.ndarray) -> float:
    """The Wasserstein distance over `scale_of` the reference: a ratio free of the values' scale, so it is
    computed on the values over their largest size (numbers near the float limit overflow neither)."""
    size = largest(rv, cv)
    return wasserstein(rv / size, rc, cv / size, cc) / scale_of(rv / size, rc)


def largest(rv: np.ndarray, cv: np.ndarray) -> float:
    """The largest size among the values (1 when all are 0)."""
    top = max(float(np.max(np.abs(rv), initial=0.0)), float(np.max(np.abs(cv), initial=0.0)))
    return top if top > 0 else 1.0


def scale_of(rv: np.ndarray, rc: np.ndarray) -> float:
    """What a Wasserstein distance is divided by: the reference's standard deviation; without spread, its
    mean absolute value; 1 when that is 0 too."""
    total = rc.sum()
    mean = float(np.sum(rv * rc) / total)
    std = float(np.sqrt(np.sum((rv - mean) ** 2 * rc) / total))
    size = float(np.sum(np.abs(rv) * rc) / total)
    return std if std > 0 else size if size > 0 else 1.0


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of two count vectors over the same bins."""
    r = np.maximum(reference / reference.sum(), EPSILON)
    c = np.maximum(current / current.sum(), EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


def decile_bins(rv: np.ndarray, rc: np.ndarray, cv: np.ndarray, cc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both sketches per bin of the reference's deciles."""
    cumulative = np.cumsum(rc) / rc.sum()
    edges = np.unique(rv[np.minimum(np.searchsorted(cumulative, DECILES, side="left"), len(rv) - 1)])
    bins = len(edges) + 1
    return (np.bincount(np.searchsorted(edges, rv, side="left"), rc, minlength=bins),
            np.bincount(np.searchsorted(edges, cv, side="left"), cc, minlength=bins))


def label_counts(reference: Sketch, current: Sketch) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Both sketches' counts over the labels they can both speak for, then `other`."""
    ref = dict(zip(map(str, reference.values), reference.counts))
    cur = dict(zip(map(str, current.values), current.counts))
    labels = sorted({k for k in ref if k in cur or not current.other} | {k for k in cur if k in ref or not reference.other})
    r = np.array([ref.get(k, 0) for k in labels] + [0], np.float64)
    c = np.array([cur.get(k, 0) for k in labels] + [0], np.float64)
    r[-1], c[-1] = reference.count - r.sum(), current.count - c.sum()
    return [*labels, "other"], r, c


def chi2_p_value(reference: np.ndarray, current: np.ndarray) -> float:
    """p-value of the chi-square test that two count vectors come from one distribution (bins empty on both
    sides left out; 1.0 when fewer than two bins remain)."""
    from scipy.stats import chi2_contingency

    held = (reference + current) > 0
    if held.sum() < 2:
        return 1.0
    return float(chi2_contingency(np.stack([reference[held], current[held]]), correction=False).pvalue)


def js_distance(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2) of two count vectors over the same bins."""
    p, q = reference / reference.sum(), current / current.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        held = a > 0
        return float(np.sum(a[held] * np.log2(a[held] / m[held])))

    return math.sqrt(max(0.0, (kl(p) + kl(q)) / 2))
