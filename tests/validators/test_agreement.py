"""Agreement coefficients against published worked examples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import contract_text
from traingate.results import CheckResult, RunResult

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for Communication,
# University of Pennsylvania: 4 observers, 12 units, missing values; alpha nominal .743, interval .849.
KRIPPENDORFF_2011 = {"A": "1 2 3 3 2 1 4 1 2 . . .", "B": "1 2 3 3 2 2 4 1 2 5 . 3",
                     "C": ". 3 3 3 2 3 4 2 2 5 1 .", "D": "1 2 3 3 2 4 4 1 2 5 1 ."}
# Fleiss, J. L. (1971), the worked example of Wikipedia's "Fleiss' kappa": 10 subjects, 14 raters, 5
# categories (ratings per category per subject); kappa = 0.210.
FLEISS_1971 = ["0 0 0 0 14", "0 2 6 4 2", "0 0 3 5 6", "0 3 9 2 0", "2 2 8 1 1", "7 7 0 0 0", "3 2 6 3 0",
               "2 5 3 2 2", "6 5 2 1 0", "0 2 2 3 7"]


def agreement(run: Callable[..., RunResult], rows: list[dict[str, Any]], options: str) -> CheckResult:
    (check,) = run(contract_text("pretraining", f"  consistency:\n    - type: agreement\n{options}"), rows).checks
    return check


def test_krippendorff_alpha_worked_example(run: Callable[..., RunResult]) -> None:
    rows = [{"item": f"u{unit}", "annotator": observer, "label": value}
            for observer, values in KRIPPENDORFF_2011.items() for unit, value in enumerate(values.split()) if value != "."]
    nominal = agreement(run, rows, "      min_alpha: 0.8\n")
    assert nominal.details["krippendorff_alpha"] == pytest.approx(0.743, abs=5e-4)
    assert nominal.status == "failed" and nominal.details["annotators"] == 4 and nominal.details["labels"] == 41
    interval = agreement(run, rows, "      level: interval\n      min_alpha: 0.8\n")
    assert interval.details["krippendorff_alpha"] == pytest.approx(0.849, abs=5e-4) and interval.status == "passed"


def test_fleiss_kappa_worked_example(run: Callable[..., RunResult]) -> None:
    rows = []
    for subject, counts in enumerate(FLEISS_1971):
        labels = [str(category + 1) for category, n in enumerate(map(int, counts.split())) for _ in range(n)]
        rows += [{"item": f"s{subject}", "annotator": f"r{k}", "label": label} for k, label in enumerate(labels)]
    check = agreement(run, rows, "      min_fleiss_kappa: 0.2\n")
    assert check.details["fleiss_kappa"] == pytest.approx(0.210, abs=5e-4) and check.status == "passed"


def test_cohen_kappa_worked_example_in_wide_layout(run: Callable[..., RunResult]) -> None:
    # Wikipedia's "Cohen's kappa" example: 50 proposals read by A and B: yes/yes 20, yes/no 5, no/yes 10,
    # no/no 15; p_o = 0.7, p_e = 0.5, kappa = 0.4.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    rows = [{"a": a, "b": b} for a, b in pairs]
    check = agreement(run, rows, "      layout: wide\n      annotators: [a, b]\n      min_cohen_kappa: 0.5\n")
    assert check.details["cohen_kappa"] == pytest.approx(0.4) and check.status == "failed"
    deviation = {d["annotator"]: d["deviation"] for d in check.details["annotator_deviation"]}
    assert deviation == {"a": pytest.approx(15 / 50), "b": pytest.approx(15 / 50)}  # 15 items where they differ
