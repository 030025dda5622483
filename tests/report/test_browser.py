"""The exported pages in a real browser: headless Debian Chromium driven by Playwright, network cut off.

No browser download: Playwright is pointed at the system ``chromium`` (``.ci/run`` installs it). If it is
missing the test fails and says how to install it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.report.test_notebooks import XSS_SCRIPT, report_suite, suite_tables  # noqa: F401  (shared fixtures)

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
FORBIDDEN = ("Traceback", "Building prefix dict", "Warning")
#: Per plotly figure: does its SVG have a size and marks (bars, points, heatmap image, lines)?
JS_FIGURES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => {
  const svg = d.querySelector('svg.main-svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const marks = d.querySelectorAll('g.trace, path.point, g.points path, .hm, image, .bars path').length;
  return {width: box.width, height: box.height, marks: marks};
})"""


def _chromium() -> str:
    for path in CHROMIUM_CANDIDATES:
        if Path(path).exists():
            return path
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    pytest.fail(
        "headless Chromium not found: install Debian's browser with "
        "`apt-get install -y --no-install-recommends chromium fonts-noto-cjk` (.ci/run does); "
        "never `playwright install`"
    )


def _visit(page_path: Path) -> dict:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def route(r):
                url = r.request.url
                if url.startswith(("file:", "data:", "blob:")):
                    r.continue_()
                else:  # offline: anything reaching for the network is recorded and refused
                    requests.append(url)
                    r.abort()

            page.route("**/*", route)
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=20_000
            )
            page.wait_for_timeout(300)
            figures = page.evaluate(JS_FIGURES)
            n_divs = page.locator(".plotly-graph-div").count()
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            text = page.inner_text("body")
            xss = page.evaluate("() => window.__pc_xss === undefined ? null : window.__pc_xss")
            page.screenshot(path=str(page_path.with_suffix(".png")), full_page=False)
        finally:
            browser.close()
    return {
        "errors": errors,
        "requests": requests,
        "figures": figures,
        "n_divs": n_divs,
        "text": text,
        "xss": xss,
    }


@pytest.fixture(scope="module")
def briefing_visit(report_suite) -> dict:  # noqa: F811
    return _visit(report_suite["out"] / "00_briefing.html")


def test_briefing_draws_offline_without_errors(briefing_visit):
    v = briefing_visit
    assert v["errors"] == []
    assert v["requests"] == []
    assert v["n_divs"] >= 4  # documents, coverage, targets, timeline, only-here
    assert len(v["figures"]) == v["n_divs"]
    for fig in v["figures"]:
        assert fig["width"] > 100 and fig["height"] > 100, fig
        assert fig["marks"] > 0, fig


def test_briefing_text_is_chinese_and_clean(briefing_visit, suite_tables):  # noqa: F811
    text = briefing_visit["text"]
    for label in suite_tables["documents"]["city_label"].dropna():
        assert label in text
    assert "泰州(江苏)" in text and "台州(浙江)" in text
    for word in FORBIDDEN:
        assert word not in text, word


def test_document_markup_shows_as_text_and_never_runs(briefing_visit):
    assert briefing_visit["xss"] is None
    assert XSS_SCRIPT in briefing_visit["text"]


def test_corpus_overview_draws(report_suite):  # noqa: F811
    v = _visit(report_suite["out"] / "01_corpus_overview.html")
    assert v["errors"] == [] and v["requests"] == []
    assert v["n_divs"] >= 3 and all(f["marks"] > 0 for f in v["figures"])
    assert "泰州(江苏)" in v["text"] and "台州(浙江)" in v["text"]
    for word in FORBIDDEN:
        assert word not in v["text"], word
    assert v["xss"] is None
