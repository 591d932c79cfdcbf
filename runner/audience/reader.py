"""Read a contacts file (CSV with , ; or tab, TXT, XLSX) into rows of text, keeping line numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runner.i18n import _

DELIMITERS = ",;\t"
ENCODINGS = ("utf-8-sig", "cp1252")  # a French Excel export is Windows-1252


class ReadError(ValueError):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (line in the file, column -> cell text)


def read_table(path: Path, phone_column: str = "phone") -> Table:
    if not path.is_file():
        raise ReadError(_("{file} does not exist; check the `file:` path (relative to the YAML "
                          "file's folder)").format(file=path.name))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _table(_xlsx_lines(path))
    text = _decode(path.read_bytes())
    if suffix == ".txt":
        return _table(iter([(0, [phone_column])] + [
            (n, [line.strip()]) for n, line in enumerate(text.splitlines(), 1) if line.strip()]))
    return _table(_csv_lines(text))


def _decode(raw: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadError(_("cannot decode the file; save it as UTF-8 CSV"))  # cp1252 gaps only


def _csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(keepends=True), dialect)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as err:
        raise ReadError(_("malformed CSV ({reason}); check the quotes on this line").format(
            reason=err), reader.line_num) from None


def _xlsx_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for number, values in enumerate(workbook.active.iter_rows(values_only=True), 1):
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into Excel, e.g. 639980001
    return str(value)


def _table(lines: Iterator[tuple[int, list[str]]]) -> Table:
    first = next(lines, None)
    if first is None:
        raise ReadError(_("the file is empty; export it again with a header row"))
    header = tuple(cell.strip() for cell in first[1])
    rows = tuple(
        (number, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)})
        for number, cells in lines
        if any(cell.strip() for cell in cells)
    )
    return Table(header, rows)
