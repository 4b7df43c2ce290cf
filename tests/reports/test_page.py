"""The HTML report's page: the first screen decides (the verdict as its heading, tiles, the why table), severity
in the same words as every other view, evidence cards that lead with `file:line` and show what was measured,
passed checks and long file lists folded, and the page's responsive, print and accessible parts.

`build_run` makes the run the browser test opens too: a chat set in six files under a long folder, 20 checks
that fail or cannot run (errors, warnings, an errored check), one noted info check, a passed one, duplicates, an
unreadable record and a PII finding whose samples carry an entity score, a recognizer and a chat turn."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from markupsafe import escape

from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.engine.runner import validate
from traingate.reports import figures
from traingate.reports.html import render_html
from traingate.results import RunResult
from traingate.results.gate import decide
from traingate.results.model import CheckResult, Sample
from traingate.validators.compliance.pii_result import PiiDetails

FOLDER = ("datasets/organisation-wide-training-corpora/assistant-conversations-2024-q3-release-candidate/"
          "shards-after-deduplication-and-filtering")
CHECKS = """  format:
    - type: chat_structure
      first_role: user
      last_role: assistant
      alternate: true
    - type: empty_text
    - type: whitespace
      severity: warn
    - type: encoding
    - type: special_tokens
    - type: code_fences
      severity: warn
    - type: placeholders
    - type: max_tokens
      limit: 12
      severity: warn
    - type: max_tokens
      limit: 40
    - type: max_chars
      name: long_turns
      limit: 80
      max_rate: 0.05
    - type: min_chars
      name: short_turns
      limit: 20
      severity: info
    - type: min_tokens
      limit: 1
  quantity:
    - type: min_rows
      min: 1000
    - type: min_tokens
      min: 100000
      severity: warn
  uniqueness:
    - type: exact_duplicates
    - type: near_duplicates
      threshold: 0.6
      severity: warn
  compliance:
    - type: blocklist
      terms: [internal.corp, forbidden]
  alignment:
    - type: refusals
    - type: truncated
      severity: warn
  consistency:
    - type: conflicting_labels
  coverage:
    - type: diversity
      feature: output_format
      min_entropy: 0.99
      severity: warn
"""
STEPS = "\n".join(f"step {i}: read the next record and check it" for i in range(24))
CHATS = [
    ("How do I reverse a list?", "Use items[::-1] for a copy."),
    ("", "An empty question gets this answer."),
    ("  Trailing spaces  ", "Fine.\r\n"),
    ("Fill {{name}} please", "Hello {{name}}, welcome."),
    ("Token leak?", "Sure <|im_start|>assistant here"),
    ("Code?", "```python\nprint(1)\n"),
    ("Tell me a story", "This is a fairly long answer that keeps going on and on about the topic " * 3),
    ("Bad bytes", "caf\ufffd and \x07 bell"),
    ("Host?", "see build.internal.corp for the forbidden list"),
    ("Help me", "As an AI language model, I cannot help with that."),
    ("<script>alert('x')</script>", "<img src=x onerror=alert(1)> shown as text"),
    ("The plan?", STEPS + " and then {{slot}}"),
    ("What is 2+2?", "4"),
]


def chat_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(48):
        prompt, answer = CHATS[i % len(CHATS)]
        turns = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
        if i % 13 == 12:
            turns.reverse()  # the assistant speaks first
        if i >= len(CHATS) and i % 3 == 0:
            turns[-1]["content"] += f" variant {i}"
        rows.append({"id": f"r{i}", "messages": turns})
    return rows


def pii_check(file: str) -> CheckResult:
    """A PII finding as the pii check reports it, built by hand: its engine is slow to load for a page test."""
    samples = [Sample(file=file, line=line, field="messages", reason="PERSON", excerpt=text, span=span, value=score,
                      measure="score", role=role, turn=turn, recognizer="SpacyRecognizer")
               for line, text, span, score, role, turn in
               ((2, "write a <PERSON> program", (8, 16), 0.85, "user", 0),
                (5, "ask <PERSON> about the release", (4, 12), 0.61, "assistant", 3))]
    details = PiiDetails(recognizers="NER and patterns", entities=["PERSON"], by_reason={"PERSON": 2},
                         scanned_rows=48, total_rows=48, failed_limits=["total"], patterns_only_rows=0, evidence=[])
    return CheckResult(id="compliance.pii", group="compliance", type="pii", severity="error", status="failed",
                       metric="count", value=2, threshold={"kind": "none", "value": 0}, rows=48, findings=2,
                       rate=2 / 48, message="2 of 48 rows with personal data (4.17%)", details=details.dump(),
                       samples=samples)


def build_run(root: Path) -> RunResult:
    """The run of 20 failing or erroring checks that the page tests and the browser test open."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rows, paths = chat_rows(), []
    for k in range(6):
        path = folder / f"conversations-part-{k:05d}-of-00006-with-a-very-long-descriptive-file-name.jsonl"
        lines = [json.dumps(r) for r in rows[k::6]] + (['{"id": "broken", "messages": [<html>'] if k == 3 else [])
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        paths.append(str(path))
    contract = parse_contract(contract_text("chat", CHECKS, extra="  tokenizer: whitespace\n")
                              .replace("version: 1.0.0", "version: 2.3.0"), str(root / "contract.yaml"))
    result = validate(contract, paths)
    result.checks.append(pii_check(paths[1]))
    result.gate = decide(result.checks, result.gate.fail_on, result.dataset.bad_records, 0)
    return result


