"""Broken YAML in every form a person can produce: one clear diagnostic each, never a traceback."""

import pytest

from runner.yamlfile import load_document


def load(tmp_path, content: bytes):
    path = tmp_path / "campaign.yaml"
    path.write_bytes(content)
    return load_document(path, "campaigns/x.yaml")


@pytest.mark.parametrize("content,line,col,message", [
    (b"name: a\nmessage: b\nname: c\n", 3, 1,
     "duplicate key 'name' (first on line 1); keep only one of them"),
    (b"schedule:\n\tat: 2027-01-09 10:00\n", 2, 1,
     "a tab character is used for indentation; indent with spaces"),
    (b"name: 'Soldes\nmessage: b\n", 1, 7, "unclosed quote; close the quote that starts here"),
    (b'name: "Soldes\n', 1, 7, "unclosed quote; close the quote that starts here"),
    ("name: Crème\n".encode("latin-1"), 1, 1, "the file is not UTF-8 (byte 0xe8); save it as UTF-8"),
])
def test_broken_yaml_gives_one_positioned_error(tmp_path, content, line, col, message):
    doc, [found] = load(tmp_path, content)
    assert doc is None
    assert (found.line, found.col, found.severity, found.rule) == (line, col, "error", "schema")
    assert found.message == message


def test_other_syntax_errors_say_what_to_check(tmp_path):
    doc, [found] = load(tmp_path, b"name: a: b\n")
    assert (found.line, found.col) == (1, 8)
    assert found.message.endswith("check the indentation, the ':' after each key and the quotes")


def test_byte_order_mark_is_a_warning_and_the_file_still_loads(tmp_path):
    doc, [found] = load(tmp_path, "\ufeffname: Soldes\n".encode())
    assert doc.data == {"name": "Soldes"}
    assert found.severity == "warning"
    assert found.message == ("the file starts with a byte order mark (BOM); "
                             "save it as UTF-8 without BOM")


def test_dates_stay_strings(tmp_path):
    doc, _ = load(tmp_path, b"a: 2027-01-09\nb: 2027-01-09 10:00:00\n")
    assert doc.data == {"a": "2027-01-09", "b": "2027-01-09 10:00:00"}


def test_every_value_remembers_its_line_and_column(tmp_path):
    doc, _ = load(tmp_path, b"a: 1\nb:\n  c: [x, y]\n  m: >-\n    hello\n    world\n")
    assert (doc.at("a").line, doc.at("a").col) == (1, 4)
    assert (doc.at("b", "c", 1).line, doc.at("b", "c", 1).col) == (3, 10)
    assert (doc.key_at("b", "m").line, doc.key_at("b", "m").col) == (4, 3)
    assert (doc.find("world", "b", "m").line, doc.find("world", "b", "m").col) == (6, 5)
    assert doc.at("missing").line == 1


def test_yaml_1_1_words_and_clock_times_stay_strings(tmp_path):
    doc, _ = load(tmp_path, b"a: yes\nb: off\nc: 10:00\nd: NO\ne: true\nf: 12\ng: 4.5\nh: ~\n")
    assert doc.data == {"a": "yes", "b": "off", "c": "10:00", "d": "NO", "e": True, "f": 12,
                        "g": 4.5, "h": None}


def test_quoted_numbers_stay_strings(tmp_path):
    doc, _ = load(tmp_path, b"a: '0639980001'\nb: \"36111\"\n")
    assert doc.data == {"a": "0639980001", "b": "36111"}


def test_two_documents_in_one_file_is_an_error(tmp_path):
    doc, [found] = load(tmp_path, b"a: 1\n---\nb: 2\n")
    assert doc is None
    assert (found.line, found.rule) == (2, "schema")
