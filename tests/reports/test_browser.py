"""The HTML report in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven by
Selenium. Skips where they are absent; `.ci/run` installs them. Screenshots are kept as test artefacts.

The page of 20 failing checks (tests/reports/test_page.py's build_run) is opened at a laptop's 1366x768 and a
phone's 390x844: the viewport is set exactly through the DevTools protocol (a headless window's size includes
no browser frame, but a window size is not a viewport), the phone's as a mobile one, so the page's viewport
tag is what keeps it at the phone's width. The PDF print is read back with pdftotext (poppler-utils), and
axe-core (tests/browser/package.json, `npm install --prefix tests/browser`) checks accessibility offline."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, contract_text
from tests.reports.test_page import build_run
from traingate.reports.html import write_html
from traingate.results import RunResult

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromium-driver are not installed")
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = {"laptop": (1366, 768, False), "phone": (390, 844, True)}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,2000"):
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    page = root / "report.html"
    write_html(build_run(root), page)
    return page


def open_at(driver: Any, page: Path, screen: str) -> None:
    """Open the page in an exact viewport; the phone's is a mobile one, where the viewport tag counts."""
    width, height, mobile = SCREENS[screen]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    driver.get(page.as_uri())
    assert driver.execute_script("return [innerWidth, innerHeight]") == [width, height]


def save(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def test_report_in_chromium(run: Callable[..., RunResult], tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    rows = [{"prompt": "Say hi", "response": HOSTILE}, {"prompt": "", "response": "an answer with {{name}}"},
            {"prompt": "Say hi", "response": HOSTILE}, {"prompt": "Tell me more", "response": "Sure, " * 30}]
    checks = ("  format:\n    - type: empty_text\n    - type: placeholders\n  uniqueness:\n    - type: exact_duplicates\n"
              "  quantity:\n    - type: min_rows\n      min: 2\n")
    result = run(contract_text("sft", checks), rows)
    page = tmp_path / "report.html"
    write_html(result, page)
    driver = browser
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.get(page.as_uri())
    find, find_all = driver.find_element, driver.find_elements
    assert find(By.ID, "verdict").text.startswith("FAILED")
    assert len(find_all(By.CSS_SELECTOR, "svg")) >= 5  # histograms, reason bars, cluster sizes
    assert not find_all(By.TAG_NAME, "script") and not find_all(By.CSS_SELECTOR, "img")
    assert any(HOSTILE in pre.text for pre in find_all(By.CSS_SELECTOR, "pre.sample"))  # shown as text
    passed = find(By.CSS_SELECTOR, "#c-quantity\\.min_rows")
    assert not passed.is_displayed() and find(By.CSS_SELECTOR, "#c-format\\.empty_text").is_displayed()
    find(By.CSS_SELECTOR, "details summary").click()  # a passed check unfolds without a script
    assert passed.is_displayed()
    save(driver, "report.png")


@pytest.mark.parametrize("screen", SCREENS)
def test_the_first_screen_decides(report: Path, browser: Any, screen: str) -> None:
    """The verdict and the why table show without scrolling, and nothing is wider than the screen."""
    open_at(browser, report, screen)
    save(browser, f"first-screen-{screen}.png")
    box = browser.execute_script(
        "const r = s => document.querySelector(s).getBoundingClientRect();"
        "const rows = [...document.querySelectorAll('#why tr')].map(t => t.getBoundingClientRect().bottom);"
        "return {h1: r('h1').bottom, why: r('#why').top, rows: rows, height: innerHeight,"
        "        text: document.querySelector('h1').textContent,"
        "        scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth}")
    assert box["text"] == "ERRORED" and box["h1"] <= box["height"] and box["why"] < box["height"]
    assert len(box["rows"]) == 21  # the header and 20 checks
    first_rows = 8 if screen == "laptop" else 2  # the header row and the first checks
    assert box["rows"][first_rows] <= box["height"], box
    assert box["scroll"] <= box["client"] and box["client"] >= SCREENS[screen][0] - 20, box  # less a scroll bar
    wide = browser.execute_script(  # nothing sticks out of the page, wrapped tables scroll inside themselves
        "return [...document.querySelectorAll('main *, header *')].filter(e => !e.closest('.tw, figure'))"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        ".map(e => e.tagName + '.' + e.className)")
    assert wide == []


@pytest.mark.parametrize("screen", SCREENS)
def test_every_why_link_reaches_its_evidence(report: Path, browser: Any, screen: str) -> None:
    from selenium.webdriver.common.by import By

    open_at(browser, report, screen)
    links = browser.find_elements(By.CSS_SELECTOR, "#why a")
    assert len(links) == 20
    for link in links:
        target = browser.execute_script(
            "const id = decodeURIComponent(new URL(arguments[0].href).hash.slice(1));"
            "return document.getElementById(id);", link)
        assert target is not None and target.is_displayed(), link.text
        assert target.text.endswith(link.text)
        browser.execute_script("arguments[0].click()", link)
        top = browser.execute_script("return arguments[0].getBoundingClientRect().top", target)
        assert -1 <= top < SCREENS[screen][1] / 2, (link.text, top)


def test_the_print_shows_every_sample_whole(report: Path, browser: Any, tmp_path: Path) -> None:
    """Printed to PDF, every card's `file:line` and the end of every excerpt are in the text: no box is clipped."""
    from selenium.webdriver.common.print_page_options import PrintOptions

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the printed report cannot be read back")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.get(report.as_uri())
    places = browser.execute_script("return [...document.querySelectorAll('.where')].map(e => e.textContent)")
    excerpts = browser.execute_script("return [...document.querySelectorAll('pre.sample')].map(e => e.textContent)")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(base64.b64decode(browser.print_page(PrintOptions())))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "report.pdf")
    # -raw keeps the page's reading order and a path's hyphen at a line's end; spaces and breaks are dropped.
    text = "".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())

    def flat(value: str) -> str:
        return "".join(ch for ch in value if ch.isprintable() and not ch.isspace())

    assert len(places) >= 60 and any(".jsonl:" in p for p in places)
    assert [p for p in places if flat(p) not in text] == []
    assert [e[-60:] for e in excerpts if flat(e)[-20:] not in text] == []
    assert "ERRORED" in text
    # every page's header holds the contract, its version and the run id (the @page margin box)
    run_id = browser.execute_script("return document.documentElement.dataset.run")
    pages = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [page for page in pages.split("\f") if page.strip()]
    assert len(pages) > 2 and all(f"run {run_id}" in page and "contract " in page for page in pages)


