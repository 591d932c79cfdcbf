"""runner/audience/reader.py on real-world exports, each built in the test (ARCEP fictional numbers only)."""

from __future__ import annotations

import itertools
import tracemalloc
from datetime import date, datetime
from pathlib import Path

import pyrage
import pytest
from openpyxl import Workbook

from runner.audience.reader import AGE_IDENTITY_ENV, ReadError, Table, open_rows, read_table


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def rows_of(path: Path, **kwargs: object) -> tuple[tuple[str, ...], list[tuple[int, list[str]]]]:
    with open_rows(path, **kwargs) as rows:  # type: ignore[arg-type]
        return rows.header, list(rows)


def test_french_excel_csv_in_cp1252_with_semicolons_and_crlf(tmp_path):
    text = "Prénom;Téléphone\r\nHélène;06 39 98 00 01\r\n\r\nZoé;06 39 98 00 02\r\n"
    path = write(tmp_path / "clients.csv", text.encode("cp1252"))
    assert rows_of(path) == (("Prénom", "Téléphone"),
                             [(2, ["Hélène", "06 39 98 00 01"]), (4, ["Zoé", "06 39 98 00 02"])])


def test_utf8_with_bom_and_commas(tmp_path):
    text = "\ufeffphone,first_name,city\n06 39 98 00 01,Léa,Rezé\n"
    path = write(tmp_path / "clients.csv", text.encode("utf-8"))
    assert rows_of(path) == (("phone", "first_name", "city"), [(2, ["06 39 98 00 01", "Léa", "Rezé"])])


def test_tab_separated(tmp_path):
    path = write(tmp_path / "clients.csv", b"phone\tfirst_name\n06 39 98 00 01\tCamille\n")
    assert rows_of(path) == (("phone", "first_name"), [(2, ["06 39 98 00 01", "Camille"])])


def test_quoted_fields_with_delimiter_and_newline_keep_the_line_where_the_row_starts(tmp_path):
    text = ('phone;note;city\r\n'
            '06 39 98 00 01;"fidèle; vient le samedi\r\net le dimanche";Nantes\r\n'
            '06 39 98 00 02;"dit ""bonjour""";Vertou\r\n')
    path = write(tmp_path / "clients.csv", text.encode("utf-8"))
    assert rows_of(path)[1] == [
        (2, ["06 39 98 00 01", "fidèle; vient le samedi\r\net le dimanche", "Nantes"]),
        (4, ["06 39 98 00 02", 'dit "bonjour"', "Vertou"])]


def test_short_rows_are_padded_and_cells_stripped(tmp_path):
    path = write(tmp_path / "clients.csv", b"phone;first_name;city\n 06 39 98 00 01 ;Camille\n")
    assert rows_of(path)[1] == [(2, ["06 39 98 00 01", "Camille", ""])]


def test_single_column_csv(tmp_path):
    path = write(tmp_path / "clients.csv", b"phone\n06 39 98 00 01\n")
    assert rows_of(path) == (("phone",), [(2, ["06 39 98 00 01"])])


def test_cp1252_bytes_deep_in_a_file_guessed_utf8_are_still_read(tmp_path):
    head = "".join(f"06 39 98 {i // 100:02d} {i % 100:02d};Martin\n" for i in range(4000))
    text = "phone;name\n" + head + "06 39 98 99 99;Hélène\n"
    path = write(tmp_path / "clients.csv", text.encode("cp1252"))
    assert rows_of(path)[1][-1] == (4002, ["06 39 98 99 99", "Hélène"])


def test_txt_with_a_header_line(tmp_path):
    path = write(tmp_path / "numeros.txt", "Téléphone\n06 39 98 00 01\n\n06 39 98 00 02\n".encode())
    assert rows_of(path, phone_column="mobile") == (("mobile",), [(2, ["06 39 98 00 01"]),
                                                                  (4, ["06 39 98 00 02"])])


def test_txt_without_a_header_line(tmp_path):
    path = write(tmp_path / "numeros.txt", b"\r\n06 39 98 00 01\r\n+33 6 39 98 00 02\r\n")
    assert rows_of(path) == (("phone",), [(2, ["06 39 98 00 01"]), (3, ["+33 6 39 98 00 02"])])


def workbook_bytes(tmp_path: Path) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["phone", "first_name", "birthday", "last_visit", "total_spent", "vip"])
    sheet.append([639980001, "Camille", date(1988, 3, 14), datetime(2026, 10, 2, 10, 15), 184.5, True])
    sheet.append([])
    sheet.append(["06 39 98 00 02", None, datetime(1975, 11, 30), None, 62.0, False])
    workbook.save(tmp_path / "built.xlsx")
    return (tmp_path / "built.xlsx").read_bytes()


def test_xlsx_number_date_and_empty_cells(tmp_path):
    path = write(tmp_path / "clients.xlsx", workbook_bytes(tmp_path))
    header, rows = rows_of(path)
    assert header == ("phone", "first_name", "birthday", "last_visit", "total_spent", "vip")
    assert rows == [(2, ["639980001", "Camille", "1988-03-14", "2026-10-02T10:15:00", "184.5", "true"]),
                    (4, ["06 39 98 00 02", "", "1975-11-30", "", "62", "false"])]


def test_corrupt_xlsx(tmp_path):
    path = write(tmp_path / "clients.xlsx", b"phone;name\n06 39 98 00 01;Camille\n")
    message = r"cannot open the workbook clients\.xlsx \(.*\); save it again as \.xlsx$"
    with pytest.raises(ReadError, match=message):
        open_rows(path)


