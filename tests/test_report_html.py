"""`smsops report --format html`: one self-contained file a CCI adviser opens from an e-mail:
the KPIs, every chart inline as SVG, nothing to fetch, no script."""

import re

from tests.conftest import run_cli


def test_html_report_is_one_self_contained_file(project_dir):
    for command in (["contacts", "import"], ["run", "--at", "2027-01-07T10:00+01:00"],
                    ["sync", "--at", "2027-01-07T12:00+01:00"]):
        assert run_cli(project_dir, *command).exit_code == 0
    out = project_dir / "partage" / "rapport.html"
    out.parent.mkdir()
    result = run_cli(project_dir, "report", "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<h2>vente-privee <small>(store_visit)</small></h2>" in page
    assert "<tr><th>deliverability</th><td>" in page and "SMS campaigns: Maison Lila" in page
    assert page.count("<svg") == 6 and page.count('aria-roledescription="bar"') == 9  # sent and delivered,
    # two speed buckets, five KPIs
    assert page.count(">no data</text>") == 3  # no clicks, sales, opt-outs yet
    assert "<script" not in page.lower()
    fetched = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
    assert fetched == []  # nothing to load: it opens offline, from a mail attachment


def test_html_report_of_an_empty_database_says_so(project_dir):
    out = project_dir / "report.html"
    assert run_cli(project_dir, "report", "--format", "html", "-o", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "nothing sent yet" in page and page.count(">no data</text>") == 6