@pytest.mark.parametrize("screen", SCREENS)
def test_axe_finds_no_serious_violation(report: Path, browser: Any, screen: str) -> None:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `npm install --prefix tests/browser` (the npm registry)")
    open_at(browser, report, screen)
    # The page's CSP forbids scripts; WebDriver's scripts run through DevTools, which the CSP does not govern.
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    found = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))))"
        ".catch(e => done([{id: 'axe failed: ' + e, impact: 'critical', nodes: 0}]));")
    assert [v for v in found if v["impact"] in ("serious", "critical")] == []


def test_a_coverage_chart_of_57_long_values_keeps_the_phone_page_from_scrolling_sideways(
        run: Callable[..., RunResult], tmp_path: Path, browser: Any) -> None:
    """The hidden table of a chart's values is as wide as its longest value; it must not widen the page."""
    subjects = [f"high_school_subject_number_{k:02d}_with_a_long_name_test.csv" for k in range(57)]
    rows = [{"prompt": f"question {i}", "response": "answer", "subject": subjects[i % 57]} for i in range(570)]
    checks = ("  coverage:\n    - type: distribution\n      feature: subject\n      required: [astrology_test.csv]\n"
              f"      targets: {{{subjects[0]}: {{min: 0.24, max: 0.26}}}}\n")
    result = run(contract_text("sft", checks), rows)
    assert result.checks[0].status == "failed"
    page = tmp_path / "coverage.html"
    write_html(result, page)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    browser.get(page.as_uri())
    save(browser, "coverage-57-phone.png")
    # A page wider than the phone is zoomed out (a wider layout viewport) or scrolls sideways.
    inner, scroll, client = browser.execute_script(
        "return [innerWidth, document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert (inner, scroll, client) == (390, 390, 390)
