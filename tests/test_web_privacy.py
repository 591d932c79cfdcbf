"""What `smsops serve` shows: every table and column described, the KPI queries answer, and not
one clear phone number or piece of consent evidence is reachable, by any page, row page, JSON
endpoint, canned query, dashboard, dashboard chart query or chart, or arbitrary SQL; after every
provider has called in (reports, STOP replies quoting numbers, refusals, malformed calls)."""

import json
import sqlite3
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat

from runner.charts import _FILTER, CHARTS, METADATA, described
from runner.phones import DEMO_HASH_KEY
from runner.project import load_project
from runner.providers import make_provider
from runner.providers.base import Refused
from runner.store import open_store
from runner.web import make_datasette
from tests.conftest import run_cli
from tests.test_dispatch import VENTE, Run, add_contacts, at
from tests.test_webhooks import BROWSER, NOW, TOKEN, Web
from tests.test_webhooks_hosted import AUTH, PUBLIC, Hosted

DB = "smsops"
OVERSEAS = "0692 12 34 56"  # phonenumbers' Réunion example, written the national way
SEND_AT = "2027-01-07 10:00"


def written_forms(e164):
    """The ways people, providers and URL encodings write one number."""
    number = phonenumbers.parse(e164)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)  # 06 39 98 00 01
    spaced = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)  # +33 6 39 98…
    digits = national.replace(" ", "")
    return {e164, e164[1:], "00" + e164[1:], "%2B" + e164[1:], "%2b" + e164[1:], spaced,
            str(number.national_number), digits, national, *(national.replace(" ", sep)
                                                             for sep in ".-+/")}


def secrets_of(project_dir):
    """Every clear form of every contact's number, and their consent evidence."""
    contacts = sqlite3.connect(project_dir / "contacts.db")
    found = set()
    for e164, raw, source, date in contacts.execute(
            "SELECT _phone, _raw_phone, _consent_source, _consent_date FROM contacts"):
        if e164:
            found |= written_forms(e164)
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


class RefusesFirst:
    """The simulator, whose first message is refused the way Twilio refuses a number (21211)."""

    def __init__(self, simulator):
        self.simulator, self.name = simulator, simulator.name
        self.capabilities, self.refused = simulator.capabilities, False

    async def send(self, message):
        if self.refused:
            return await self.simulator.send(message)
        self.refused = True
        raise Refused(f"Twilio refused (400, code 21211): Invalid 'To' Phone Number: {message.to}",
                      raw=json.dumps({"code": 21211, "message": f"Invalid 'To' Phone Number: "
                                                                f"{message.to}"}))

    async def lookup(self, reference):
        return await self.simulator.lookup(reference)

    async def aclose(self):
        await self.simulator.aclose()


