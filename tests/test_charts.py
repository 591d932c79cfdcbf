"""Charts of the results database: each chart's SQL aggregates exactly, every chart renders
offline to SVG or PNG (with data or without), and `report --chart` takes .svg or .png only."""

from datetime import UTC, datetime, timedelta

import pytest

from runner import charts, ledger, optout, shortlinks
from runner.providers.base import Report
from runner.store import event, open_store
from tests.conftest import run_cli

T0 = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def token(campaign, n):
    return f"{campaign}{n}".ljust(8, "x")  # short-link tokens are 8 letters or digits


def send(db, campaign, n, sent_at, *, delivered_after=None, test=False):
    """One message through the ledger: queued, claimed, accepted, then its delivery report."""
    ledger.enqueue(db, [(f"{campaign}-h{n}", "m", "FR")], campaign_id=campaign, occurrence=f"o{n}",
                   starts=sent_at, ends=sent_at + timedelta(days=1), now=sent_at,
                   provider="simulator", commit_sha=None, file_path="c.yaml", test=test)
    [pending] = ledger.pending(db, campaign, f"o{n}")
    assert ledger.claim(db, pending.id, sent_at, None, encoding="GSM-7", parts=1, cost_eur=0.045,
                        link_token=token(campaign, n))
    ledger.settle(db, pending.id, sent_at, "sent")
    if delivered_after is not None:
        ledger.report(db, Report(pending.id, "delivered", sent_at + delivered_after), sent_at)
    return pending.id


@pytest.fixture
def db(tmp_path):
    db = open_store(tmp_path / "smsops.db").conn
    db.execute("INSERT INTO campaigns (id, objective, link) VALUES "
               "('a', 'store_visit', 'https://x.example'), ('b', 'inform', 'https://y.example')")
    a1 = send(db, "a", 1, T0, delivered_after=timedelta(seconds=3))
    a2 = send(db, "a", 2, T0 + timedelta(minutes=10), delivered_after=timedelta(seconds=20))
    send(db, "a", 3, T0 + timedelta(minutes=65), delivered_after=timedelta(seconds=45))
    send(db, "a", 4, T0 + timedelta(minutes=70))  # sent, never delivered
    send(db, "a", 5, T0, delivered_after=timedelta(seconds=1), test=True)  # counted nowhere
    b1 = send(db, "b", 1, T0 + timedelta(minutes=90), delivered_after=timedelta(seconds=700))
    for (campaign, n), at in ((("a", 1), T0 + timedelta(minutes=30)), (("a", 2), T0 + timedelta(hours=5)),
                              (("b", 1), T0 + timedelta(hours=5, minutes=50))):
        assert shortlinks.follow(db, token(campaign, n), method="GET", user_agent="Mozilla/5.0", now=at)
    db.executemany("INSERT INTO conversions (campaign_id, message_id, code, at, amount_eur) "
                   "VALUES (?, ?, 'CODE', ?, ?)", [("a", a1, "2027-01-07", 30.0),
                                                    ("a", None, "2027-01-08", 12.5),
                                                    ("b", b1, "2027-01-08", 20.0)])
    optout.add(db, "a-h2", T0 + timedelta(hours=1), "reply", "sms", "a")
    optout.add(db, "b-h1", T0 + timedelta(days=1), "reply", "sms", "b")
    event(db, a2, T0 + timedelta(hours=1), "stop", "optout")  # as a STOP reply leaves them
    event(db, b1, T0 + timedelta(days=1), "stop", "optout")
    return db


EXPECTED = {
    "deliveries": [{"hour": "2027-01-07T09:00", "status": "delivered", "messages": 2},
                   {"hour": "2027-01-07T09:00", "status": "sent", "messages": 2},
                   {"hour": "2027-01-07T10:00", "status": "delivered", "messages": 2},
                   {"hour": "2027-01-07T10:00", "status": "sent", "messages": 3}],
    "speed-histogram": [{"bucket": "< 5 s", "messages": 1}, {"bucket": "5-30 s", "messages": 1},
                        {"bucket": "30 s-2 min", "messages": 1}, {"bucket": "10 min-1 h", "messages": 1}],
    "clicks-by-hour": [{"hour": 9, "clicks": 1}, {"hour": 14, "clicks": 2}],
    "sales": [{"campaign": "a", "orders": 2, "revenue_eur": 42.5},
              {"campaign": "b", "orders": 1, "revenue_eur": 20.0}],
    "optouts-by-day": [{"day": "2027-01-07", "optouts": 1}, {"day": "2027-01-08", "optouts": 1}],
    "kpis": [{"campaign": "a", "kpi": kpi, "value": value} for kpi, value in (
        ("bounces", 0.0), ("clicks", 2 / 3), ("conversions", 2 / 3), ("deliverability", 3 / 4),
        ("opt-outs", 1 / 3))] + [{"campaign": "b", "kpi": kpi, "value": value} for kpi, value in (
        ("bounces", 0.0), ("clicks", 1.0), ("conversions", 1.0), ("deliverability", 1.0),
        ("opt-outs", 1.0))],
}


