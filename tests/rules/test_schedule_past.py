from datetime import datetime

from runner.project import load_project
from runner.validate import validate
from tests.conftest import NOW, PARIS, campaign_yaml, write


def test_future_schedule_passes(diagnostics_of):
    assert diagnostics_of(campaign_yaml(at="2026-11-28 10:00"), rule="schedule-past") == []


def test_past_schedule_of_a_changed_file_is_a_warning(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml(at="2026-11-21 10:00"), rule="schedule-past")
    assert (found.severity, found.line) == ("warning", 8)
    assert found.message == ("2026-11-21 10:00 is already past, so nothing will be sent; "
                             "pick a future date")


def test_past_schedule_of_an_unchanged_file_is_silent(project_dir):
    write(project_dir / "campaigns" / "old.yaml", campaign_yaml(at="2026-11-21 10:00"))
    found = validate(load_project(project_dir), NOW)
    assert [d for d in found if d.rule == "schedule-past"] == []


def test_the_clock_is_injected(diagnostics_of):
    earlier = datetime(2026, 11, 1, 9, 0, tzinfo=PARIS)
    text = campaign_yaml(at="2026-11-21 10:00")
    assert diagnostics_of(text, rule="schedule-past", now=earlier) == []
