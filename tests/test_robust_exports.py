"""HR's files are data, never formulas: every CSV and XLSX cell of text that a spreadsheet would run.

A text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading
`'` in CSV and as a string cell (never a formula) in XLSX; numbers stay numbers. The writer is
checked on its own (including tab and CR, which names refuse), then end to end: names imported by
CSV and put by PUT reach the motivation, snapshot CSVs (`,` and `;`) and XLSX neutralised.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import msgspec
import pytest

from reports.motivation import MotivationRow
from reports.tables import as_data, to_csv, to_xlsx
from tests.conftest import make_user
from tests.tablet import Tablet

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\tTab",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
    "-",
    "=",
]
# Text a spreadsheet reads as text already: written exactly as it is.
PLAIN = ["Нұрланова Әлия", "a=b", "1+1", "#N/A", "'quoted", "", "ПСС Алматы, пр. Абая 109"]
TEXT_COLUMNS = ["staff_id", "name", "unit_id", "unit_name", "position", "policy_id", "flags"]


def _row(text: str, **numbers: object) -> MotivationRow:
    """A row whose every text field is `text` (ids too: a file does not know which text came from where)."""
    figures = {"score": -3.5, "n": 2, "ci_low": -10.25, "ci_high": 0.0, "coefficient": -1.0, "policy_version": 1}
    return MotivationRow(
        staff_id=text,
        name=text,
        unit_id=text,
        unit_name=text,
        position=text,
        policy_id=text,
        flags=[text],
        **(figures | numbers),
    )


def _csv_table(data: bytes, sep: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=sep))


def _formula_elements(xlsx: bytes) -> list[str]:
    """Every `<f>` (formula) element of every sheet of the workbook, read as raw XML."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        sheets = [name for name in book.namelist() if name.startswith("xl/worksheets/")]
        assert sheets, "the workbook has no sheet"
        return [f for name in sheets for f in re.findall(r"<f[ >/].*?(?:</f>|/>)", book.read(name).decode())]


