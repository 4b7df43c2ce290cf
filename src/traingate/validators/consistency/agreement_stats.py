"""Agreement statistics over a reliability matrix (annotators x items, NaN where unlabelled)."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

import numpy as np

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LIBRARY_CELLS = 20_000_000  # the krippendorff package holds units x values x values floats


def agreement_figures(matrix: np.ndarray, level: Level) -> dict[str, float]:
    """Krippendorff's alpha; for nominal labels Fleiss' kappa (items with the most common number of
    ratings) and, with two annotators, Cohen's kappa (items both rated)."""
    import krippendorff

    rated = (~np.isnan(matrix)).sum(axis=0) >= 2
    figures: dict[str, float] = {}
    values = len(np.unique(matrix[:, rated][~np.isnan(matrix[:, rated])]))
    if rated.sum() >= 1 and values >= 2:
        if rated.sum() * values * values <= LIBRARY_CELLS:
            figures["krippendorff_alpha"] = float(krippendorff.alpha(reliability_data=matrix[:, rated],
                                                                     level_of_measurement=level))
        elif level == "nominal":
            figures["krippendorff_alpha"] = _nominal_alpha(matrix[:, rated])
    if level == "nominal":
        figures.update(_kappas(matrix))
    return figures


def _nominal_alpha(matrix: np.ndarray) -> float:
    """Nominal alpha from per-unit value counts, for many distinct values (free-text answers): the
    package builds a units x values x values array. alpha = 1 - D_o / D_e with D_o = 1 - sum_c o_cc / n,
    o_cc = sum_u n_uc (n_uc - 1) / (m_u - 1), and D_e = 1 - sum_c n_c (n_c - 1) / (n (n - 1))."""
    matched = 0.0
    totals: Counter[float] = Counter()
    for column in matrix.T:
        counts = Counter(column[~np.isnan(column)].tolist())
        m = sum(counts.values())
        matched += sum(c * (c - 1) for c in counts.values()) / (m - 1)
        totals.update(counts)
    n = sum(totals.values())
    observed = 1 - matched / n
    expected = 1 - sum(c * (c - 1) for c in totals.values()) / (n * (n - 1))
    return 1 - observed / expected if expected else 1.0


def _kappas(matrix: np.ndarray) -> dict[str, float]:
    from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa

    out: dict[str, float] = {}
    counts = (~np.isnan(matrix)).sum(axis=0)
    usual = Counter(counts[counts >= 2].tolist()).most_common(1)
    categories = int(np.nanmax(matrix)) + 1 if np.isfinite(matrix).any() else 0
    if usual and categories >= 2:
        columns = matrix[:, counts == usual[0][0]]
        table = np.array([np.bincount(col[~np.isnan(col)].astype(int), minlength=categories) for col in columns.T])
        out["fleiss_kappa"] = float(fleiss_kappa(table))
    if matrix.shape[0] == 2 and categories >= 2:
        both = ~np.isnan(matrix).any(axis=0)
        table = np.zeros((categories, categories))
        np.add.at(table, (matrix[0, both].astype(int), matrix[1, both].astype(int)), 1)
        out["cohen_kappa"] = float(cohens_kappa(table).kappa)
    return out


def deviation(matrix: np.ndarray, people: list[str], level: str) -> list[dict[str, Any]]:
    """Per annotator, how far their labels stand from each item's consensus (the other annotators'
    majority for nominal labels, their mean otherwise); the 20 furthest first."""
    rows: list[dict[str, Any]] = []
    for k, person in enumerate(people):
        others = np.delete(matrix, k, axis=0)
        gaps = []
        for j in np.flatnonzero(~np.isnan(matrix[k])):
            rest = others[:, j][~np.isnan(others[:, j])]
            if len(rest):
                consensus = Counter(rest.tolist()).most_common(1)[0][0] if level == "nominal" else rest.mean()
                gaps.append(float(matrix[k, j] != consensus) if level == "nominal" else abs(matrix[k, j] - consensus))
        if gaps:
            rows.append({"annotator": person, "labels": len(gaps), "deviation": float(np.mean(gaps))})
    return sorted(rows, key=lambda r: (-float(r["deviation"]), str(r["annotator"])))[:20]