def test_the_charts_are_the_six_of_the_issue():
    assert list(charts.CHARTS) == list(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_chart_aggregates_in_sql(db, name):
    assert charts.chart_rows(db, name) == EXPECTED[name]


def test_the_campaign_filter_keeps_one_campaign(db):
    assert [(r["status"], r["messages"]) for r in charts.chart_rows(db, "deliveries", "a")] == [
        ("delivered", 2), ("sent", 2), ("delivered", 1), ("sent", 2)]
    assert charts.chart_rows(db, "clicks-by-hour", "b") == [{"hour": 14, "clicks": 1}]
    assert {row["campaign"] for row in charts.chart_rows(db, "kpis", "b")} == {"b"}


def test_a_list_of_campaigns_keeps_those_campaigns(db):
    assert charts.chart_rows(db, "sales", ["a", "b"]) == EXPECTED["sales"]
    assert charts.chart_rows(db, "sales", ["b", "nobody"]) == EXPECTED["sales"][1:]
    assert charts.chart_rows(db, "sales", []) == EXPECTED["sales"]  # none given: all
    assert "a, b" in charts.render_all(db, ["a", "b"], "svg").decode("utf-8")


def test_the_sales_chart_shows_orders_and_revenue(db):
    svg = charts.render(charts.chart_spec("sales", charts.chart_rows(db, "sales")), "svg").decode()
    assert ">2 orders<" in svg and ">1 order<" in svg  # the count over each revenue bar
    assert svg.count('aria-roledescription="bar"') == 2


def test_one_view_holds_any_number_of_campaigns():
    """Grouped bars, not one facet per campaign: 20 campaigns fit the width of one chart."""
    rows = [{"campaign": f"c{n:02d}", "kpi": kpi, "value": 0.5} for n in range(20)
            for kpi in ("deliverability", "clicks", "conversions", "bounces", "opt-outs")]
    svg = charts.render(charts.chart_spec("kpis", rows), "svg").decode()
    assert svg.count('aria-roledescription="bar"') == 100
    assert float(svg.split('width="', 1)[1].split('"')[0]) < 600  # 360 wide plus its legend


def test_the_svg_of_every_chart_has_marks_and_the_png_its_signature(db):
    svg = charts.render_all(db, None, "svg").decode("utf-8")
    assert svg.startswith("<svg")  # one bar per aggregated row, in every chart
    assert svg.count('aria-roledescription="bar"') == sum(len(rows) for rows in EXPECTED.values())
    assert "no data" not in svg
    png = charts.render(charts.chart_spec("sales", charts.chart_rows(db, "sales")), "png")
    assert png.startswith(PNG_SIGNATURE)


def test_an_empty_database_still_renders_every_chart_saying_no_data(tmp_path):
    empty = open_store(tmp_path / "smsops.db").conn
    assert all(charts.chart_rows(empty, name) == [] for name in charts.CHARTS)
    svg = charts.render_all(empty, "nothing-yet", "svg").decode("utf-8")
    assert svg.count(">no data<") == len(charts.CHARTS)
    assert charts.render_all(empty, None, "png").startswith(PNG_SIGNATURE)


def test_report_chart_writes_the_file_its_extension_names(project_dir):
    result = run_cli(project_dir, "report", "--chart", str(project_dir / "report.SVG"))
    assert result.exit_code == 0, result.output
    assert (project_dir / "report.SVG").read_text(encoding="utf-8").startswith("<svg")
    assert result.stdout == "nothing sent yet\n"


@pytest.mark.parametrize("name", ["report.pdf", "report"])
def test_report_chart_refuses_other_extensions_in_one_line(project_dir, name):
    result = run_cli(project_dir, "report", "--chart", str(project_dir / name))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "error[chart]" in line and ".svg or .png" in line
    assert not (project_dir / name).exists() and result.stdout == ""


def test_report_chart_draws_the_campaigns_asked_for(project_dir):
    assert run_cli(project_dir, "contacts", "import").exit_code == 0
    assert run_cli(project_dir, "run", "--at", "2027-01-07T10:00+01:00").exit_code == 0
    assert run_cli(project_dir, "sync").exit_code == 0
    drawn = {}
    for ids in (["vente-privee", "carte-hiver"], ["carte-hiver", "anniversaire"]):
        out = project_dir / f"{ids[1]}.svg"
        assert run_cli(project_dir, "report", *ids, "--chart", str(out)).exit_code == 0
        drawn[ids[1]] = out.read_text()
    # vente-privee's sends are charted; with neither campaign having sent, every chart is empty
    assert drawn["carte-hiver"].count("no data") < drawn["anniversaire"].count("no data")
