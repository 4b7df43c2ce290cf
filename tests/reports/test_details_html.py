"""The HTML report reads each check's details through its model: sections are chosen by what the model is,
and a field the template reads but the model lacks, or details that do not fit their model, fail the render
instead of dropping a part of the report."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from jinja2 import UndefinedError
from pydantic import ValidationError

from tests.conftest import contract_text
from traingate.reports.html import _environment, render_html, section_test_name
from traingate.results import RunResult
from traingate.validators.common.details import SECTIONS
from traingate.validators.consistency.conflicts import ConflictDetails

CONFLICTS = "  consistency:\n    - type: conflicting_labels\n"


@pytest.fixture
def conflicting(run: Callable[..., RunResult]) -> RunResult:
    rows = [{"prompt": "2+2?", "response": "4"}, {"prompt": "2+2?", "response": "5"},
            {"prompt": "capital of France?", "response": "Paris"}, {"prompt": "Capital of France?", "response": "Lyon"},
            {"prompt": "hello", "response": "hi"}]
    return run(contract_text("sft", CONFLICTS), rows)


def test_conflict_groups_are_counted_in_the_cluster_caption(conflicting: RunResult) -> None:
    html = render_html(conflicting)
    assert "cluster sizes (2 clusters)" in html and "( clusters)" not in html
    assert html.count('<div class="q">cluster of 2 rows</div>') == 2


def test_each_section_has_a_template_test() -> None:
    tests = _environment().tests
    assert [section_test_name(s) for s in SECTIONS] == ["reason_counts", "split_counts", "cluster_listing",
                                                        "prompt_conflict_listing", "eval_set_listing", "share_listing",
                                                        "annotator_deviations", "violation_list", "drift_table"]
    assert all(section_test_name(s) in tests for s in SECTIONS)


def test_a_field_the_model_lacks_fails_the_render() -> None:
    details = ConflictDetails(groups=1, largest_clusters=[], fields=["prompt"], cluster_sizes={"2": 1})
    with pytest.raises(UndefinedError, match="clusters"):  # conflicts count `groups`: the caption once read `clusters`
        _environment().from_string("{{ d.clusters }}").render(d=details)


def test_details_that_do_not_fit_their_model_fail_the_render(conflicting: RunResult) -> None:
    conflicting.checks[0].details["clusters"] = conflicting.checks[0].details.pop("groups")
    with pytest.raises(ValidationError, match="groups"):
        render_html(conflicting)