class Site(Hosted):
    """The example project, one Réunion client added, after vente-privee went out (one refusal),
    `smsops sync` pulled the simulator's reports, and every provider called its webhooks."""

    def __init__(self, project_dir):
        self.dir = project_dir
        add_contacts(project_dir, OVERSEAS)
        self.run = Run(project_dir, providers=lambda name: RefusesFirst(make_provider(
            load_project(project_dir), name, {}, lambda: at(SEND_AT))))
        outcome = self.run(SEND_AT)[VENTE]
        assert (outcome.sent, outcome.failed) == (8, 1)
        self.datasette = make_datasette(
            load_project(project_dir), hash_key=DEMO_HASH_KEY, clock=lambda: NOW,
            env={"SMSOPS_WEBHOOK_TOKEN": TOKEN, "SMSOPS_TWILIO_AUTH_TOKEN": AUTH},
            public_url=PUBLIC)

    def sent(self):
        return [mid for (mid,) in self.db().execute(
            "SELECT id FROM messages WHERE provider_id IS NOT NULL ORDER BY id")]

    def call(self, method, path, body=None, kind=None):
        headers = {"content-type": kind} if kind else {}
        separator = "&" if "?" in path else "?"
        return self.request(method, f"{path}{separator}token={TOKEN}", content=body,
                            headers=headers).status_code

    def provider_calls(self):
        """Every provider's shapes, each quoting a client's number the way it writes them."""
        first, second, third, fourth = self.sent()[:4]
        db = self.db()
        db.execute("UPDATE messages SET provider_id = '4242' WHERE id = ?", (third,))
        db.execute("UPDATE messages SET provider_id = '77' WHERE id = ?", (fourth,))
        db.commit()
        form, as_json = "application/x-www-form-urlencoded", "application/json"
        statuses = [
            self.call("GET", f"/-/smsops/dlr/kannel?mid={first}&type=8&to=%2B33639980001"),
            self.call("GET", f"/-/smsops/dlr/kannel?mid={first}&type=1&to=%2B33639980001"
                             "&reply=id%3A1+stat%3ADELIVRD"),
            self.call("GET", "/-/smsops/mo/kannel?from=%2B33639980002&to=36111&text=STOP"),
            self.call("POST", "/-/smsops/mo/kannel?from=0639980003",
                      b"STOP, et pour le 06-39-98-00-04 aussi", "text/plain"),
            self.call("GET", "/-/smsops/mo/kannel?from=" + quote("+262692123456")
                             + "&text=" + quote("STOP 0692 12 34 56")),
            self.twilio("dlr", {"mid": second}, {"MessageSid": "SM1", "MessageStatus": "delivered",
                                                 "To": "+33639980006", "From": "MABOUTIQUE"}).status_code,
            self.twilio("dlr", {"mid": second}, {"MessageSid": "SM1", "MessageStatus": "failed",
                                                 "ErrorCode": "21610", "To": "+33639980006"}).status_code,
            self.twilio("mo", {}, {"From": "+33639980007", "To": "+33757000000", "MessageSid": "SM9",
                                   "Body": "Stop. Et le 06 39 98 00 08 aussi"}).status_code,
            self.call("POST", f"/-/smsops/dlr/brevo?mid={third}", json.dumps(
                {"msg_status": "delivered", "to": "33639980008", "messageId": 4242,
                 "date": "2027-01-07 10:00:05"}).encode(), as_json),
            self.call("POST", "/-/smsops/mo/brevo", json.dumps(
                {"event": "reply", "from": "0033639980009", "reply": "STOP +33 6 39 98 00 10",
                 "date": "2027-01-07 10:01:05"}).encode(), as_json),
            self.call("GET", "/-/smsops/dlr/ovh?id=4242&ptt=0&description=1&to=0639980009"),
            self.call("GET", "/-/smsops/mo/ovh?from=%2B33639980010&text=STOP"),
            self.call("POST", "/-/smsops/dlr/allmysms", json.dumps(
                {"smsId": "77", "phoneNumber": "33639980012", "status": "1",
                 "receptionDate": "2027-01-07 10:00:09"}).encode(), as_json),
            self.call("POST", "/-/smsops/mo/allmysms", urlencode(
                {"phoneNumber": "0033639980012", "message": "STOP 06 39 98 00 12"}).encode(), form),
            self.call("GET", "/-/smsops/mo/kannel?from=garbage&text=STOP+06+39+98+00+01"),
            self.call("GET", "/-/smsops/mo/kannel?from=36111&text=STOP"),
            self.call("GET", "/-/smsops/dlr/kannel?type=1&to=06.39.98.00.02"),
        ]
        assert statuses == [200] * 11 + [400] + [200] * 2 + [400] * 3, statuses


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import shutil

    from tests.conftest import REPO
    project_dir = tmp_path_factory.mktemp("privacy") / "project"
    shutil.copytree(REPO, project_dir, ignore=shutil.ignore_patterns(
        ".git", ".venv", "*.db", "rejected", "__pycache__", ".pytest_cache", "bench"))
    web = Site(project_dir)
    assert run_cli(project_dir, "sync", "--at", "2027-01-07T12:00+01:00").exit_code == 0
    token = web.message(1)[3]
    web.request("GET", f"/{token}", headers={"user-agent": BROWSER})
    web.provider_calls()
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
        ("vente-privee", 9, web.db().execute("SELECT delivered FROM campaign_kpis").fetchone()[0])]
    for query in ("delivery_speed", "click_rate", "conversion_rate", "conversions_by_code",
                  "bounce_rate", "optout_rate"):
        assert web.request("GET", f"/{DB}/{query}.json").status_code == 200, query


def test_the_database_file_and_the_contacts_database_are_not_served(served):
    web, _secrets = served
    assert fetch(web, f"/{DB}.db")[0] in (403, 404)
    assert fetch(web, "/contacts")[0] == 404
    assert fetch(web, "/_memory.json?sql=select+1")[0] in (403, 404)  # no --crossdb
    assert [d["name"] for d in web.request("GET", "/-/databases.json").json()] == [DB]


def dashboard_queries():
    """Every SQL the dashboard page runs (charts and filters), for all campaigns and for one."""
    board = described()["dashboards"]["results"]
    for part in [*board["charts"].values(), *board["filters"].values()]:
        if "query" in part:
            yield {"sql": _FILTER.sub("", part["query"])}
            yield {"sql": _FILTER.sub(lambda found: found[1], part["query"]), "campaign": VENTE}