def _sheet_cells(xlsx: bytes) -> tuple[list[str], list[list]]:
    """The header and the data cells of the workbook's sheet, read back with openpyxl."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx)).active
    rows = list(sheet.iter_rows())
    return [c.value for c in rows[0]], [list(r) for r in rows[1:]]


@pytest.mark.parametrize("text", FORMULAS + PLAIN, ids=repr)
@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_text_cells_that_start_a_formula_get_a_quote(text, sep):
    table = _csv_table(to_csv([_row(text)], MotivationRow, sep), sep)
    (cells,) = table
    expected = "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    for column in TEXT_COLUMNS:
        assert cells[column] == expected, column
    point = "," if sep == ";" else "."
    assert cells["score"] == f"-3{point}5", "a negative number stays a number"
    assert cells["ci_low"] == f"-10{point}25" and cells["coefficient"] == f"-1{point}0"
    assert cells["n"] == "2" and cells["policy_version"] == "1"


def test_as_data_is_the_one_rule():
    assert [as_data(t) for t in FORMULAS] == ["'" + t for t in FORMULAS]
    assert [as_data(t) for t in PLAIN] == PLAIN


def test_csv_negative_integers_are_numbers_not_text():
    (cells,) = _csv_table(to_csv([_row("x", n=-4, policy_version=-7)], MotivationRow), ",")
    assert cells["n"] == "-4" and cells["policy_version"] == "-7"


@pytest.mark.parametrize("text", FORMULAS + PLAIN, ids=repr)
def test_xlsx_text_cells_are_string_cells_never_formulas(text):
    xlsx = to_xlsx([_row(text)], MotivationRow, "motivation-2026-10")
    assert _formula_elements(xlsx) == []
    header, (cells,) = _sheet_cells(xlsx)
    by_column = dict(zip(header, cells, strict=True))
    for column in TEXT_COLUMNS:
        cell = by_column[column]
        if text == "":
            continue
        # XML turns a bare CR into a line feed when the file is read; the cell is text all the same.
        assert cell.value in (text, text.replace("\r", "\n")), column
        assert cell.data_type == "s", column
        assert cell.quotePrefix is (text[:1] in ("=", "+", "-", "@", "\t", "\r")), column
    for column, value in {"score": -3.5, "ci_low": -10.25, "coefficient": -1, "n": 2, "policy_version": 1}.items():
        assert by_column[column].data_type == "n" and by_column[column].value == value, column


# -- End to end: names that came in by CSV import and by PUT, through every file HR downloads --

HOSTILE_UNITS = {
    "U1": ('=HYPERLINK("http://x","y")', "@Алматы"),
    "-U2": ("+ПСС Астана", "-Астана"),
}
HOSTILE_STAFF = {
    "E1": ('=HYPERLINK("http://x","y")', "U1", "+1+1"),
    "E2": ("+1+1", "U1", "@SUM(A1)"),
    "-2": ("-2", "-U2", '=HYPERLINK("http://x","y")'),
    "E4": ("@SUM(A1)", "-U2", "-консультант"),
    "E5": ("Нұрланова Әлия", "U1", "консультант"),
}
OCTOBER = "2026-10-15T11:00:00+05:00"


def _csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode()


@pytest.fixture
def hostile_world(client, admin, example_checklist, default_policy):
    """Units and staff with formula-like names from a CSV import (and one PUT); a visit of each, approved."""
    units = _csv_file(
        ["unit_id", "kind", "name", "region"],
        [[unit_id, "branch", name, region] for unit_id, (name, region) in HOSTILE_UNITS.items()],
    )
    imported = client.post("/v1/admin/import/units", content=units, headers=admin | {"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    staff = _csv_file(
        ["staff_id", "name", "unit_id", "position"],
        [[staff_id, *fields] for staff_id, fields in HOSTILE_STAFF.items() if staff_id != "E4"],
    )
    imported = client.post("/v1/admin/import/staff", content=staff, headers=admin | {"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    name, unit_id, position = HOSTILE_STAFF["E4"]
    put = client.put("/v1/staff/E4", json={"name": name, "unit_id": unit_id, "position": position}, headers=admin)
    assert put.status_code in (200, 201), put.text
    tablet = Tablet(make_user(client, admin, "aigerim", "auditor"))
    lead = make_user(client, admin, "saule", "quality_lead")
    hr = make_user(client, admin, "dana", "hr")
    visits = [
        tablet.revision(started_at=OCTOBER, unit_id="U1", staff_ids=["E1", "E2", "E5"]),
        tablet.revision(started_at=OCTOBER, unit_id="-U2", staff_ids=["-2", "E4"]),
    ]
    assert {r["status"] for r in tablet.push(client, visits)} == {"applied"}
    for visit in visits:
        doc = client.get(f"/v1/submissions/{visit['submission_id']}", headers=lead).json()
        decided = client.post(
            f"/v1/submissions/{visit['submission_id']}/review",
            json={"decision": "approve", "heads": doc["heads"]},
            headers=lead,
        )
        assert decided.status_code == 200, decided.text
    return {"hr": hr, "lead": lead, "tablet": tablet}


def _expected_rows() -> dict[str, dict[str, str | None]]:
    """Each staff member's text fields as stored (the JSON answer keeps them exactly)."""
    return {
        staff_id: {
            "staff_id": staff_id,
            "name": name,
            "unit_id": unit_id,
            "unit_name": HOSTILE_UNITS[unit_id][0],
            "position": position,
        }
        for staff_id, (name, unit_id, position) in HOSTILE_STAFF.items()
    }


def _fetch_every_file(client, headers, path: str, params: dict[str, str]) -> dict[str, bytes]:
    """The CSV (both separators, by `format` and by `Accept`) and the XLSX of one table."""
    xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    answers = {
        "csv ,": client.get(path, params=params | {"format": "csv"}, headers=headers),
        "csv ;": client.get(path, params=params | {"format": "csv", "sep": ";"}, headers=headers),
        "csv , (Accept)": client.get(path, params=params, headers=headers | {"Accept": "text/csv"}),
        "xlsx": client.get(path, params=params | {"format": "xlsx"}, headers=headers),
        "xlsx (Accept)": client.get(path, params=params, headers=headers | {"Accept": xlsx_type}),
    }
    for kind, answer in answers.items():
        assert answer.status_code == 200, (kind, answer.text)
    return {kind: answer.content for kind, answer in answers.items()}


