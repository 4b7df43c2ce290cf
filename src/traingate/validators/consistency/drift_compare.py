"""A feature's drift against its reference, as a row of the drift table: each measure, the limit it is held
to, and whether the feature moved. A feature moved when a test says the two samples differ (p-value under
`p_value`: KS for numbers, chi-square for labels) and some size of the difference reaches its limit (numbers:
the KS statistic, Wasserstein over the reference's spread, PSI; labels: PSI, Jensen-Shannon). The test keeps
sampling noise from flagging small samples, or a long-tailed field where a few long rows move the distance;
the sizes keep a large sample from flagging a difference too small to matter. A PSI between `psi_warn` and
`psi` is noted, not flagged."""

from __future__ import annotations

from dataclasses import dataclass

from traingate.results.model import Sketch
from traingate.validators.common.details_parts import DriftRow
from traingate.validators.consistency import drift_metrics as m


@dataclass(frozen=True)
class Limits:
    psi: float = 0.25
    psi_warn: float = 0.1
    js: float = 0.1
    ks: float = 0.1
    p_value: float = 0.05
    wasserstein: float = 0.1


def _basis(reference: Sketch, current: Sketch) -> str:
    order = ("exact", "top_k", "histogram")
    return max(reference.basis, current.basis, key=order.index)


def compare(feature: str, reference: Sketch, current: Sketch, limits: Limits) -> DriftRow:
    for side, sketch in (("reference", reference), ("data", current)):
        if (why := m.damage(sketch)) is not None:
            raise ValueError(f"the {side}'s sketch of {feature!r} is damaged ({why})")
    if reference.kind != current.kind:
        raise ValueError(f"feature {feature!r} is {reference.kind} in the reference and {current.kind} here")
    if not reference.count or not current.count:
        raise ValueError(f"feature {feature!r} has no values in the {'reference' if not reference.count else 'data'}")
    base = {"feature": feature, "kind": current.kind, "reference_count": reference.count,
            "current_count": current.count, "basis": _basis(reference, current)}
    if current.kind == "categorical":
        _, r, c = m.label_counts(reference, current)
        p_value = m.chi2_p_value(r, c)
        measured = {"psi": m.psi(r, c), "js": m.js_distance(r, c), "chi2_p_value": p_value}
        sizes = {"psi": measured["psi"], "js": measured["js"]}
    else:
        rv, rc, cv, cc = m.numeric_arrays(reference, current)
        statistic, p_value = m.ks(rv, rc, cv, cc)
        distance = m.wasserstein(rv, rc, cv, cc)
        measured = {"psi": m.psi(*m.decile_bins(rv, rc, cv, cc)), "ks": statistic, "ks_p_value": p_value,
                    "wasserstein": distance, "wasserstein_normalised": m.normalised_wasserstein(rv, rc, cv, cc)}
        sizes = {"psi": measured["psi"], "ks": statistic, "wasserstein": measured["wasserstein_normalised"]}
    judged = {k: getattr(limits, k) for k in sizes} | {"p_value": limits.p_value}
    flagged = [k for k, v in sizes.items() if v >= judged[k]] if p_value < limits.p_value else []
    return DriftRow(**base, **measured, limits=judged, flagged_by=flagged, flagged=bool(flagged),
                    warned=not flagged and measured["psi"] >= limits.psi_warn)


def table(reference: dict[str, Sketch], current: dict[str, Sketch], features: list[str],
          limits: Limits) -> tuple[list[DriftRow], list[str]]:
    """The rows of the features both hold, and a sentence for each feature one of them lacks."""
    rows, missing = [], []
    for feature in features:
        if feature not in reference or feature not in current:
            where = "the reference" if feature not in reference else "this data"
            missing.append(f"{feature}: no sketch in {where}")
            continue
        try:
            rows.append(compare(feature, reference[feature], current[feature], limits))
        except ValueError as exc:
            missing.append(str(exc))
    return rows, missing
