"""runner.text: GSM-7/UCS-2 counting (compliance.md §4), links, {field|fallback} templates."""

import pytest

from runner.text import (
    GSM7_BASIC,
    GSM7_EXT,
    Link,
    Placeholder,
    TemplateProblem,
    encoding_of,
    find_links,
    normalize,
    parse_template,
    render,
    safe_value,
    sms_parts,
    split_parts,
    static_text,
    ucs2_characters,
    units,
)

EXAMPLE = "write {first_name} or {first_name|Bonjour}"


# --- alphabet -------------------------------------------------------------------------------


def test_basic_table_has_127_characters_without_escape():
    assert len(GSM7_BASIC) == 127
    assert len(set(GSM7_BASIC)) == 127
    assert "\x1b" not in GSM7_BASIC


def test_extension_table_is_the_ten_escaped_characters():
    assert GSM7_EXT == "\f^{}\\[]~|€"


def test_capital_c_cedilla_is_gsm7_but_small_c_cedilla_is_not():
    assert "Ç" in GSM7_BASIC
    assert "ç" not in GSM7_BASIC


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [
    ("a\r\nb", "a\nb"),
    ("a\rb", "a\nb"),
    ("a\r\r\nb", "a\n\nb"),
    ("e\u0301", "é"),
])
def test_normalize_applies_nfc_and_turns_line_ends_into_lf(raw, expected):
    assert normalize(raw) == expected


# --- encoding -------------------------------------------------------------------------------


@pytest.mark.parametrize("text,encoding,count,culprits", [
    ("Soldes d'hiver", "GSM-7", 14, []),
    ("Soldes d\u2019hiver", "UCS-2", 14, ["\u2019"]),
    ("Prix : 10€", "GSM-7", 11, []),
    ("Crème brûlée", "UCS-2", 12, ["û"]),
    ("Été", "GSM-7", 3, []),
    ("À bientôt", "UCS-2", 9, ["À", "ô"]),
    ("Noël", "UCS-2", 4, ["ë"]),
    ("GARÇON", "GSM-7", 6, []),
    ("Garçon", "UCS-2", 6, ["ç"]),
])
def test_french_examples_from_compliance_4_4(text, encoding, count, culprits):
    assert encoding_of(text) == encoding
    assert units(text) == count
    assert ucs2_characters(text) == culprits


def test_typographic_apostrophe_forces_ucs2():
    assert sms_parts("Soldes d\u2019hiver") == ("UCS-2", 1)
    assert ucs2_characters("Soldes d\u2019hiver") == ["\u2019"]


@pytest.mark.parametrize("space", ["\u00a0", "\u202f"])
def test_french_no_break_spaces_force_ucs2(space):
    text = f"Soldes{space}!"
    assert encoding_of(text) == "UCS-2"
    assert ucs2_characters(text) == [space]


def test_decomposed_accent_is_gsm7_after_nfc():
    assert encoding_of("e\u0301") == "GSM-7"
    assert units("e\u0301") == 1


def test_ucs2_characters_are_distinct_in_order_of_first_appearance():
    assert ucs2_characters("ô ê ô û ê") == ["ô", "ê", "û"]


def test_extension_characters_cost_two_septets():
    assert units("{}[]~|^\\€\f") == 20


def test_tab_forces_ucs2():
    assert ucs2_characters("a\tb") == ["\t"]


@pytest.mark.parametrize("emoji,size", [
    ("🎉", 2),
    ("👍🏽", 4),
    ("🇫🇷", 4),
    ("👨\u200d👩\u200d👧", 8),
    ("❤\ufe0f", 2),
    ("✅", 1),
])
def test_emoji_size_in_utf16_units(emoji, size):
    assert encoding_of(emoji) == "UCS-2"
    assert units(emoji) == size


# --- parts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("a" * 160, ("GSM-7", 1)),
    ("a" * 161, ("GSM-7", 2)),
    ("a" * 306, ("GSM-7", 2)),
    ("a" * 307, ("GSM-7", 3)),
    ("ê" * 70, ("UCS-2", 1)),
    ("ê" * 71, ("UCS-2", 2)),
])
def test_part_boundaries(text, expected):
    assert sms_parts(text) == expected