def _assert_files_are_data(files: dict[str, bytes], expected: dict[str, dict[str, str | None]]) -> None:
    for kind, data in files.items():
        if kind.startswith("csv"):
            sep = ";" if kind.startswith("csv ;") else ","
            rows = {r["staff_id"]: r for r in _csv_table(data, sep)}
            assert set(rows) == {as_data(s) for s in expected}, kind
            for staff_id, fields in expected.items():
                row = rows[as_data(staff_id)]
                for column, value in fields.items():
                    want = "'" + value if value[:1] in ("=", "+", "-", "@") else value
                    assert row[column] == want, (kind, staff_id, column, row[column])
                assert not row["n"].startswith("'") and not row["coefficient"].startswith("'"), (kind, staff_id)
        else:
            assert _formula_elements(data) == [], kind
            header, cells = _sheet_cells(data)
            rows = {}
            for line in cells:
                by_column = dict(zip(header, line, strict=True))
                rows[by_column["staff_id"].value] = by_column
            assert set(rows) == set(expected), kind
            for staff_id, fields in expected.items():
                for column, value in fields.items():
                    cell = rows[staff_id][column]
                    assert cell.value == value and cell.data_type == "s", (kind, staff_id, column, cell.data_type)
                assert rows[staff_id]["n"].data_type == "n" and rows[staff_id]["coefficient"].data_type == "n"


def test_imported_formula_names_reach_every_export_as_text(client, hostile_world):
    hr, lead, tablet = hostile_world["hr"], hostile_world["lead"], hostile_world["tablet"]
    expected = _expected_rows()
    # The JSON answer keeps the names exactly: only the files neutralise them.
    motivation = client.get("/v1/motivation", params={"period": "2026-10"}, headers=hr).json()
    assert {r["staff_id"]: r["name"] for r in motivation["rows"]} == {s: f["name"] for s, f in expected.items()}
    assert motivation["closed"] is False
    _assert_files_are_data(_fetch_every_file(client, hr, "/v1/motivation", {"period": "2026-10"}), expected)

    closed = client.post("/v1/periods/2026-10/close", headers=hr)
    assert closed.status_code == 201, closed.text
    _assert_files_are_data(_fetch_every_file(client, hr, "/v1/periods/2026-10/snapshot", {}), expected)
    _assert_files_are_data(_fetch_every_file(client, hr, "/v1/motivation", {"period": "2026-10"}), expected)

    # A late visit of October: an adjustment that November's snapshot carries; its files too.
    late = tablet.revision(started_at=OCTOBER, unit_id="-U2", staff_ids=["-2"])
    tablet.push(client, [late])
    doc = client.get(f"/v1/submissions/{late['submission_id']}", headers=lead).json()
    body = {"decision": "approve", "heads": doc["heads"]}
    assert client.post(f"/v1/submissions/{late['submission_id']}/review", json=body, headers=lead).status_code == 200
    (pending,) = client.get("/v1/periods/2026-10/adjustments", headers=hr).json()["pending"]
    assert pending["after"]["name"] == "-2" and pending["after"]["position"] == '=HYPERLINK("http://x","y")'
    november = client.post("/v1/periods/2026-11/close", json={"force": True}, headers=hr)
    assert november.status_code == 201, november.text
    assert [a["staff_id"] for a in november.json()["carried"]] == ["-2"]
    _assert_files_are_data(_fetch_every_file(client, hr, "/v1/periods/2026-11/snapshot", {}), expected)


def test_motivation_row_fields_are_the_ones_checked():
    """The end-to-end test covers every text column of a motivation row (a new one must be added there)."""
    text = [f.encode_name for f in msgspec.structs.fields(MotivationRow) if f.type in (str, str | None, list[str])]
    assert sorted(text) == sorted(TEXT_COLUMNS)


def test_a_leading_tab_or_cr_never_reaches_a_stored_name(client, admin):
    """Names refuse control characters and an import trims its cells: the writer test covers tab and CR alone."""
    client.put("/v1/units/U1", json={"kind": "branch", "name": "ПСС", "region": "Алматы"}, headers=admin)
    staff = _csv_file(["staff_id", "name", "unit_id", "position"], [["E1", "\tTab", "U1", "\r=1+1"]])
    imported = client.post("/v1/admin/import/staff", content=staff, headers=admin | {"Content-Type": "text/csv"})
    if imported.status_code == 200:
        person = client.get("/v1/staff/E1", headers=admin).json()
        assert not person["name"].startswith(("\t", "\r")) and not person["position"].startswith(("\t", "\r"))
    else:
        assert imported.status_code == 400 and imported.json()["code"] == "invalid_csv", imported.text
    for name in ("\tTab", "\r=1+1"):
        put = client.put("/v1/staff/E2", json={"name": name, "unit_id": "U1"}, headers=admin)
        assert put.status_code == 400 and put.json()["errors"][0]["path"] == "name", put.text
