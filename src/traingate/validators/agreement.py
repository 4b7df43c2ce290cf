"""Consistency between annotators. Krippendorff's alpha (the `krippendorff` package) at any level of
measurement, with missing data; Fleiss' kappa and Cohen's kappa (statsmodels) for nominal labels.
State: every (item, annotator, label) triple, about 100 bytes each: agreement needs them all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from traingate.contracts.content import AgreementCheck
from traingate.engine.batch import BatchContext
from traingate.results.model import CheckResult, Threshold
from traingate.validators.base import Validator
from traingate.validators.features import feature_values
from traingate.validators.registry import register_validator

Triple = tuple[str, str, str]
Level = Literal["nominal", "ordinal", "interval", "ratio"]
LIBRARY_CELLS = 20_000_000  # the krippendorff package holds units x values x values floats


@dataclass
class AgreementState:
    rows: int = 0
    triples: list[Triple] = field(default_factory=list)


@register_validator
class AgreementValidator(Validator[AgreementCheck, AgreementState]):
    config_model = AgreementCheck

    def columns(self) -> set[str]:
        c = self.config
        names = c.annotators if c.layout == "wide" else [c.item, c.annotator, c.label]
        return {n.split(".")[0] for n in names}

    def create_state(self) -> AgreementState:
        return AgreementState()

    def add_batch(self, state: AgreementState, batch: BatchContext) -> AgreementState:
        c = self.config
        state.rows += batch.num_rows
        if c.layout == "long":
            items, who, labels = (feature_values(batch, name) for name in (c.item, c.annotator, c.label))
            state.triples += [t for t in zip(items, who, labels) if t[0] and t[1] and t[2]]
        else:
            ids = batch.row_ids(np.arange(batch.num_rows)).tolist()
            for name in c.annotators:
                state.triples += [(str(i), name, v) for i, v in zip(ids, feature_values(batch, name)) if v]
        return state

    def merge_states(self, a: AgreementState, b: AgreementState) -> AgreementState:
        return AgreementState(a.rows + b.rows, a.triples + b.triples)

    def finalize(self, state: AgreementState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        c = self.config
        triples, repeats = _one_label_per_cell(state.triples)
        items = sorted({t[0] for t in triples})
        people = sorted({t[1] for t in triples})
        codes, values = self._codes(triples)
        matrix = np.full((len(people), len(items)), np.nan)
        where_item, where_person = {v: k for k, v in enumerate(items)}, {v: k for k, v in enumerate(people)}
        for (item, person, _), code in zip(triples, codes):
            matrix[where_person[person], where_item[item]] = code
        figures = agreement_figures(matrix, c.level)
        minimums = {"krippendorff_alpha": c.min_alpha, "fleiss_kappa": c.min_fleiss_kappa, "cohen_kappa": c.min_cohen_kappa}
        failed = [f"{name} {figures.get(name, float('nan')):.3f} < {low}" for name, low in minimums.items()
                  if low is not None and not figures.get(name, -2.0) >= low]
        annotators = len({person for _, person, _ in state.triples})
        message = (f"{len(items)} items, {annotators} annotators, {len(triples)} labels: "
                   + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()) + ("; " + "; ".join(failed) if failed else ""))
        return self.result(status="failed" if failed else "passed", metric="krippendorff_alpha",
                           value=figures.get("krippendorff_alpha"), threshold=Threshold(kind="min", value=c.min_alpha or 0),
                           rows=state.rows, findings=len(failed), message=message,
                           details={**figures, "items": len(items), "annotators": annotators, "labels": len(triples),
                                    "duplicate_labels": len(state.triples) - len(set(state.triples)),
                                    "relabelled": repeats,
                                    "values": values, "violations": failed,
                                    "annotator_deviation": deviation(matrix, people, c.level)})

    def _codes(self, triples: list[Triple]) -> tuple[list[float], list[str]]:
        """Labels as numbers: their own value on interval and ratio scales, else their rank."""
        values = sorted({t[2] for t in triples}, key=_numeric_first)
        if self.config.level in ("interval", "ratio"):
            return [float(t[2]) for t in triples], values
        rank = {v: k for k, v in enumerate(values)}
        return [float(rank[t[2]]) for t in triples], values


def _one_label_per_cell(triples: list[Triple]) -> tuple[list[Triple], int]:
    """Sorted distinct triples (a label submitted twice counts once); when an annotator gave an item
    several different labels, each further one counts as from another coder ('name#2'), which alpha's
    pairing of values within an item allows. Returns the triples and how many were relabelled."""
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for item, person, label in sorted(set(triples)):
        seen[(item, person)] += 1
        k = seen[(item, person)]
        out.append((item, person if k == 1 else f"{person}#{k}", label))
    return sorted(out), sum(k - 1 for k in seen.values())


def _numeric_first(value: str) -> tuple[int, float, str]:
    try:
        return 0, float(value), value
    except ValueError:
        return 1, 0.0, value


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
