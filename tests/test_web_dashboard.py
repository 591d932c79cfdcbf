"""What `smsops serve` links and draws around its dashboard, over HTTP in-process: each campaign
opens its own dashboard, table pages carry their server-side chart, and nobody is offered a
login that cannot exist."""

import re

import pytest

from runner.web import exposure_warning
from tests.test_webhooks import TOKEN, Web

DB = "smsops"
VENTE_DASHBOARD = "/-/dashboards/results?campaign=vente-privee"


@pytest.fixture
def web(project_dir):
    return Web(project_dir)


def test_every_campaign_links_to_its_own_dashboard(web):
    for path in (f"/{DB}/campaign_kpis", f"/{DB}/campaigns", f"/{DB}/deliverability"):
        page = web.request("GET", path).text
        assert f'<a href="{VENTE_DASHBOARD}">' in page, path
    for path in ("/", f"/{DB}"):
        assert '<a href="/-/dashboards/results">Dashboard</a>' in web.request("GET", path).text, path


def test_the_dashboard_filtered_by_one_campaign_answers(web):
    page = web.request("GET", VENTE_DASHBOARD)
    assert page.status_code == 200 and "campaign=vente-privee" in page.text


@pytest.mark.parametrize("table", ["campaign_kpis", "delivery_speeds"])
def test_table_pages_show_their_server_side_chart(web, table):
    page = web.request("GET", f"/{DB}/{table}").text
    [src] = re.findall(r'<img src="(/-/smsops/charts/[a-z-]+\.svg)"', page)
    chart = web.request("GET", src)
    assert chart.headers["content-type"] == "image/svg+xml" and 'role-mark' in chart.text


LOG_IN = '<a href="/-/login">Log in</a>'


def test_no_log_in_link_without_a_password(web):
    assert LOG_IN not in web.request("GET", "/").text


def test_log_in_link_when_a_password_is_set(project_dir):
    web = Web(project_dir, env={"SMSOPS_WEBHOOK_TOKEN": TOKEN, "SMSOPS_SERVE_PASSWORD_HASH": "x"})
    home = web.request("GET", "/")
    assert home.status_code == 403 and LOG_IN in home.text


def test_listening_beyond_loopback_without_a_password_warns(web):
    assert exposure_warning(web.datasette, "127.0.0.1") is None
    [line] = exposure_warning(web.datasette, "0.0.0.0").splitlines()
    assert "0.0.0.0" in line and "SMSOPS_SERVE_PASSWORD_HASH" in line


def test_no_warning_beyond_loopback_with_a_password(project_dir):
    web = Web(project_dir, env={"SMSOPS_SERVE_PASSWORD_HASH": "x"})
    assert exposure_warning(web.datasette, "0.0.0.0") is None
