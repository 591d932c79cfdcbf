"""Read a contacts file (CSV with , ; or tab, TXT, XLSX, each maybe age-encrypted) as a stream of rows."""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO

from runner.i18n import _

AGE_IDENTITY_ENV = "SMSOPS_AGE_IDENTITY"
SUFFIXES = (".csv", ".txt", ".xlsx")
DELIMITERS = ",;\t"
CHUNK = 1 << 16  # bytes looked at to guess the encoding and the delimiter
CP1252 = "smsops-cp1252"  # error handler: a non-UTF-8 byte deep in a file guessed UTF-8 is read as cp1252
Lines = Iterator[tuple[int, list[str]]]


def _as_cp1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    byte = error.object[error.start:error.start + 1]  # latin-1 for the 5 bytes cp1252 leaves undefined
    return byte.decode("cp1252", "ignore") or byte.decode("latin-1"), error.start + 1


codecs.register_error(CP1252, _as_cp1252)


class ReadError(ValueError):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (line in the file, column -> cell text)


class Rows:
    """The header (first non-blank row), then the other non-blank rows, read lazily, as (line, cells)."""

    def __init__(self, lines: Lines, close: Callable[[], object]) -> None:
        self._close = close
        stripped = ((number, list(map(str.strip, cells))) for number, cells in lines)
        self._rows = ((number, cells) for number, cells in stripped if any(cells))
        try:
            number, cells = next(self._rows, (0, []))
            if not cells:
                raise ReadError(_("the file is empty; export it again with a header row"))
            for i, name in enumerate(cells):
                if name and name in cells[:i]:
                    raise ReadError(_("the header names the column '{name}' twice; rename one of "
                                      "them").format(name=name), number)
        except BaseException:
            close()
            raise
        self.header: tuple[str, ...] = tuple(cells)

    def __iter__(self) -> Lines:
        width = len(self.header)
        for number, cells in self._rows:
            yield number, cells if len(cells) >= width else cells + [""] * (width - len(cells))

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Rows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_rows(path: Path, *, phone_column: str = "phone", env: Mapping[str, str] | None = None) -> Rows:
    if not path.is_file():
        raise ReadError(_("{file} does not exist; check the `file:` path (relative to the YAML "
                          "file's folder)").format(file=path.name))
    encrypted = path.name.lower().endswith(".age")
    suffix = Path(path.name.lower().removesuffix(".age")).suffix
    if suffix not in SUFFIXES:
        raise ReadError(_("{file}: unsupported file type; save it as .csv, .txt or .xlsx (or encrypt one "
                          "of those with age: .csv.age, .txt.age, .xlsx.age)").format(file=path.name))
    binary: IO[bytes] = io.BytesIO(_decrypt(path, env)) if encrypted else open(path, "rb")  # noqa: SIM115
    if suffix == ".xlsx":
        return _xlsx_rows(binary, path.name)
    chunk = binary.read(CHUNK)
    binary.seek(0)
    encoding = _encoding(chunk)
    text = io.TextIOWrapper(binary, encoding=encoding, errors=CP1252, newline="")
    if suffix == ".txt":
        return Rows(_txt_lines(text, phone_column), text.close)
    return Rows(_csv_lines(text, _delimiter(chunk.decode(encoding, CP1252))), text.close)


def read_table(path: Path, phone_column: str = "phone", *, env: Mapping[str, str] | None = None) -> Table:
    with open_rows(path, phone_column=phone_column, env=env) as rows:
        return Table(rows.header, tuple(
            (n, dict(zip(rows.header, cells, strict=False))) for n, cells in rows))


def _decrypt(path: Path, env: Mapping[str, str] | None) -> bytes:
    import pyrage

    value = (os.environ if env is None else env).get(AGE_IDENTITY_ENV, "")
    keys = [line for line in map(str.strip, value.splitlines()) if line.startswith("AGE-SECRET-KEY-")]
    secret = keys[0] if keys else value.strip()  # the identity, or the whole key file with its comments
    names = {"file": path.name, "env": AGE_IDENTITY_ENV}
    if not secret:
        raise ReadError(_("{file} is encrypted with age: set the environment variable {env} to the identity "
                          "that decrypts it (the AGE-SECRET-KEY-1... line of the key file; in CI, a "
                          "repository secret passed to the job as {env})").format(**names))
    try:
        data: bytes = pyrage.decrypt(path.read_bytes(), [pyrage.x25519.Identity.from_str(secret)])
    except pyrage.IdentityError:
        raise ReadError(_("{env} is not a valid age identity; copy the whole AGE-SECRET-KEY-1... line of "
                          "the key file").format(**names)) from None
    except pyrage.DecryptError as error:
        if "no matching keys" in str(error).lower():
            raise ReadError(_("cannot decrypt {file}: the identity in {env} does not match the recipients "
                              "of this file").format(**names)) from None
        raise ReadError(_("cannot decrypt {file} ({reason}); encrypt it again with age").format(
            reason=error, **names)) from None
    return data


def _encoding(chunk: bytes) -> str:
    if chunk.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(chunk, final=False)
    except UnicodeDecodeError:
        return "cp1252"  # a French Excel "CSV (séparateur : point-virgule)"
    return "utf-8"


def _delimiter(sample: str) -> str:
    header = sample.lstrip("\r\n").split("\n", 1)[0]
    try:
        sniffed = csv.Sniffer().sniff(sample[:CHUNK // 4], DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    counted = max(DELIMITERS, key=header.count)  # when the sniffer fails or picks one the header lacks
    return sniffed if sniffed and sniffed in header else counted if counted in header else sniffed or ","


def _csv_lines(text: IO[str], delimiter: str) -> Lines:
    reader, start = csv.reader(text, delimiter=delimiter, strict=True), 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ReadError(_("malformed CSV ({reason}) in the row starting on this line; check its "
                              "quotes").format(reason=err), start) from None
        yield start, cells
        start = reader.line_num + 1  # a quoted cell may hold line breaks: a row starts after the last


def _txt_lines(text: IO[str], phone_column: str) -> Lines:
    header = False
    for number, line in enumerate(text, 1):
        if line.strip() and not header:
            header = True
            yield number, [phone_column]
            if not any(ch.isdigit() for ch in line):
                continue  # the file's own header line, e.g. "Téléphone"
        yield number, [line]


def _xlsx_rows(binary: IO[bytes], file: str) -> Rows:
    from openpyxl import load_workbook

    def fail(err: Exception, verb: str) -> ReadError:  # openpyxl raises many types for a broken file
        return ReadError(_("cannot {verb} the workbook {file} ({reason}); save it again as .xlsx").format(
            verb=verb, file=file, reason=str(err) or type(err).__name__))

    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some exporters write a wrong sheet size: read every row
    except Exception as err:
        binary.close()
        raise fail(err, "open") from None

    def lines(number: int = 0) -> Lines:
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
                yield number, [_cell_text(value) for value in values]
        except Exception as err:
            raise ReadError(str(fail(err, "read")), number + 1) from None

    return Rows(lines(), lambda: (workbook.close(), binary.close()))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # a phone typed as a number stays 639980001, never 6.39980001E+08
        text = str(int(value)) if value.is_integer() else repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()