@pytest.fixture(scope="module")
def page_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return build_run(tmp_path_factory.mktemp("page"))


@pytest.fixture(scope="module")
def page(page_run: RunResult) -> str:
    return render_html(page_run)


def why_rows(html: str) -> list[list[str]]:
    """The why table's rows, each as its cells' HTML."""
    table = re.search(r'<table class="why" id="why">(.*?)</table>', html, re.S)
    assert table is not None
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
            if "<td" in row]


def test_the_run_has_twenty_checks_to_read_first(page_run: RunResult) -> None:
    problems = [c for c in page_run.checks if figures.is_problem(c)]
    assert len(problems) == 20 and page_run.gate.verdict == "errored"
    assert {figures.status_word(c) for c in problems} == {"failed", "failed (warn)", "errored"}
    assert [figures.status_word(c) for c in page_run.checks].count("noted (info)") == 1


def test_the_verdict_is_the_heading_and_the_why_table_follows_it(page_run: RunResult, page: str) -> None:
    assert page.count("<h1") == 1 and "<h1>ERRORED</h1>" in page
    assert page.index("<h1>") < page.index('id="why"') < page.index('id="checks"') < page.index('id="run"')
    rows = why_rows(page)
    problems = [c for c in page_run.checks if figures.is_problem(c)]
    assert len(rows) == len(problems) == 20
    # Errored first, then error failures, then warn failures, each in the contract's order.
    words = [re.sub(r"<.*?>", "", cells[1]) for cells in rows]
    assert words == sorted(words, key=["errored", "failed", "failed (warn)"].index)
    for cells in rows:
        check = next(c for c in problems if f">{c.id}</a>" in cells[0])
        assert cells[1] == figures.status_word(check) and cells[2] == escape(figures.measured(check))
        target = re.search(r'href="#([^"]+)"', cells[0])
        assert target is not None and f'id="{target.group(1).replace("%23", "#")}"' in page
    noted = next(c for c in page_run.checks if c.severity == "info")
    assert f">{noted.id}</a>" not in "".join(c[0] for c in rows) and f'id="c-{noted.id}"' in page


def test_the_why_table_states_values_in_their_unit(page: str) -> None:
    rows = {re.sub(r"<.*?>", "", cells[0]): cells for cells in why_rows(page)}
    assert rows["long_turns"][2] == "14.58% &gt; 5.00%" and rows["long_turns"][3] == "7"
    assert rows["quantity.min_rows"][2] == "48 rows &lt; 1,000"
    assert rows["format.max_tokens#2"][0].startswith('<a href="#c-format.max_tokens%232">')
    errored = rows["consistency.conflicting_labels"]
    assert errored[1] == "errored" and "prompt" in errored[4] and "optional_fields" in errored[4]  # the hint is kept whole


def test_tiles_count_checks_by_status(page_run: RunResult, page: str) -> None:
    tiles = re.findall(r"<li><b>(\d+)</b>([^<]+)</li>", page)
    counts = {word: sum(figures.status_word(c) == word for c in page_run.checks) for _, word in tiles}
    assert [(int(n), word) for n, word in tiles] == [(n, w) for w, n in counts.items()]
    assert [w for _, w in tiles] == ["failed", "failed (warn)", "errored", "passed", "noted (info)"]


def test_the_banner_lists_only_reasons_that_are_not_checks(page: str) -> None:
    banner = page[page.index('<div class="banner'):page.index("</header>")]
    assert "1 unreadable record(s), 0 allowed (gate.max_bad_records)" in banner and "check " not in banner


def test_severity_reads_the_same_as_in_every_view(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "p", "response": "  r  "}, {"prompt": "q", "response": "s"}]
    result = run(contract_text("sft", "  format:\n    - type: whitespace\n      severity: warn\n"), rows)
    html = render_html(result)
    assert result.gate.verdict == "warned" and "<h1>PASSED WITH WARNINGS</h1>" in html and "WARNED" not in html
    assert '<div class="banner warned"' in html and '<td class="t-warn">failed (warn)</td>' in html
    assert '<span class="t-warn">failed (warn)</span> format.whitespace' in html
    # The amber reads at 4.5:1 or more on white and on the page's grey.
    assert "t-warn{color:#8a5a00" in html and ".banner.warned{background:#8a5a00}" in html


def cards(html: str, check_id: str) -> list[str]:
    start = html.index(f'<h3 id="c-{check_id}">')
    section = html[start:html.index("</section>", start)]
    return re.findall(r'<div class="card">(.*?)</div>\s*(?=<div class="card">|</div>)', section, re.S)


