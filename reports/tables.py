"""Rows as files HR opens in a spreadsheet: CSV (UTF-8 with BOM) and XLSX.

Columns are the JSON field names, in the order of the row type. CSV with `sep=";"` is for
spreadsheet programs in locales that write a decimal comma (ru-KZ, kk-KZ): its numbers use a
comma too, so they open as numbers, not text.

Files for people (`lang` given): the header row is in that language (`console.periods.col.*`) and
the flags are words (`reports.i18n.flag`); the values are the same. A workbook can also carry what
it is (`about`: a closed period's snapshot id, hash and policy) on a second sheet, `snapshot`, and
in its document properties. Without `lang` the files are exactly what they always were.

Every text cell is data, never a formula (API.md, robustness rules): names come from the
operator's CSV imports and forms, and a spreadsheet runs a cell that begins with `=`, `+`, `-` or
`@` (some after a leading tab or CR) as a formula, which can fetch URLs or run commands (OWASP,
"CSV injection"). `as_data` is the one place that rule lives; numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from reports import i18n

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.packaging.core import DocumentProperties


# What a text cell may not begin with: a spreadsheet would read the cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_a_formula(text: str) -> bool:
    """Whether a spreadsheet would read this text, as a cell, as a formula."""
    return text.startswith(FORMULA_STARTS)


def as_data(text: str) -> str:
    """The text as a CSV cell that opens as text: a leading `'` where it would start a formula."""
    return "'" + text if starts_a_formula(text) else text


COLUMN_KEY = "console.periods.col.{}"
ABOUT_KEY = "console.periods.about.{}"
ABOUT_SHEET = "snapshot"
FLAGS = "flags"  # the column whose list holds a row's flags (words in a file for people)


def _title(key: str, fallback: str, lang: str) -> str:
    """A column's or a fact's title in `lang`; a name the catalogue does not know is shown as it is."""
    try:
        return i18n.text(key, lang)
    except KeyError:
        return fallback


def headers_of(row_type: type[msgspec.Struct], lang: str | None) -> list[str]:
    """The header row: the JSON field names, or their titles in `lang` (a file for people)."""
    columns = columns_of(row_type)
    if lang is None:
        return columns
    return [_title(COLUMN_KEY.format(c), c, lang) for c in columns]


def _for_people(values: dict[str, object], lang: str | None) -> dict[str, object]:
    """A row's values as a file for people shows them: the flags in words."""
    flags = values.get(FLAGS)
    if lang is None or not isinstance(flags, list):
        return values
    return values | {FLAGS: "; ".join(i18n.flag(str(f), lang) for f in flags)}


def _cell(value: object, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, int):
        return str(value)  # `-3` is a number: only text is neutralised
    if isinstance(value, list):
        return as_data(" ".join(str(v) for v in value))
    return as_data(str(value))


def columns_of(row_type: type[msgspec.Struct]) -> list[str]:
    """The column names: the row type's JSON field names, in order."""
    return [f.encode_name for f in msgspec.structs.fields(row_type)]


def to_csv(
    rows: Sequence[msgspec.Struct], row_type: type[msgspec.Struct], sep: str = ",", lang: str | None = None
) -> bytes:
    """CSV bytes with a BOM and a header row (titles in `lang` and flags in words when `lang` is given)."""
    columns = columns_of(row_type)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow([as_data(h) for h in headers_of(row_type, lang)])
    for row in rows:
        values = _for_people(msgspec.structs.asdict(row), lang)
        writer.writerow([_cell(values[c], sep == ";") for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(
    rows: Sequence[msgspec.Struct],
    row_type: type[msgspec.Struct],
    title: str,
    lang: str | None = None,
    about: Sequence[tuple[str, str]] = (),
) -> bytes:
    """An XLSX workbook: a sheet with a bold, frozen header row and typed cells (titles in `lang` and flags
    in words when `lang` is given); with `about` ((name, value) pairs), a second sheet `snapshot` of them."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    def shown(value: object) -> object:
        # A control character (XML 1.0 forbids them) in a name would make the whole workbook fail:
        # it is shown as U+FFFD instead.
        if isinstance(value, list):
            value = " ".join(value)
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value

    columns = columns_of(row_type)
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(headers_of(row_type, lang))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        _text_cell(cell)
    sheet.freeze_panes = "A2"
    for row in rows:
        values = _for_people(msgspec.structs.asdict(row), lang)
        sheet.append([shown(values[c]) for c in columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                _text_cell(cell)
    for index, column in enumerate(columns, start=1):
        width = max(
            [len(column)] + [len(str(c.value or "")) for c in sheet.iter_cols(min_col=index, max_col=index).__next__()]
        )
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(60, width + 2)
    if about:
        _about_sheet(book, about, lang or "en")
    book.properties.creator = "Tekseru"
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_metadata(buffer.getvalue(), book.properties)


def _about_sheet(book: Workbook, about: Sequence[tuple[str, str]], lang: str) -> None:
    """The second sheet: what the workbook is (name, value per line); the values also in the document properties."""
    from openpyxl.styles import Font

    sheet = book.create_sheet(ABOUT_SHEET)
    for name, value in about:
        sheet.append([_title(ABOUT_KEY.format(name), name, lang), value])
        label, cell = sheet[sheet.max_row]
        label.font = Font(bold=True)
        _text_cell(label)
        _text_cell(cell)
    sheet.column_dimensions["A"].width = max(len(str(c.value)) for c in sheet["A"]) + 2
    sheet.column_dimensions["B"].width = min(80, max(len(str(c.value)) for c in sheet["B"]) + 2)
    book.properties.keywords = "; ".join(f"{name}={value}" for name, value in about)


def _text_cell(cell: Cell) -> None:
    """Keep a text cell a string cell, whatever it begins with."""
    # openpyxl makes a str that begins with `=` a formula cell and `#N/A` an error cell; an
    # XLSX string cell is never evaluated. `quotePrefix` is the mark Excel stores for text typed
    # after a `'`: the cell shows the text as it is and stays text when someone edits it.
    cell.data_type = "s"
    if starts_a_formula(cell.value):
        cell.quotePrefix = True


# The workbook's dates and its zip entries' times, fixed like the scorecards' (reportlab's invariant
# mode): the same rows give the same bytes, so a closed period's XLSX never changes, and the file
# tells nothing of when or on which machine it was made.
_FIXED_TIME = dt.datetime(2000, 1, 1)


def _fixed_metadata(xlsx: bytes, properties: DocumentProperties) -> bytes:
    from openpyxl.xml.functions import tostring

    properties.created = properties.modified = _FIXED_TIME
    core = tostring(properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = core if entry.filename == "docProps/core.xml" else source.read(entry)
            target.writestr(zipfile.ZipInfo(entry.filename, _FIXED_TIME.timetuple()[:6]), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()
