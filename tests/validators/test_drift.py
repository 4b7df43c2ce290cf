"""The `drift` check: planted shifts flag exactly the features shifted, independent samples of one source
flag nothing, the measures equal scipy's and a plain numpy PSI, and a reference that cannot serve is a
contract error at its place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance

from traingate.contracts import parse_contract
from traingate.engine.runner import validate
from traingate.errors import ContractError
from traingate.results.model import RunResult, Sketch
from traingate.validators.common.sketches import CategoricalSketch, NumericSketch
from traingate.validators.consistency import drift_metrics as m
from traingate.validators.consistency.drift_compare import Limits, compare

EN_WORDS = ("the of and to in is was for that with as on by at from this have are which one all were when there can more "
      "time about would some into only other new them these two may first then any like now such over water house "
      "river market window garden letter morning friend number people question answer")
FR_WORDS = ("le de et la les des en un une du dans est que pour qui sur au avec par pas plus ce sont ont mais comme nous "
      "vous leur tout bien fait sans aussi deux temps maison rivière marché fenêtre jardin lettre matin ami nombre "
      "question réponse toujours pendant")
EN, FR = EN_WORDS.split(), FR_WORDS.split()
FEATURES = ["chars.prompt", "chars.response", "tokens.response", "language"]


def text(rng: np.random.Generator, words: list[str], chars: int) -> str:
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < chars:
        out.append(words[int(rng.integers(len(words)))])
    return " ".join(out)


def rows(n: int, seed: int, french: float = 0.1, response_scale: float = 1.0) -> list[dict[str, Any]]:
    """Prompt and response lengths drawn alike for every language, the response's scaled by `response_scale`."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        words = FR if rng.random() < french else EN
        prompt = int(rng.lognormal(4.0, 0.4))
        response = int(rng.lognormal(5.0, 0.5) * response_scale)
        out.append({"prompt": text(rng, words, prompt), "response": text(rng, words, response)})
    return out


