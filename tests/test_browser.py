"""The dashboard in a real browser (Debian's Chromium through Playwright, never a downloaded one):
the metric cards show the expected values, every chart draws one mark per row of its query (and
says "no data" when there is none), one campaign's page shows that campaign's own numbers, and no
request leaves 127.0.0.1. Screenshots go to test-artifacts/ (or $SMSOPS_TEST_ARTIFACTS)."""

import os
import shutil
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from runner import charts
from tests.components import require
from tests.conftest import REPO, NoRedirect, run_cli, serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("SMSOPS_TEST_ARTIFACTS", REPO / "test-artifacts"))
TOKEN = "browser-test-token"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"
METRICS = "SELECT SUM(sent), SUM(delivered), SUM(unique_clickers), SUM(conversions), SUM(optouts), " \
          "SUM(revenue_eur) FROM campaign_kpis"
# vente-privee's campaign-wide code, two days after its send
ORDERS = "code,date,amount,order_id\nPRIVE20,2027-01-09 11:40,57.00,1001\n"


def _click(url, db, campaign):
    token = db.execute("SELECT link_token FROM messages WHERE status = 'delivered' AND campaign_id = ? "
                       "ORDER BY id LIMIT 1", (campaign,)).fetchone()[0]
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(
            urllib.request.Request(f"{url}/{token}", headers={"User-Agent": BROWSER}))
    assert redirect.value.code == 302


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Two campaigns with different numbers, and data for every chart: sends and reports, an
    order with a promo code, clicks and a STOP."""
    require("Chromium", CHROMIUM)
    project = tmp_path_factory.mktemp("browser") / "project"
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(
        ".git", ".venv", "*.db", "rejected", "__pycache__", ".pytest_cache", "bench", "test-artifacts"))
    (project / "orders.csv").write_text(ORDERS, encoding="utf-8")
    for command in (["contacts", "import"], ["run", "--at", "2027-01-07T10:00+01:00"],
                    ["sync", "--at", "2027-01-07T12:00+01:00"], ["run", "--at", "2027-01-11T11:30+01:00"],
                    ["sync", "--at", "2027-01-11T12:00+01:00"],
                    ["conversions", "import", str(project / "orders.csv"), "--at", "2027-01-12T10:00+01:00"]):
        result = run_cli(project, *command)
        assert result.exit_code == 0, result.output
    with serving(project, {**os.environ, "SMSOPS_WEBHOOK_TOKEN": TOKEN}) as url:
        db = sqlite3.connect(project / "smsops.db")
        urllib.request.urlopen(urllib.request.Request(f"{url}/-/smsops/mo/kannel?token={TOKEN}"
                                                      "&from=%2B33639980002&text=STOP+merci"))
        for campaign in ("vente-privee", "carte-hiver"):
            _click(url, db, campaign)
        yield url, db


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page per test, recording its own requests and console warnings."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.requests, page.warnings = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: page.warnings.append(message.text)
            if message.type in ("warning", "error") else None)
    yield page
    context.close()


def _open_dashboard(page, url, query=""):
    page.goto(f"{url}/-/dashboards/results{query}")
    page.wait_for_function(f"document.querySelectorAll('svg.marks').length >= {len(charts.CHARTS)}",
                           timeout=20000)


def _metric(page, name):
    return page.inner_text(f"#chart-{name} p").strip()


def _bars(page, chart):
    """The bars drawn with data (an empty mark group draws no path)."""
    return page.locator(f"#chart-{chart} svg.marks g.mark-rect.role-mark path").count()


def _notes(page, chart):
    return page.locator(f"#chart-{chart} svg.marks g.mark-text text", has_text="no data").count()


def _percent(part, whole):
    return f"{round(100 * part / whole, 1):g} %"


def _shows_its_own_rows(page, db, campaign=None):
    for chart in charts.CHARTS:
        rows = charts.chart_rows(db, chart, campaign)
        assert rows, f"{chart}: the test data leaves it empty"
        assert (_bars(page, chart), _notes(page, chart)) == (len(rows), 0), chart


def test_dashboard_shows_the_expected_kpis_and_draws_every_chart(served, page):
    url, db = served
    _open_dashboard(page, url)
    sent, delivered, clickers, conversions, optouts, revenue = db.execute(METRICS).fetchone()
    assert (sent, clickers, conversions, optouts, revenue) == (15, 2, 1, 1, 57.0)
    assert _metric(page, "sent") == "15"
    assert _metric(page, "deliverability") == _percent(delivered, sent)
    assert _metric(page, "clicks") == _percent(2, delivered)
    assert _metric(page, "conversions") == _percent(1, delivered)
    assert _metric(page, "optouts") == _percent(1, delivered)
    assert _metric(page, "revenue") == "57 €"
    _shows_its_own_rows(page, db)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing wider
    assert page.warnings == []  # e.g. "Width container only works for single views", schema version
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_one_campaign_s_page_shows_that_campaign_s_own_numbers(served, page):
    url, db = served
    _open_dashboard(page, url, "?campaign=carte-hiver")
    sent, delivered, clickers = db.execute("SELECT sent, delivered, unique_clickers FROM campaign_kpis "
                                           "WHERE campaign_id = 'carte-hiver'").fetchone()
    assert (sent, clickers) == (7, 1) and sent != db.execute(METRICS).fetchone()[0]
    assert _metric(page, "sent") == "7"
    assert _metric(page, "deliverability") == _percent(delivered, sent)
    assert _metric(page, "clicks") == _percent(clickers, delivered)
    assert _metric(page, "revenue") == "0 €"  # vente-privee's order is not carte-hiver's
    for chart in ("deliveries", "speed-histogram", "clicks-by-hour", "kpis"):
        assert _bars(page, chart) == len(charts.chart_rows(db, chart, "carte-hiver")), chart
    assert _bars(page, "kpis") == 5  # its five KPIs only
    assert (_bars(page, "sales"), _notes(page, "sales")) == (0, 1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign-carte-hiver.png"), full_page=True)


def test_a_campaign_without_results_says_no_data_in_every_chart(served, page):
    url, _db = served
    _open_dashboard(page, url, "?campaign=nouvelle-bougie")
    for chart in charts.CHARTS:
        assert (_bars(page, chart), _notes(page, chart)) == (0, 1), chart


def test_no_request_left_127_0_0_1(served, page):
    url, _db = served
    _open_dashboard(page, url, "?campaign=vente-privee")
    assert any("/smsops.json?sql=" in request for request in page.requests)  # the charts' data
    assert [r for r in page.requests if not r.startswith(url + "/")] == []
