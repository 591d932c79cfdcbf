from tests.conftest import campaign_yaml, only_test_file, write


def test_short_gsm7_message_passes(diagnostics_of):
    assert diagnostics_of(campaign_yaml(), rule="length") == []


def test_typographic_apostrophe_is_named_as_forcing_ucs2(diagnostics_of):
    [found] = diagnostics_of(campaign_yaml(**{"samedi": "d’hiver samedi"}), rule="length")
    assert found.severity == "warning"
    assert (found.line, found.col) == (5, 45)
    assert found.message.startswith("'’' (U+2019) is not in the GSM-7 alphabet")


def test_euro_sign_is_gsm7(diagnostics_of):
    assert diagnostics_of(campaign_yaml(**{"-20%": "-20€"}), rule="length") == []


def test_message_over_max_parts_is_an_error(diagnostics_of):
    text = campaign_yaml(**{"-20% samedi": "-20% samedi " + "très " * 90})
    [found] = diagnostics_of(text, rule="length")
    assert found.severity == "error"
    assert found.message.startswith("the message takes 4 SMS parts (GSM-7)")
    # the short link s.maisonlila.example/ + 8 characters is 4 longer than the written link
    assert found.message.endswith("more than max_parts 3; shorten it by at least 95 characters")


def test_without_click_tracking_the_link_counts_as_written(diagnostics_of, project_dir):
    settings = project_dir / "smsops.yaml"
    settings.write_text(settings.read_text().split("tracking:")[0])
    text = campaign_yaml(**{"-20% samedi": "-20% samedi " + "très " * 90})
    [found] = diagnostics_of(text, rule="length")
    assert found.message.endswith("more than max_parts 3; shorten it by at least 91 characters")


def test_unique_promo_code_counts_with_its_prefix_and_six_characters(diagnostics_of):
    text = campaign_yaml(**{"HIVER20": "{promo_code}", "-20% samedi": "-20% samedi " + "très " * 90})
    [found] = diagnostics_of(text + "promo_code: {unique: true, prefix: HIV}\n", rule="length")
    assert found.message.endswith("shorten it by at least 97 characters")  # HIVXXXXXX vs HIVER20


def test_campaign_max_parts_overrides_settings(diagnostics_of):
    text = campaign_yaml(**{"-20% samedi": "-20% samedi " + "x" * 100}) + "max_parts: 1\n"
    [found] = diagnostics_of(text, rule="length")
    assert "takes 2 SMS parts" in found.message


def test_longest_rendering_over_the_real_contacts_counts(diagnostics_of, project_dir):
    csv = project_dir / "audiences" / "clients.csv"
    rows = csv.read_text().splitlines()
    long_name = "Marie-Bernadette-Apolline-Eugénie-Hortense"
    write(csv, "\n".join([rows[0], rows[1].replace("Camille", long_name)]) + "\n")
    text = campaign_yaml(**{"-20% samedi": "-20% samedi " + "x" * 358})  # 455 with "Bonjour"
    [found] = only_test_file(diagnostics_of(text, rule="length"))
    assert found.message == (
        "the message takes 4 SMS parts (GSM-7) for the contact on line 2 of clients.csv, "
        "more than max_parts 3; shorten it by at least 36 characters")


def test_contact_value_forcing_ucs2_is_a_warning_naming_the_character(diagnostics_of, project_dir):
    csv = project_dir / "audiences" / "clients.csv"
    csv.write_text(csv.read_text().replace("Camille", "Françoise"))
    [found] = only_test_file(diagnostics_of(campaign_yaml(), rule="length"))
    assert found.severity == "warning"
    assert found.message.startswith("1 contact(s) have 'ç' in a field used by the message")


def test_the_providers_own_limit_caps_max_parts_and_is_named(diagnostics_of, project_dir):
    settings = project_dir / "smsops.yaml"
    settings.write_text(settings.read_text().replace("max_parts: 3", "max_parts: 6")
                        .replace("provider: simulator", "provider: allmysms"))
    text = campaign_yaml(**{"-20% samedi": "-20% samedi " + "très " * 120})  # 5 parts
    [found] = diagnostics_of(text, rule="length")
    assert found.severity == "error"
    assert found.message.startswith("the message takes 5 SMS parts (GSM-7)")
    assert found.message.endswith(", more than allmysms takes (4 parts at most); "
                                  "shorten it by at least 92 characters")


def test_the_campaigns_provider_limit_counts(diagnostics_of, project_dir):
    settings = project_dir / "smsops.yaml"
    settings.write_text(settings.read_text().replace("max_parts: 3", "max_parts: 6")
                        .replace("    price_eur_per_part: 0.08", "    price_eur_per_part: 0.08\n"
                                 "    max_parts: 2"))
    text = campaign_yaml(**{"-20% samedi": "-20% samedi " + "très " * 60}) + "provider: twilio\n"
    [found] = diagnostics_of(text, rule="length")
    assert "more than twilio takes (2 parts at most)" in found.message


def test_a_provider_that_takes_more_than_max_parts_leaves_max_parts_in_charge(diagnostics_of):
    text = campaign_yaml(**{"-20% samedi": "-20% samedi " + "très " * 90})  # 4 parts, simulator 10
    [found] = diagnostics_of(text, rule="length")
    assert "more than max_parts 3;" in found.message
