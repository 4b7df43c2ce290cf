"""The HTML report in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven by
Selenium. Skips where they are absent; `.ci/run` installs them. The screenshot is kept as a test artefact."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, contract_text
from traingate.reports.html import write_html
from traingate.results import RunResult

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromium-driver are not installed")
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


@pytest.fixture
def browser() -> object:
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


def test_report_in_chromium(run: Callable[..., RunResult], tmp_path: Path, browser: object) -> None:
    from selenium.webdriver.common.by import By

    rows = [{"prompt": "Say hi", "response": HOSTILE}, {"prompt": "", "response": "an answer with {{name}}"},
            {"prompt": "Say hi", "response": HOSTILE}, {"prompt": "Tell me more", "response": "Sure, " * 30}]
    checks = ("  format:\n    - type: empty_text\n    - type: placeholders\n  uniqueness:\n    - type: exact_duplicates\n"
              "  quantity:\n    - type: min_rows\n      min: 2\n")
    result = run(contract_text("sft", checks), rows)
    page = tmp_path / "report.html"
    write_html(result, page)
    driver = browser
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    find = driver.find_element  # type: ignore[attr-defined]
    find_all = driver.find_elements  # type: ignore[attr-defined]
    assert find(By.ID, "verdict").text.startswith("FAILED")
    assert len(find_all(By.CSS_SELECTOR, "svg")) >= 5  # histograms, reason bars, cluster sizes
    assert not find_all(By.TAG_NAME, "script") and not find_all(By.CSS_SELECTOR, "img")
    assert any(HOSTILE in pre.text for pre in find_all(By.CSS_SELECTOR, "pre.sample"))  # shown as text
    passed = find(By.CSS_SELECTOR, "section.check.st-passed")
    assert passed.is_displayed()
    find(By.CSS_SELECTOR, "label[for=f-failed]").click()
    assert not passed.is_displayed() and find(By.CSS_SELECTOR, "section.check.st-failed").is_displayed()
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    find(By.CSS_SELECTOR, "label[for=f-all]").click()
    driver.save_screenshot(str(artifacts / "report.png"))  # type: ignore[attr-defined]