def encrypt(data: bytes) -> tuple[bytes, str]:
    identity = pyrage.x25519.Identity.generate()
    return pyrage.encrypt(data, [identity.to_public()]), str(identity)


def test_encrypted_csv_is_read_in_memory(tmp_path):
    secret_data, identity = encrypt("phone;first_name\n06 39 98 00 01;Hélène\n".encode("cp1252"))
    path = write(tmp_path / "clients.csv.age", secret_data)
    table = read_table(path, env={AGE_IDENTITY_ENV: identity})
    assert table == Table(("phone", "first_name"),
                          ((2, {"phone": "06 39 98 00 01", "first_name": "Hélène"}),))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clients.csv.age"]  # no clear text on disk


def test_encrypted_xlsx_and_a_whole_key_file_as_identity(tmp_path):
    secret_data, identity = encrypt(workbook_bytes(tmp_path))
    path = write(tmp_path / "clients.xlsx.age", secret_data)
    key_file = f"# created: 2026-01-01T00:00:00Z\n# public key: age1...\n{identity}\n"
    assert rows_of(path, env={AGE_IDENTITY_ENV: key_file})[1][0][1][0] == "639980001"


def test_encrypted_file_without_identity(tmp_path, monkeypatch):
    monkeypatch.delenv(AGE_IDENTITY_ENV, raising=False)
    path = write(tmp_path / "clients.csv.age", encrypt(b"phone\n06 39 98 00 01\n")[0])
    with pytest.raises(ReadError, match="set the environment variable SMSOPS_AGE_IDENTITY.*CI, a repository"):
        read_table(path)  # env defaults to os.environ


def test_encrypted_file_with_the_wrong_identity_never_shows_it(tmp_path):
    path = write(tmp_path / "clients.csv.age", encrypt(b"phone\n06 39 98 00 01\n")[0])
    other = str(pyrage.x25519.Identity.generate())
    with pytest.raises(ReadError) as caught:
        read_table(path, env={AGE_IDENTITY_ENV: other})
    assert str(caught.value) == ("cannot decrypt clients.csv.age: the identity in SMSOPS_AGE_IDENTITY does "
                                 "not match the recipients of this file")
    assert "AGE-SECRET-KEY" not in repr(caught.value.__context__) + repr(caught.value.__cause__)


@pytest.mark.parametrize("value", ["AGE-SECRET-KEY-1NOTAKEY", "age1public-key-instead"])
def test_malformed_identity(tmp_path, value):
    path = write(tmp_path / "clients.csv.age", encrypt(b"phone\n")[0])
    with pytest.raises(ReadError, match="^SMSOPS_AGE_IDENTITY is not a valid age identity") as caught:
        read_table(path, env={AGE_IDENTITY_ENV: value})
    assert value not in str(caught.value)


def test_streaming_yields_the_first_row_before_reading_the_rest(tmp_path):
    lines = (f"06 39 98 {i // 100 % 100:02d} {i % 100:02d};Client {i};Nantes\n" for i in range(50_000))
    path = tmp_path / "big.csv"
    path.write_text("phone;name;city\n" + "".join(lines), encoding="utf-8")
    tracemalloc.start()
    try:
        with open_rows(path) as rows:
            iterator = iter(rows)
            assert list(itertools.islice(iterator, 1)) == [(2, ["06 39 98 00 00", "Client 0", "Nantes"])]
            _, peak = tracemalloc.get_traced_memory()
            assert peak < path.stat().st_size / 4  # not the whole file, let alone 50 000 rows
            *_, last = iterator
    finally:
        tracemalloc.stop()
    assert last == (50_001, ["06 39 98 99 99", "Client 49999", "Nantes"])


def test_read_table_keeps_its_api(tmp_path):
    path = write(tmp_path / "clients.csv", b"phone;city\n06 39 98 00 01;Nantes\n06 39 98 00 02\n")
    assert read_table(path, "phone") == Table(("phone", "city"), (
        (2, {"phone": "06 39 98 00 01", "city": "Nantes"}), (3, {"phone": "06 39 98 00 02", "city": ""})))


@pytest.mark.parametrize(("name", "data", "message", "line"), [
    ("clients.csv", b"", "the file is empty; export it again with a header row", 1),
    ("clients.txt", b"\n \n", "the file is empty; export it again with a header row", 1),
    ("clients.csv", b"phone;city;Phone;city\n", "the header names the column 'city' twice; rename one", 1),
    ("clients.csv", b'phone;note\n06 39 98 00 01;"ok"\n06 39 98 00 02;"unclosed\n06 39 98 00 03;x\n',
     "malformed CSV", 3),
    ("clients.xls", b"x", "unsupported file type; save it as .csv, .txt or .xlsx", 1),
    ("clients.age", b"x", r"unsupported file type; .* \.csv\.age, \.txt\.age, \.xlsx\.age", 1),
])
def test_bad_inputs_name_the_fix_and_the_line(tmp_path, name, data, message, line):
    with pytest.raises(ReadError, match=message) as caught:
        read_table(write(tmp_path / name, data))
    assert caught.value.line == line


def test_missing_file(tmp_path):
    with pytest.raises(ReadError, match=r"nowhere\.csv does not exist; check the `file:` path"):
        open_rows(tmp_path / "nowhere.csv")
