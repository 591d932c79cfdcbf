"""The dashboard in a real browser (Debian's Chromium through Playwright, never a downloaded one):
the metric cards show the expected values, every chart draws SVG marks, and no request leaves
127.0.0.1. Screenshots go to test-artifacts/ (or $SMSOPS_TEST_ARTIFACTS)."""

import os
import shutil
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.components import require
from tests.conftest import REPO, NoRedirect, run_cli, serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("SMSOPS_TEST_ARTIFACTS", REPO / "test-artifacts"))
TOKEN = "browser-test-token"
VEGA_CHARTS = ["deliveries", "speed-histogram", "clicks-by-hour", "sales", "optouts-by-day", "kpis"]
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require("Chromium", CHROMIUM)
    project = tmp_path_factory.mktemp("browser") / "project"
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(
        ".git", ".venv", "*.db", "rejected", "__pycache__", ".pytest_cache", "bench", "test-artifacts"))
    for command in (["contacts", "import"], ["run", "--at", "2027-01-07T10:00+01:00"],
                    ["sync", "--at", "2027-01-07T12:00+01:00"]):
        result = run_cli(project, *command)
        assert result.exit_code == 0, result.output
    with serving(project, {**os.environ, "SMSOPS_WEBHOOK_TOKEN": TOKEN}) as url:
        db = sqlite3.connect(project / "smsops.db")
        token = db.execute("SELECT link_token FROM messages WHERE status = 'delivered' "
                           "ORDER BY id LIMIT 1").fetchone()[0]
        urllib.request.urlopen(urllib.request.Request(f"{url}/-/smsops/mo/kannel?token={TOKEN}"
                                                      "&from=%2B33639980002&text=STOP+merci"))
        with pytest.raises(urllib.error.HTTPError) as redirect:
            urllib.request.build_opener(NoRedirect).open(
                urllib.request.Request(f"{url}/{token}", headers={"User-Agent": BROWSER}))
        assert redirect.value.code == 302
        yield url, db


@pytest.fixture(scope="module")
def page(served):
    from playwright.sync_api import sync_playwright
    url, _db = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        yield page
        browser.close()


def _open_dashboard(page, url, query=""):
    page.goto(f"{url}/-/dashboards/results{query}")
    page.wait_for_function(f"document.querySelectorAll('svg.marks').length >= {len(VEGA_CHARTS)}",
                           timeout=20000)


def _metric(page, name):
    return page.inner_text(f"#chart-{name} p").strip()


def test_dashboard_shows_the_expected_kpis_and_draws_every_chart(served, page):
    url, db = served
    _open_dashboard(page, url)
    sent, delivered, clickers, optouts = db.execute(
        "SELECT SUM(sent), SUM(delivered), SUM(unique_clickers), SUM(optouts) FROM campaign_kpis"
    ).fetchone()
    assert (sent, clickers, optouts) == (8, 1, 1)
    assert _metric(page, "sent") == "8"
    assert _metric(page, "deliverability") == f"{round(100 * delivered / sent, 1):g} %"
    assert _metric(page, "clicks") == f"{round(100 / delivered, 1):g} %"
    assert _metric(page, "optouts") == f"{round(100 / delivered, 1):g} %"
    assert _metric(page, "revenue") == "0 €"
    for chart in VEGA_CHARTS:
        assert page.locator(f"#chart-{chart} svg.marks").count() == 1, chart
        assert page.locator(f"#chart-{chart} svg.marks g.mark-rect path, "
                            f"#chart-{chart} svg.marks g.mark-rect").count() > 0 or chart in (
            "sales",), chart  # no orders yet: the sales chart has axes but no bars
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_one_campaign_s_page(served, page):
    url, _db = served
    _open_dashboard(page, url, "?campaign=vente-privee")
    assert _metric(page, "sent") == "8"
    page.screenshot(path=str(ARTIFACTS / "campaign-vente-privee.png"), full_page=True)


def test_no_request_left_127_0_0_1(served, page):
    url, _db = served
    assert page.requests, "the browser made no request at all"
    assert [r for r in page.requests if not r.startswith(url + "/")] == []
