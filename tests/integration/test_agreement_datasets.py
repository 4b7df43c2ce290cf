"""Agreement on real crowd labels, each figure recomputed here in plain Python (the coincidence-matrix
definition of Krippendorff's alpha, Fleiss' formula), independently of the libraries the check uses."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from itertools import permutations
from pathlib import Path

import pytest

from traingate.contracts import parse_contract
from traingate.engine.runner import validate
from traingate.results import CheckResult

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def nominal_alpha(units: dict[str, list[str]]) -> float:
    coincidence: Counter[tuple[str, str]] = Counter()
    for values in units.values():
        if len(values) >= 2:
            for a, b in permutations(range(len(values)), 2):
                coincidence[(values[a], values[b])] += 1 / (len(values) - 1)
    totals: Counter[str] = Counter()
    for (c, _), weight in coincidence.items():
        totals[c] += weight
    n = sum(totals.values())
    observed = sum(w for (c, k), w in coincidence.items() if c != k) / n
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k) / (n * (n - 1))
    return 1 - observed / expected


def fleiss(units: dict[str, list[str]]) -> float:
    raters = len(next(iter(units.values())))
    categories = sorted({v for values in units.values() for v in values})
    shares = [sum(values.count(c) for values in units.values()) / (len(units) * raters) for c in categories]
    agreement = [(sum(values.count(c) ** 2 for c in categories) - raters) / (raters * (raters - 1)) for values in units.values()]
    p_bar, p_e = sum(agreement) / len(agreement), sum(p * p for p in shares)
    return (p_bar - p_e) / (1 - p_e)


def check_of(path: Path, tmp_path: Path, options: str) -> CheckResult:
    contract = parse_contract("contract: a\nversion: 1.0.0\ndataset: {kind: pretraining}\nchecks:\n  consistency:\n"
                              f"    - type: agreement\n{options}", str(tmp_path / "c.yaml"))
    (check,) = validate(contract, [str(path)]).checks
    return check


def test_rte_labels_of_ten_workers_per_item(shared: Path, tmp_path: Path) -> None:
    path = shared / "snow2008_mturk" / "rte.standardized.tsv"
    units: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            units[row["orig_id"]].append(row["response"])
    check = check_of(path, tmp_path, "      item: orig_id\n      annotator: '!amt_worker_ids'\n      label: response\n")
    assert check.details["items"] == len(units) == 800 and check.details["labels"] == 8000
    assert check.details["krippendorff_alpha"] == pytest.approx(nominal_alpha(units), abs=1e-9)
    assert check.details["fleiss_kappa"] == pytest.approx(fleiss(units), abs=1e-9)
    assert check.details["krippendorff_alpha"] < 0.67  # below the usual bar for tentative conclusions: 0.241


def test_free_text_answers_of_crowdwsa(shared: Path, tmp_path: Path) -> None:
    path = shared / "crowdwsa2019" / "CrowdWSA2019_J1_label_anonymous.tsv"
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        triples = {(r["sentence"], r["worker"], r["workeranswer"]) for r in rows}
    units: dict[str, list[str]] = defaultdict(list)
    for sentence, _, answer in triples:
        units[sentence].append(answer)
    check = check_of(path, tmp_path, "      item: sentence\n      annotator: worker\n      label: workeranswer\n")
    # Workers answered some sentences twice: a repeated identical answer counts once, a different one
    # counts as a further rating of the sentence.
    assert check.details["items"] == len(units) and check.details["labels"] == sum(map(len, units.values())) == 2409
    assert check.details["duplicate_labels"] == 81
    assert check.details["krippendorff_alpha"] == pytest.approx(nominal_alpha(units), abs=1e-9)