def test_an_evidence_card_leads_with_its_place_then_what_was_measured(page_run: RunResult, page: str) -> None:
    pii = next(c for c in page_run.checks if c.id == "compliance.pii")
    folder, _, name = pii.samples[0].file.rpartition("/")
    first, second = cards(page, "compliance.pii")
    assert first.startswith(f'<div class="where mono"><span>{folder}/</span>{name}:2</div>')
    assert "<div>score 0.85 · user, turn 1 · SpacyRecognizer</div>" in first
    assert "<div>score 0.61 · assistant, turn 4 · SpacyRecognizer</div>" in second
    assert '<div class="q">PERSON · messages</div>' in first and "write a <mark>&lt;PERSON&gt;</mark> program" in first


def test_a_count_reads_with_its_unit() -> None:
    from traingate.reports.html import chat_turn, measure

    sample = Sample(file="f", line=1, reason="over_1024_tokens", value=1387, measure="tokens")
    assert measure(sample) == "1,387 tokens" and chat_turn(sample) == ""
    assert measure(Sample(file="f", line=1, reason="r", value=0.9231, measure="similarity")) == "similarity 0.92"
    assert measure(Sample(file="f", line=1, reason="r")) == ""


def test_each_check_says_how_many_of_its_rows_are_shown(page_run: RunResult, page: str) -> None:
    chat = next(c for c in page_run.checks if c.id == "format.chat_structure")
    shown = len({(s.file, s.line) for s in chat.samples})
    assert len(chat.samples) > shown  # a row with two findings gives two samples, and counts once
    assert f"{shown} of {chat.findings} rows shown; every row in --evidence" in page
    assert "2 of 2 rows shown; every row in --evidence" in page  # the PII check


def test_passed_checks_and_many_files_fold(page_run: RunResult, page: str) -> None:
    folded = re.findall(r"<details><summary>(.*?)</summary>(.*?)</details>", page, re.S)
    inside = "".join(body for _, body in folded)
    for check in page_run.checks:
        assert (f'id="c-{check.id}"' in inside) == (check.status not in ("failed", "errored")), check.id
    assert ("6 files read", True) in [(s, "conversations-part-00005" in b) for s, b in folded]


def test_few_files_stay_open_and_a_passing_run_says_so(run: Callable[..., RunResult]) -> None:
    html = render_html(run(contract_text("sft", "  quantity:\n    - type: min_rows\n      min: 1\n"),
                           [{"prompt": "p", "response": "r"}]))
    assert "<h1>PASSED</h1>" in html and "Every check passed" in html and 'id="why"' not in html
    assert "files read</summary>" not in html and "<summary>1 check passed</summary>" in html


def test_the_page_is_responsive_printable_and_accessible(page_run: RunResult, page: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "default-src 'none'" in page and "<script" not in page
    assert '<a class="skip" href="#checks">' in page and 'id="checks"' in page
    assert all(tag in page for tag in ("<header>", "<main>", '<nav aria-label="sections">'))
    headings = [int(h) for h in re.findall(r"<h([1-6])[ >]", page)]
    assert headings[0] == 1 and all(b - a <= 1 for a, b in zip(headings, headings[1:]))
    assert ".sr-only{position:absolute;width:1px;height:1px;" in page
    print_css = page[page.index("@media print{"):page.index("</style>")]
    assert "pre.sample{max-height:none;overflow:visible}" in print_css and "break-inside:avoid" in print_css
    # every printed page's header (an @page margin box, its text a CSS string with escapes)
    assert f"contract {page_run.contract.name} 2.3.0 \\b7  run {page_run.run_id}" in page and "@top-left{content:" in page
    assert "overflow-wrap:anywhere" in page and '<div class="tw" tabindex="0"><table class="why"' in page


def test_text_from_the_data_stays_text_and_a_re_render_is_identical(page_run: RunResult, page: str) -> None:
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert render_html(RunResult.model_validate_json(page_run.model_dump_json())) == page


def test_every_element_is_closed_where_it_was_opened(page: str) -> None:
    """Templates that include and call each other leave no element open and close none twice."""
    from html.parser import HTMLParser

    void = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source"}

    class Nesting(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []
            self.wrong: list[str] = []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag not in void:
                self.open.append(tag)

        def handle_startendtag(self, tag: str, attrs: object) -> None:
            pass

        def handle_endtag(self, tag: str) -> None:
            if not self.open or self.open[-1] != tag:
                self.wrong.append(f"</{tag}> closes {self.open[-3:]}")
            else:
                self.open.pop()

    nesting = Nesting()
    nesting.feed(page)
    assert nesting.wrong == [] and nesting.open == []


def test_the_printed_header_cannot_end_its_css_string() -> None:
    from traingate.reports.html import css_string

    hostile = 'x"};</style><script>alert(1)</script>\\\n'
    quoted = str(css_string(hostile))
    assert quoted.startswith('"') and quoted.endswith('"') and '"' not in quoted[1:-1]
    assert not any(ch in quoted for ch in "<>;{}\n") and "\\22 " in quoted and "\\3c " in quoted
