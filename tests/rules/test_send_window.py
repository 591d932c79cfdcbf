import pytest

from tests.conftest import campaign_yaml, write


def window_errors(diagnostics_of, at):
    return diagnostics_of(campaign_yaml(at=at), rule="send-window")


@pytest.mark.parametrize("at", ["2027-01-09 08:00", "2027-01-09 19:59", "2027-01-11 10:00",
                                "2027-01-09T09:30:00Z", "2027-01-09T07:30+00:00",
                                "2027-07-10T17:59+00:00"])
def test_inside_the_window_passes(diagnostics_of, at):
    assert window_errors(diagnostics_of, at) == []


@pytest.mark.parametrize("at,reason", [
    ("2027-01-09 07:59", "before 08:00"),
    ("2027-01-09 20:00", "20:00"),
    ("2027-01-10 10:00", "Sunday"),
    ("2027-01-09T19:30:00Z", "20:30"),
    ("2027-07-10T18:00+00:00", "20:00"),
])
def test_outside_the_window_is_an_error(diagnostics_of, at, reason):
    [found] = window_errors(diagnostics_of, at)
    assert found.severity == "error"
    assert (found.line, found.col) == (8, 7)
    assert reason in found.message
    assert found.message.endswith(
        "; send within mon, tue, wed, thu, fri, sat 08:00-20:00, not on a public holiday")


@pytest.mark.parametrize("day", ["2027-01-01", "2027-03-29", "2027-05-01", "2027-05-06",
                                 "2027-05-08", "2027-05-17", "2027-07-14", "2027-11-01",
                                 "2027-11-11", "2027-12-25", "2027-03-26"])
def test_french_public_holidays_of_2027_are_refused(diagnostics_of, day):
    [found] = window_errors(diagnostics_of, f"{day} 10:00")
    assert "holiday" in found.message


def test_recurring_time_outside_hours_is_an_error(diagnostics_of):
    text = campaign_yaml().replace("  at: 2027-01-09 10:00",
                                   "  every:\n    days: [mon, sun]\n    at: \"20:30\"")
    found = diagnostics_of(text, rule="send-window")
    assert [(d.line, d.message) for d in found] == [
        (9, "'sun' is outside the sending days; send within mon, tue, wed, thu, fri, sat "
            "08:00-20:00, not on a public holiday"),
        (10, "20:30 is outside 08:00-20:00; pick a time inside it"),
    ]


def test_expiry_before_the_send_is_an_error(diagnostics_of):
    found = diagnostics_of(campaign_yaml() + "expires: 2027-01-09 09:00\n", rule="send-window")
    assert [d.line for d in found] == [9]


def test_configured_later_end_is_honoured(diagnostics_of, project_dir):
    settings = (project_dir / "smsops.yaml").read_text()
    write(project_dir / "smsops.yaml", settings.replace('end: "20:00"', 'end: "21:30"'))
    assert window_errors(diagnostics_of, "2027-01-09 21:00") == []
