"""What `smsops serve` shows: every table and column described, the KPI queries answer, and not
one clear phone number or piece of consent evidence is reachable, by any page, JSON endpoint,
canned query, dashboard or arbitrary SQL."""

import re
import sqlite3
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from runner.charts import METADATA
from runner.store import open_store
from tests.conftest import run_cli
from tests.test_webhooks import BROWSER, TOKEN, Web

DB = "smsops"


def secrets_of(project_dir):
    """Every clear form of every contact's number, and their consent evidence."""
    contacts = sqlite3.connect(project_dir / "contacts.db")
    found = set()
    for e164, raw, source, date in contacts.execute(
            "SELECT _phone, _raw_phone, _consent_source, _consent_date FROM contacts"):
        if e164:
            national = "0" + e164[3:]
            found |= {e164, e164[1:], national, " ".join(re.findall(r"..", national)),
                      ".".join(re.findall(r"..", national)), "+33 " + national[1:]}
        found |= {v for v in (raw, source, date) if v and len(v) > 6}
    return found


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import shutil

    from tests.conftest import REPO
    project_dir = tmp_path_factory.mktemp("privacy") / "project"
    shutil.copytree(REPO, project_dir, ignore=shutil.ignore_patterns(
        ".git", ".venv", "*.db", "rejected", "__pycache__", ".pytest_cache", "bench"))
    web = Web(project_dir)
    assert run_cli(project_dir, "sync", "--at", "2027-01-07T12:00+01:00").exit_code == 0
    token = web.message(1)[3]
    web.request("GET", f"/{token}", headers={"user-agent": BROWSER})
    web.request("GET", f"/-/smsops/mo/kannel?from=%2B33639980002&text=STOP&token={TOKEN}")
    return web, secrets_of(project_dir)


def fetch(web, path):
    response = web.request("GET", path)
    return response.status_code, response.text


def test_every_table_and_column_is_described():
    import yaml
    described = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["tables"]
    db = open_store(__import__("pathlib").Path(":memory:"))
    for table in db.table_names() + db.view_names():
        assert table in described, f"{table} has no description in metadata.yml"
        columns = {c.name for c in db[table].columns}
        assert columns == set(described[table]["columns"]), table


def test_kpi_queries_answer_with_the_view_s_numbers(served):
    web, _secrets = served
    rows = web.request("GET", f"/{DB}/deliverability.json?_shape=array").json()
    assert [(r["campaign_id"], r["sent"], r["delivered"]) for r in rows] == [
        ("vente-privee", 8, web.db().execute("SELECT delivered FROM campaign_kpis").fetchone()[0])]
    for query in ("delivery_speed", "click_rate", "conversion_rate", "conversions_by_code",
                  "bounce_rate", "optout_rate"):
        assert web.request("GET", f"/{DB}/{query}.json").status_code == 200, query


def test_the_database_file_and_the_contacts_database_are_not_served(served):
    web, _secrets = served
    assert fetch(web, f"/{DB}.db")[0] in (403, 404)
    assert fetch(web, "/contacts")[0] == 404
    assert fetch(web, "/_memory.json?sql=select+1")[0] in (403, 404)  # no --crossdb
    assert [d["name"] for d in web.request("GET", "/-/databases.json").json()] == [DB]


def test_no_page_endpoint_query_or_dashboard_shows_a_clear_number(served):
    web, secrets = served
    db = web.db()
    tables = [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")]
    start = ["/", f"/{DB}", "/-/dashboards", "/-/metadata.json", "/-/databases.json"]
    for table in tables:
        start += [f"/{DB}/{table}", f"/{DB}/{table}.json?_shape=array&_size=max",
                  f"/{DB}.json?sql=select+*+from+{table}&_shape=array"]
        pks = db.execute(f"SELECT rowid FROM [{table}] LIMIT 3").fetchall() if table != "campaign_kpis" \
            else []
        start += [f"/{DB}/{table}/{pk}" for (pk,) in pks]
    seen, queue, crawled = set(), list(start), 0
    while queue and crawled < 600:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, body = fetch(web, path)
        crawled += 1
        leaked = sorted(s for s in secrets if s in body)
        assert not leaked, f"{path} shows {leaked}"
        if status != 200 or "html" not in body[:200].lower():
            continue
        parser = Links()
        parser.feed(body)
        for link in parser.found:
            target = urljoin(path, link)
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith(("/" + DB, "/-/dashboards")):
                continue
            if "_sort" in parts.query or "_facet" in parts.query or parts.path.endswith(".csv"):
                continue  # the same rows again in another order
            queue.append(parts.path + ("?" + parts.query if parts.query else ""))
    assert crawled > 60  # the crawl really went through the site


def test_with_a_password_every_page_needs_a_login_but_webhooks_and_links_still_work(
        project_dir, monkeypatch):
    from datasette_auth_passwords.utils import hash_password
    monkeypatch.setenv("SMSOPS_SERVE_PASSWORD_HASH", hash_password("correct horse", iterations=1000))
    web = Web(project_dir, env={"SMSOPS_WEBHOOK_TOKEN": TOKEN, "SMSOPS_SERVE_PASSWORD_HASH": "set"})
    for path in ("/", f"/{DB}/messages", f"/{DB}.json?sql=select+1", f"/{DB}/deliverability.json"):
        assert fetch(web, path)[0] == 403, path
    assert fetch(web, "/-/login")[0] == 200
    cookie = {"ds_actor": web.datasette.sign({"a": {"id": "smsops"}}, "actor")}
    assert web.request("GET", f"/{DB}/messages", cookies=cookie).status_code == 200
    assert fetch(web, "/-/smsops/charts/kpis.svg")[0] == 403
    assert web.dlr(web.message()[0], 1).status_code == 200
    assert web.request("GET", f"/{web.message()[3]}").status_code == 302


@pytest.mark.parametrize("chart", ["deliveries", "speed-histogram", "clicks-by-hour", "kpis"])
def test_server_side_charts_are_svg_with_drawn_marks(served, chart):
    web, _secrets = served
    response = web.request("GET", f"/-/smsops/charts/{chart}.svg?campaign=vente-privee")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg") and 'class="mark-rect' in response.text


def test_an_unknown_chart_is_404_and_sql_never_comes_from_the_request(served):
    web, _secrets = served
    assert fetch(web, "/-/smsops/charts/messages.svg")[0] == 404
    assert fetch(web, "/-/smsops/charts/kpis.svg?sql=select+phone_masked+from+messages")[0] == 200


def test_kpi_query_pages_embed_their_chart(served):
    web, _secrets = served
    status, body = fetch(web, f"/{DB}/delivery_speed")
    assert status == 200 and '<img src="/-/smsops/charts/speed-histogram.svg"' in body