def test_escape_pair_is_never_split_across_parts():
    text = "a" * 152 + "€" + "a" * 152
    assert units(text) == 306
    assert sms_parts(text) == ("GSM-7", 3)
    assert split_parts(text) == ["a" * 152, "€" + "a" * 151, "a"]


def test_surrogate_pair_is_never_split_across_parts():
    text = "ê" * 66 + "🎉" + "ê" * 66
    assert units(text) == 134
    assert sms_parts(text) == ("UCS-2", 3)
    assert split_parts(text) == ["ê" * 66, "🎉" + "ê" * 65, "ê"]


def test_grapheme_cluster_straddling_a_part_moves_whole_to_the_next_part():
    text = "ê" * 66 + "❤\ufe0f" + "ê" * 10
    assert split_parts(text) == ["ê" * 66, "❤\ufe0f" + "ê" * 10]


def test_parts_fill_each_part_to_the_limit():
    assert [units(part) for part in split_parts("a" * 400)] == [153, 153, 94]
    assert [units(part) for part in split_parts("ê" * 140)] == [67, 67, 6]


def test_single_part_is_the_normalized_text():
    assert split_parts("Caf\u0065\u0301\r\n") == ["Café\n"]


def test_cluster_longer_than_a_part_is_cut_between_code_points():
    zalgo = "x" + "\u0301\u0302" * 40  # one grapheme cluster of 81 UTF-16 units
    assert [units(part) for part in split_parts(zalgo)] == [67, 14]


def test_empty_text_has_no_parts():
    assert split_parts("") == []
    assert sms_parts("") == ("GSM-7", 0)


# --- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("https://x.fr", "https://x.fr"),
    ("http://x.fr/a?b=1#c", "http://x.fr/a?b=1#c"),
    ("www.x.fr", "www.x.fr"),
    ("x.fr/y", "x.fr/y"),
    ("maboutique.example", "maboutique.example"),
    ("x.fr", "x.fr"),
    ("boutique.com", "boutique.com"),
    ("WWW.X.FR", "WWW.X.FR"),
    ("www.boutique.lila", "www.boutique.lila"),
    ("x.fr:8080/a", "x.fr:8080/a"),
])
def test_link_with_or_without_scheme_is_detected(text, expected):
    assert find_links(text) == [Link(0, len(expected), expected)]


@pytest.mark.parametrize("text", [
    "x.fr/y.", "x.fr/y,", "x.fr/y;", "x.fr/y:", "x.fr/y!", "x.fr/y?", "x.fr/y)", "x.fr/y!)",
])
def test_trailing_punctuation_is_not_part_of_the_link(text):
    assert find_links(text) == [Link(0, 6, "x.fr/y")]


def test_link_offsets_point_into_the_message():
    text = "Boutique Lila : -20% samedi ! maboutique.example/soldes STOP au 36111"
    (link,) = find_links(text)
    assert link == Link(30, 55, "maboutique.example/soldes")
    assert text[link.start : link.end] == link.text


def test_two_links_are_both_found():
    assert [link.text for link in find_links("https://a.fr et www.b.fr")] == [
        "https://a.fr",
        "www.b.fr",
    ]


@pytest.mark.parametrize("text", [
    "10.5", "12.00€", "samedi.Venez", "e-mail", "STOP au 36111", "-20%", "v2.0", "M.Dupont",
])
def test_text_that_is_not_a_link(text):
    assert find_links(text) == []


@pytest.mark.parametrize("text", ["a@b.fr", "jean.dupont@maboutique.fr"])
def test_email_address_is_not_a_link(text):
    assert find_links(f"Écrivez à {text}.") == []


def test_link_inside_french_quotes_excludes_the_quotes():
    assert find_links("« https://x.fr »") == [Link(2, 14, "https://x.fr")]


# --- templates: parsing ---------------------------------------------------------------------


def test_field_and_fallback_placeholders_are_parsed_with_offsets():
    placeholders, problems = parse_template("Bonjour {first_name|client}, {city} !")
    assert problems == []
    assert placeholders == [
        Placeholder("first_name", "client", 8, 27),
        Placeholder("city", None, 29, 35),
    ]


def test_empty_fallback_is_an_empty_string_not_none():
    assert parse_template("{x|}") == ([Placeholder("x", "", 0, 4)], [])