def start_paths(db):
    names = [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")]
    queries = described()["queries"]
    paths = ["/", f"/{DB}", "/-/dashboards", "/-/dashboards/results",
             f"/-/dashboards/results?campaign={VENTE}", "/-/metadata.json", "/-/databases.json"]
    for name in names:
        paths += [f"/{DB}/{name}", f"/{DB}/{name}.json?_shape=array&_size=max",
                  f"/{DB}.json?" + urlencode({"sql": f"select * from [{name}]", "_shape": "array",
                                              "_size": "max"})]
    paths += [f"/{DB}/{query}{suffix}" for query in queries for suffix in ("", ".json")]
    paths += [f"/{DB}.json?" + urlencode({**query, "_shape": "array"}) for query in dashboard_queries()]
    paths += [f"/-/smsops/charts/{chart}.svg{suffix}" for chart in CHARTS
              for suffix in ("", f"?campaign={VENTE}")]
    return paths


def links_of(path, body):
    parser = Links()
    parser.feed(body)
    for link in parser.found:
        parts = urlsplit(urljoin(path, link))
        if parts.netloc or not parts.path.startswith(("/" + DB, "/-/dashboards", "/-/smsops/charts")):
            continue
        if "_sort" in parts.query or "_facet" in parts.query or parts.path.endswith(".csv"):
            continue  # the same rows again in another order
        yield parts.path + ("?" + parts.query if parts.query else "")


def crawl(web, limit=1500):
    """(path, status, body) of every page reachable from the start paths, following links."""
    queue, seen = start_paths(web.db()), set()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, body = fetch(web, path)
        yield path, status, body
        if status == 200 and "html" in body[:200].lower():
            queue += links_of(path, body)


@pytest.fixture(scope="module")
def crawled(served):
    web, _secrets = served
    return list(crawl(web))


def test_no_page_endpoint_query_chart_or_dashboard_shows_a_clear_number(served, crawled):
    _web, secrets = served
    leaks = {path: sorted(s for s in secrets if s in body) for path, _status, body in crawled}
    assert {path: found for path, found in leaks.items() if found} == {}


def test_every_crawled_page_answers(crawled):
    assert [(path, status) for path, status, _body in crawled if status != 200] == []


def test_the_crawl_reaches_every_row_page_kind_dashboard_query_and_chart(crawled):
    paths = [path for path, _status, _body in crawled]
    assert len(paths) > 150
    rows = {urlsplit(path).path.split("/")[2] for path in paths if urlsplit(path).path.count("/") == 3
            and not urlsplit(path).path.endswith(".json")}
    assert {"messages", "message_events", "webhook_calls", "optouts", "clicks"} <= rows
    assert sum("/-/smsops/charts/" in path for path in paths) >= 2 * len(CHARTS)
    assert sum("sql=" in path for path in paths) >= 2 * len(list(dashboard_queries()))


@pytest.mark.parametrize("table", ["occurrences", "delivery_speeds"])
def test_a_row_url_with_too_few_key_values_shows_nothing(served, table):
    """Datasette 0.65 answers 500 (an unbound SQL parameter) when a row URL of a table with a
    two-column primary key gives one value, e.g. a rowid: no link leads there (the crawl
    follows the row links, all 200), and the error page shows no data."""
    web, secrets = served
    status, body = fetch(web, f"/{DB}/{table}/1")
    assert status in (404, 500) and "binding parameter" in body
    assert not [s for s in secrets if s in body] and VENTE not in body


def test_the_seeded_data_holds_what_the_crawl_must_not_show(served):
    """The crawl is only worth its data: hosted webhooks, refusals and STOPs quoting numbers."""
    web, _secrets = served
    db = web.db()
    providers = {p for (p,) in db.execute("SELECT DISTINCT provider FROM webhook_calls")}
    assert providers == {"kannel", "twilio", "brevo", "ovh", "allmysms"}
    assert db.execute("SELECT COUNT(*) FROM webhook_calls WHERE outcome = 'malformed'").fetchone()[0] == 4
    [(error,)] = db.execute("SELECT last_error FROM messages WHERE last_error LIKE '%21211%'")
    assert error.endswith("Phone Number: *********" + error[-2:])
    assert db.execute("SELECT COUNT(*) FROM optouts WHERE source = 'reply'").fetchone()[0] >= 5


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