def write(path: Path, items: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8")
    return str(path)


def contract(tmp_path: Path, reference: str, features: list[str] | None = FEATURES, extra: str = "") -> Any:
    named = f"      features: [{', '.join(features)}]\n" if features else ""
    text = ("contract: c\nversion: 1.0.0\ndataset: {kind: sft}\nchecks:\n  consistency:\n"
            f"    - type: drift\n      reference: {reference}\n{named}{extra}")
    (tmp_path / "c.yaml").write_text(text)
    return parse_contract(text, str(tmp_path / "c.yaml"))


def moved(result: RunResult) -> set[str]:
    (check,) = result.checks
    assert check.status in ("passed", "failed"), check.error
    return {row["feature"] for row in check.details["features"] if row["flagged"]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reference dataset and its run JSON (sketches of every feature the tests name)."""
    folder = tmp_path_factory.mktemp("ref")
    data = write(folder / "ref.jsonl", rows(3000, seed=1))
    run = validate(contract(folder, "ref.jsonl"), [data])
    (folder / "ref.run.json").write_text(run.model_dump_json())
    return folder


@pytest.mark.parametrize("as_run", [True, False], ids=["run JSON", "dataset"])
def test_planted_shifts_flag_exactly_the_shifted_features(reference: Path, tmp_path: Path, as_run: bool) -> None:
    given = str(reference / ("ref.run.json" if as_run else "ref.jsonl"))
    longer = write(tmp_path / "longer.jsonl", rows(3000, seed=2, response_scale=1.3))
    more_french = write(tmp_path / "french.jsonl", rows(3000, seed=3, french=0.3))
    same = write(tmp_path / "same.jsonl", rows(3000, seed=4))
    assert moved(validate(contract(tmp_path, given), [longer])) == {"chars.response", "tokens.response"}
    assert moved(validate(contract(tmp_path, given), [more_french])) == {"language"}
    result = validate(contract(tmp_path, given), [same])
    assert moved(result) == set() and result.checks[0].status == "passed"


def test_the_result_fails_names_the_features_and_keeps_the_table(reference: Path, tmp_path: Path) -> None:
    longer = write(tmp_path / "longer.jsonl", rows(3000, seed=2, response_scale=1.3))
    (check,) = validate(contract(tmp_path, str(reference / "ref.run.json")), [longer]).checks
    assert check.status == "failed" and check.value == 2 and "chars.response" in check.message
    table = {row["feature"]: row for row in check.details["features"]}
    raw = table["chars.response"]["wasserstein"]  # +30% of a mean near e^5.125 = 168 characters, less whole words
    assert 35 < raw < 55 and table["chars.response"]["wasserstein_normalised"] > 0.3
    assert set(table["language"]) >= {"psi", "js", "limits", "flagged_by"} and "ks" not in table["language"]


def test_disjoint_halves_of_one_sample_flag_nothing(tmp_path: Path) -> None:
    every = rows(4000, seed=5)
    order = np.random.default_rng(6).permutation(len(every))
    first = write(tmp_path / "a.jsonl", [every[i] for i in order[:2000]])
    second = write(tmp_path / "b.jsonl", [every[i] for i in order[2000:]])
    result = validate(contract(tmp_path, "a.jsonl", FEATURES + ["output_format"]), [second])
    assert moved(result) == set()
    assert first


def test_the_default_features_are_the_lengths_of_the_text_fields(tmp_path: Path) -> None:
    data = write(tmp_path / "d.jsonl", rows(200, seed=7))
    (check,) = validate(contract(tmp_path, "d.jsonl", None), [data]).checks
    assert [r["feature"] for r in check.details["features"]] == ["chars.prompt", "chars.response"]
    assert all(r["psi"] == 0 and r["ks"] == 0 for r in check.details["features"])


def _exact(values: np.ndarray) -> Sketch:
    sketch = NumericSketch()
    sketch.add(values)
    return sketch.to_model("x")


def test_ks_and_wasserstein_equal_scipy_on_the_raw_values() -> None:
    rng = np.random.default_rng(8)
    for _ in range(20):
        a = rng.integers(0, int(rng.integers(5, 400)), int(rng.integers(1, 3000))).astype(float)
        b = (rng.integers(0, 300, int(rng.integers(1, 3000))) * rng.uniform(0.5, 1.5)).round(1)
        ra, rb = _exact(a), _exact(b)
        assert ra.basis == rb.basis == "exact"
        rv, rc, cv, cc = m.numeric_arrays(ra, rb)
        statistic, p_value = m.ks(rv, rc, cv, cc)
        expected = ks_2samp(a, b, method="asymp")
        assert abs(statistic - expected.statistic) < 1e-12 and abs(p_value - expected.pvalue) < 1e-12
        assert abs(m.wasserstein(rv, rc, cv, cc) - wasserstein_distance(a, b)) < 1e-9 * max(1.0, float(np.abs(a).max()))


def plain_psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI written out: the reference's deciles (numpy's inverted_cdf), bins (e_i-1, e_i], shares floored at 1e-4."""
    edges = np.unique(np.quantile(reference, np.arange(1, 10) / 10, method="inverted_cdf"))
    total = 0.0
    for i in range(len(edges) + 1):
        low, high = (edges[i - 1] if i else -np.inf), (edges[i] if i < len(edges) else np.inf)
        r = max(np.mean((reference > low) & (reference <= high)), 1e-4)
        c = max(np.mean((current > low) & (current <= high)), 1e-4)
        total += (c - r) * np.log(c / r)
    return float(total)


def test_psi_equals_a_plain_numpy_psi_and_js_equals_scipy() -> None:
    rng = np.random.default_rng(9)
    for scale in (1.0, 1.3, 2.0):
        a = rng.lognormal(4, 0.6, 5000).round()
        b = (rng.lognormal(4, 0.6, 4000) * scale).round()
        row = compare("x", _exact(a), _exact(b), Limits())
        assert row.psi == pytest.approx(plain_psi(a, b), abs=1e-12)
    labels_a = rng.choice(["en", "fr", "de", "zh"], 3000, p=[0.7, 0.1, 0.1, 0.1]).tolist()
    labels_b = rng.choice(["en", "fr", "de", "es"], 2000, p=[0.5, 0.3, 0.1, 0.1]).tolist()
    sa, sb = CategoricalSketch(), CategoricalSketch()
    sa.add(labels_a)
    sb.add(labels_b)
    row = compare("lang", sa.to_model("lang"), sb.to_model("lang"), Limits())
    names = sorted(set(labels_a) | set(labels_b))
    p = np.array([labels_a.count(k) for k in names]) / len(labels_a)
    q = np.array([labels_b.count(k) for k in names]) / len(labels_b)
    pf, qf = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
    assert row.psi == pytest.approx(float(np.sum((qf - pf) * np.log(qf / pf))), abs=1e-12)
    assert row.js == pytest.approx(float(jensenshannon(p, q, base=2)), abs=1e-12)


def test_one_value_and_one_row_do_not_break_the_measures() -> None:
    one, same = _exact(np.array([5.0])), _exact(np.array([5.0, 5.0]))
    row = compare("x", one, same, Limits())
    assert (row.ks, row.psi, row.wasserstein, row.flagged) == (0.0, 0.0, 0.0, False)
    row = compare("x", one, _exact(np.array([-7.0])), Limits())
    assert row.ks == 1.0 and row.wasserstein == 12.0 and row.wasserstein_normalised == pytest.approx(12 / 5)  # no spread
    row = compare("x", _exact(np.array([1.0, 3.0])), _exact(np.array([2.0, 4.0])), Limits())
    assert row.wasserstein == 1.0 and row.wasserstein_normalised == pytest.approx(1.0)  # over a std of 1


@pytest.mark.parametrize("reference, body, message", [
    ("missing.json", "", "reference 'missing.json' not found"),
    ("bad.json", '{"rows": 3}', "is not a run JSON"),
    ("broken.json", "{not json", "is not a run JSON"),
    ("old.json", '{"schema_version": "1.2", "checks": [], "dataset": {}}', "holds no sketches"),
])
def test_a_reference_that_cannot_serve_is_a_contract_error_at_its_place(tmp_path: Path, reference: str, body: str,
                                                                         message: str) -> None:
    if body:
        (tmp_path / reference).write_text(body)
    with pytest.raises(ContractError, match=message) as caught:
        contract(tmp_path, reference)
    assert caught.value.location is not None and caught.value.location.line == 7


def test_a_reference_run_without_a_named_sketch_names_the_fix(reference: Path, tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="holds no sketch of output_format; re-run the reference") as caught:
        contract(tmp_path, str(reference / "ref.run.json"), ["chars.prompt", "output_format"])
    assert caught.value.location is not None and caught.value.location.line == 8


def test_a_size_past_its_limit_flags_only_a_difference_the_test_finds() -> None:
    small = compare("x", _exact(np.array([10.0, 20, 30, 40, 50])), _exact(np.array([13.0, 26, 39, 52, 65])), Limits())
    assert small.ks >= 0.1 and small.ks_p_value >= 0.05 and not small.flagged and small.flagged_by == []
    few, shifted = CategoricalSketch(), CategoricalSketch()
    few.add(["en"] * 9 + ["fr"])
    shifted.add(["en"] * 7 + ["fr"] * 3)
    row = compare("lang", few.to_model("lang"), shifted.to_model("lang"), Limits())
    expected = chi2_contingency(np.array([[9, 1], [7, 3]]), correction=False).pvalue
    assert row.psi >= 0.25 and row.chi2_p_value == pytest.approx(expected, abs=1e-12) and not row.flagged


def _tampered(reference: Path, tmp_path: Path, name: str, change: Any) -> str:
    run = json.loads((reference / "ref.run.json").read_text())
    (sketch,) = [s for s in run["sketches"] if s["name"] == name]
    change(sketch)
    (tmp_path / "t.json").write_text(json.dumps(run))  # json writes NaN and Infinity as Python reads them back
    return str(tmp_path / "t.json")


@pytest.mark.parametrize("name, change, why", [
    ("chars.response", lambda s: s["counts"].__setitem__(0, -1000), "negative count"),
    ("chars.response", lambda s: s["values"].__setitem__(0, float("nan")), "not a finite number"),
    ("chars.response", lambda s: s["values"].__setitem__(-1, float("inf")), "not a finite number"),
    ("chars.response", lambda s: s["counts"].pop(), "values and"),
    ("chars.response", lambda s: s["values"].reverse(), "not ascending"),
    ("chars.response", lambda s: s.__setitem__("count", 5), "count 5"),
    ("chars.response", lambda s: s["values"].__setitem__(0, "ten"), "not a sketch of this format"),
    ("language", lambda s: s.__setitem__("other", -3), "negative count"),
    ("language", lambda s: s["values"].append(s["values"][0]) or s["counts"].append(1) or s.update(count=s["count"] + 1),
     "twice"),
])
def test_a_damaged_reference_sketch_is_refused_where_the_contract_loads(reference: Path, tmp_path: Path, name: str,
                                                                       change: Any, why: str) -> None:
    """A run JSON edited by hand or damaged (a NaN let the check pass with a Wasserstein of nan; negative or
    inconsistent counts gave any verdict) is refused, naming the sketch and what is wrong."""
    with pytest.raises(ContractError, match=f"sketch of {name!r} is damaged") as caught:
        contract(tmp_path, _tampered(reference, tmp_path, name, change), ["chars.response", "language"])
    assert why in str(caught.value)


def test_a_damaged_sketch_in_a_run_is_noted_by_diff_not_compared() -> None:
    from traingate.reports.diff import drift_between

    good = _exact(np.arange(100.0))
    run = RunResult.model_construct(sketches=[good], schema_version="1.3")
    bad = RunResult.model_construct(sketches=[good.model_copy(update={"values": [float("nan"), *good.values[1:]]})],
                                    schema_version="1.3")
    rows, notes = drift_between(bad, run)
    assert rows == [] and any("'x'" in n and "damaged" in n for n in notes)


def test_numbers_near_the_float_limit_keep_the_normalised_wasserstein() -> None:
    """±1e308 overflowed the spread (inf, so Wasserstein over it read 0) and the area between the CDFs (nan on
    identical data): both are scale-free, computed on the values over their largest size."""
    a = np.array([-1e308, 1e308, 0.0, 1.0] * 50)
    b = np.array([-1e308, 1e308, 1e308, 1e308] * 50)
    with np.errstate(over="raise", invalid="raise"):
        same, moved_row = compare("x", _exact(a), _exact(a), Limits()), compare("x", _exact(a), _exact(b), Limits())
    assert same.wasserstein == 0.0 and same.wasserstein_normalised == 0.0 and not same.flagged
    small_a, small_b = a / 1e300, b / 1e300  # the same shapes, far from the limit: the same normalised distance
    expected = wasserstein_distance(small_a, small_b) / np.std(small_a)
    assert moved_row.wasserstein_normalised == pytest.approx(expected, rel=1e-9) and moved_row.flagged


def test_an_empty_reference_run_says_it_read_no_rows(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.jsonl", [])
    (tmp_path / "empty.run.json").write_text(validate(contract(tmp_path, "empty.jsonl", None), [empty]).model_dump_json())
    with pytest.raises(ContractError, match="read no rows"):
        contract(tmp_path, "empty.run.json", None)


def test_data_a_feature_cannot_be_compared_in_errs_naming_it_not_as_a_crash(reference: Path, tmp_path: Path) -> None:
    words = write(tmp_path / "w.jsonl", [{"prompt": "a", "response": "b", "n": "many"}] * 5)
    numbers = write(tmp_path / "n.jsonl", [{"prompt": "a", "response": "b", "n": 3}] * 5)
    (tmp_path / "n.run.json").write_text(validate(contract(tmp_path, "n.jsonl", ["n"]), [numbers]).model_dump_json())
    (check,) = validate(contract(tmp_path, "n.run.json", ["n"]), [words]).checks
    assert check.status == "errored" and "crashed" not in (check.error or "")
    assert "'n' is numeric in the reference and categorical here" in (check.error or "")


def test_a_column_the_reference_lacks_is_not_a_drift_of_empty_labels(tmp_path: Path) -> None:
    """Rows of a batch without the column have no value of it, as rows of a null column: the reference
    lacking the column had been sketched as one label '' per row, and the feature 'moved'."""
    write(tmp_path / "ref.jsonl", [{"prompt": "a", "response": "b"}] * 50)
    data = write(tmp_path / "d.jsonl", [{"prompt": "a", "response": "b", "source": "web"}] * 50)
    (check,) = validate(contract(tmp_path, "ref.jsonl", ["source"]), [data]).checks
    assert check.status == "errored" and "source: no sketch in the reference" in (check.error or "")
    mixed = [write(tmp_path / "m1.jsonl", [{"prompt": "a", "response": "b", "source": "web"}] * 50),
             write(tmp_path / "m2.jsonl", [{"prompt": "a", "response": "b"}] * 50)]
    write(tmp_path / "ref2.jsonl", [{"prompt": "a", "response": "b", "source": "web"}] * 50)
    (check,) = validate(contract(tmp_path, "ref2.jsonl", ["source"]), mixed).checks
    assert check.details["features"][0]["current_count"] == 50 and not check.details["features"][0]["flagged"]


def test_diff_says_why_a_run_holds_no_sketches() -> None:
    from traingate.reports.diff import drift_between

    sketched = RunResult.model_construct(sketches=[_exact(np.arange(10.0))], schema_version="1.3")
    _, notes = drift_between(RunResult.model_construct(sketches=[], schema_version="1.3"), sketched)
    assert notes == ["OLD holds no sketches (it read no rows): no drift table"]  # it had said: run format before 1.3
    _, notes = drift_between(sketched, RunResult.model_construct(sketches=[], schema_version="1.2"))
    assert notes == ["NEW holds no sketches (run format 1.2, before 1.3): no drift table"]


def test_a_topic_column_in_one_file_is_the_feature_for_the_whole_run(tmp_path: Path) -> None:
    """As coverage counts it: rows of a file without the column are not labelled zero-shot beside it, in
    either order of the files (a sketch that had labelled them keeps none of those labels)."""
    pytest.importorskip("wordllama")
    from traingate.validators.common.sketch_features import observe
    from traingate.validators.common.sketches import merge_sketches

    spec = parse_contract(contract_text_sft(), "c.yaml").dataset
    with_column = _batch(spec, [{"prompt": "bank money", "response": "ok", "topic": "sea"}] * 2)
    without = _batch(spec, [{"prompt": "What are the symptoms of the flu?", "response": "ok"}] * 3)
    for first, second in ((with_column, without), (without, with_column)):
        whole = observe(observe({}, first, ["topic"]), second, ["topic"])
        parts = merge_sketches(observe({}, first, ["topic"]), observe({}, second, ["topic"]))
        for sketch in (whole["topic"], parts["topic"]):
            assert sketch.to_model("topic").model_dump(include={"values", "counts", "count"}) == {
                "values": ["sea"], "counts": [2], "count": 2}


def contract_text_sft() -> str:
    return ("contract: c\nversion: 1.0.0\ndataset: {kind: sft}\nchecks:\n  consistency:\n    - type: drift\n"
            "      reference: x.json\n")


def _batch(spec: Any, items: list[dict[str, str]]) -> Any:
    import pyarrow as pa

    from traingate.data.batch import BatchContext
    from traingate.data.tokenizers import get_tokenizer

    return BatchContext(pa.Table.from_pylist(items), spec, get_tokenizer("whitespace"), file="f.jsonl", file_index=0,
                        lines=np.arange(1, len(items) + 1), unit="line", split="train", row_offset=0)