@pytest.mark.parametrize("template,start,message", [
    ("Bonjour {first_name", 8, f"unclosed '{{'; {EXAMPLE}"),
    ("Bonjour first_name}", 18, f"stray '}}'; {EXAMPLE}"),
    ("Bonjour {}", 8, f"empty '{{}}'; {EXAMPLE}"),
    ("{a|b|c}", 0, f"more than one '|' in {{a|b|c}}; {EXAMPLE}"),
    ("x {a{b}}", 2, f"nested braces ('{{{{' is not an escape); {EXAMPLE}"),
    ("{{first_name}}", 0, f"nested braces ('{{{{' is not an escape); {EXAMPLE}"),
    ("a }} b", 2, f"'}}}}' is not an escape: braces only delimit placeholders; {EXAMPLE}"),
])
def test_template_problem(template, start, message):
    assert parse_template(template) == ([], [TemplateProblem(start, message)])


@pytest.mark.parametrize("body,field", [
    ("first name", "first name"),
    ("a.b", "a.b"),
    ("x!r", "x!r"),
    ("x:>10", "x:>10"),
    ("1st", "1st"),
    ("prénom", "prénom"),
])
def test_invalid_field_name_is_a_problem(body, field):
    message = (
        f"invalid field name {field!r} in {{{body}}}: use letters, digits and '_' only "
        f"(no spaces, '.', '!' or ':'); {EXAMPLE}"
    )
    assert parse_template(f"{{{body}}}") == ([], [TemplateProblem(0, message)])


def test_unclosed_brace_does_not_hide_a_later_placeholder():
    placeholders, problems = parse_template("{a {b}")
    assert placeholders == [Placeholder("b", None, 3, 6)]
    assert [problem.start for problem in problems] == [0]


def test_every_problem_is_reported():
    _, problems = parse_template("{} x } {a.b} {")
    assert [problem.start for problem in problems] == [0, 5, 7, 13]


# --- templates: values ----------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    ("Lila", "Lila"),
    (42, "42"),
    ("  Jean \t\n Pierre\r\n ", "Jean Pierre"),
    ("Jean\u00a0Pierre", "Jean Pierre"),
    ("Ele\u0301onore", "Eléonore"),
    ("a\x00b", "a b"),
    ("a\u2028b", "a b"),
    ("1234", "1234"),
    ("Stopford", "Stopford"),
    ("x" * 60, "x" * 60),
])
def test_safe_value_cleans_the_value(value, expected):
    assert safe_value(value) == expected


@pytest.mark.parametrize("value", [
    None, "", "   ", "\n\t",
    "maboutique.example", "voir https://x.fr", "www.x.fr",
    "stop", "Dites STOP", "Stop.", "ARRET", "arrêt", "ARRÊT",
    "36111", "tel 0612345678",
    "x" * 61,
])
def test_safe_value_rejects_unsafe_value(value):
    assert safe_value(value) is None


# --- templates: rendering -------------------------------------------------------------------


def test_render_substitutes_the_cleaned_value():
    assert render("Bonjour {name|client} !", {"name": " Lila\n"}) == "Bonjour Lila !"


@pytest.mark.parametrize("values", [{}, {"name": None}, {"name": "STOP"}, {"name": "x.fr"}])
def test_render_uses_the_fallback_when_the_value_is_missing_or_unsafe(values):
    assert render("Bonjour {name|client} !", values) == "Bonjour client !"


def test_render_without_value_or_fallback_collapses_the_double_space():
    assert render("Bonjour {name} !", {}) == "Bonjour !"
    assert render("a {x} {y} b", {}) == "a b"


def test_render_never_touches_the_template_text_otherwise():
    assert render("Bonjour  {name},\n-20%", {}) == "Bonjour  ,\n-20%"
    assert render("{name} Soldes", {}) == " Soldes"


def test_render_of_a_template_with_problems_raises():
    with pytest.raises(ValueError, match=r"^character 9: unclosed '\{'"):
        render("Bonjour {name", {"name": "Lila"})


def test_static_text_removes_every_placeholder():
    template = "Bonjour {name|client} ! {code} STOP au 36111"
    assert static_text(template) == "Bonjour  !  STOP au 36111"


def test_stop_mention_in_a_fallback_is_not_static_text():
    assert "STOP" not in static_text("Bonjour {stop_mention|STOP au 36111}")
