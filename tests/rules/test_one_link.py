import pytest

from tests.conftest import campaign_yaml

LINK = "maisonlila.example/soldes"


@pytest.mark.parametrize("link", ["https://x.fr", "http://x.fr/soldes", "www.x.fr", "x.fr/y",
                                  "maisonlila.example/soldes"])
def test_one_link_in_any_form_passes(diagnostics_of, link):
    assert diagnostics_of(campaign_yaml(**{LINK: link}), rule="one-link") == []


def test_no_link_is_an_error(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml(**{LINK: "en boutique"}), rule="one-link")
    assert found.severity == "error"
    assert found.message.startswith("the message has no link; add the one link")


@pytest.mark.parametrize("second", ["www.x.fr", "x.fr/y", "https://x.fr"])
def test_second_link_is_an_error_on_its_line(diagnostics_of, second):
    [found] = diagnostics_of(campaign_yaml(**{LINK: f"{LINK} ou {second}"}), rule="one-link")
    assert found.message == (
        f"second link '{second}'; keep only one call to action ('{LINK}')")
    assert (found.line, found.col) == (6, 32)


def test_prices_and_times_are_not_links(diagnostics_of):
    text = campaign_yaml(**{"-20% samedi": "-20% samedi de 10.30 à 12.00, 12.50€"})
    assert diagnostics_of(text, rule="one-link") == []
