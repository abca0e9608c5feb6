"""Units, staff and assignments: PUT, GET, pages, and CSV import (all rows or none)."""

from __future__ import annotations

import pytest

from tests.conftest import make_user, open_store

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}


def _count(settings, table: str) -> int:
    with open_store(settings) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_unit_put_get_and_deactivate(client, admin, users):
    response = client.put("/v1/units/ALM-014", json=UNIT, headers=admin)
    assert response.status_code == 200
    assert response.json() | {"updated_at": None} == UNIT | {"unit_id": "ALM-014", "active": True, "updated_at": None}
    client.put("/v1/units/ALM-014", json=UNIT | {"active": False}, headers=admin)
    for role in ("admin", "quality_lead", "hr"):
        got = client.get("/v1/units/ALM-014", headers=users[role])
        assert got.status_code == 200 and got.json()["active"] is False
    assert client.get("/v1/units/NOPE", headers=admin).status_code == 404


def test_staff_must_name_an_existing_unit_and_can_move(client, admin):
    response = client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "NOPE"}, headers=admin)
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "unit_id"
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/units/U2", json=UNIT, headers=admin)
    assert (
        client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin).status_code == 200
    )
    moved = client.put(
        "/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U2", "position": "консультант"}, headers=admin
    )
    assert moved.json()["unit_id"] == "U2" and moved.json()["position"] == "консультант"
    assert [s["staff_id"] for s in client.get("/v1/staff?unit_id=U2", headers=admin).json()["items"]] == ["E1"]


def test_assignment_checks_auditor_unit_and_checklist(client, admin, example_checklist):
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/units/CC1", json=UNIT | {"kind": "contact_centre"}, headers=admin)
    make_user(client, admin, "aigerim", "auditor")
    make_user(client, admin, "hr", "hr")
    good = {
        "auditor": "aigerim",
        "unit_id": "U1",
        "checklist_id": "example",
        "due_from": "2026-10-01",
        "due_to": "2026-10-31",
    }
    assert client.put("/v1/assignments/A-1", json=good, headers=admin).status_code == 200
    bad = good | {"auditor": "hr", "unit_id": "CC1", "due_to": "2026-09-01"}
    response = client.put("/v1/assignments/A-2", json=bad, headers=admin)
    assert response.status_code == 422
    assert sorted(e["path"] for e in response.json()["errors"]) == ["auditor", "checklist_id", "due_to"]
    response = client.put("/v1/assignments/A-3", json=good | {"checklist_id": "nope"}, headers=admin)
    assert [e["path"] for e in response.json()["errors"]] == ["checklist_id"]
    assert client.put("/v1/assignments/A-4", json=good | {"due_from": "2026-13-01"}, headers=admin).status_code == 400


def test_pages_cover_everything_once(client, admin):
    for i in range(7):
        client.put(f"/v1/units/U{i}", json=UNIT, headers=admin)
    seen, cursor = [], None
    while True:
        page = client.get(
            "/v1/units", params={"limit": 3} | ({"cursor": cursor} if cursor else {}), headers=admin
        ).json()
        seen += [u["unit_id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"U{i}" for i in range(7)]
    assert client.get("/v1/units", params={"limit": 1001}, headers=admin).status_code == 400


UNITS_CSV = (
    'unit_id,kind,name,region,active\nALM-1,branch,"ПСС Алматы, Абая 1",Алматы,true\nAST-1,contact_centre,КЦ,Астана,\n'
)


@pytest.mark.parametrize(
    "data",
    [
        UNITS_CSV.encode(),
        b"\xef\xbb\xbf" + UNITS_CSV.encode(),
        UNITS_CSV.replace(",", ";").replace('"ПСС Алматы; Абая 1"', '"ПСС Алматы, Абая 1"').encode(),
        UNITS_CSV.replace("\n", "\r\n").encode(),
    ],
    ids=["comma", "bom", "semicolon", "crlf"],
)
def test_csv_import_variants(client, admin, data):
    response = client.post("/v1/admin/import/units", content=data, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"entity": "units", "rows": 2}
    unit = client.get("/v1/units/ALM-1", headers=admin).json()
    assert unit["name"] == "ПСС Алматы, Абая 1" and unit["active"] is True
    assert client.get("/v1/units/AST-1", headers=admin).json()["active"] is True, "an empty cell takes the default"


def test_csv_import_is_all_or_nothing_with_errors_by_line(client, admin, settings):
    data = (
        "unit_id,kind,name,region\n"
        "U1,branch,Один,Алматы\n"
        "U2,shop,Два,Алматы\n"  # line 3: bad kind
        "U3,branch,,Алматы\n"  # line 4: empty name
        "U1,branch,Дубль,Алматы\n"  # line 5: duplicate key
        "U4,branch,Четыре\n"  # line 6: missing column
    ).encode()
    response = client.post("/v1/admin/import/units", content=data, headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "invalid_csv"
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths == ["line 3.kind", "line 4.name", "line 5.unit_id", "line 6"]
    assert _count(settings, "units") == 0


def test_csv_import_missing_and_unknown_columns(client, admin):
    response = client.post("/v1/admin/import/units", content=b"unit_id,kind,colour\nU1,branch,red\n", headers=admin)
    messages = [e["message"] for e in response.json()["errors"]]
    assert "unknown column 'colour'" in messages and "missing column 'name'" in messages


def test_staff_import_with_unknown_unit_writes_nothing(client, admin, settings):
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    data = "staff_id;name;unit_id;position\nE1;Иванова Мария;U1;консультант\nE2;Қайратұлы Ерлан;U9;оператор\n"
    response = client.post("/v1/admin/import/staff", content=data.encode(), headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "line 3.unit_id", "message": "no unit 'U9'"}]
    assert _count(settings, "staff") == 0


def test_not_utf8_and_empty_files(client, admin):
    assert client.post("/v1/admin/import/units", content="unit_id".encode("utf-16"), headers=admin).status_code == 400
    assert client.post("/v1/admin/import/units", content=b"", headers=admin).status_code == 400


def test_reassigning_an_assignment_feeds_a_delete_to_the_old_auditor(client, admin, example_checklist, settings):
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    make_user(client, admin, "a1", "auditor")
    make_user(client, admin, "a2", "auditor")
    body = {
        "auditor": "a1",
        "unit_id": "U1",
        "checklist_id": "example",
        "due_from": "2026-10-01",
        "due_to": "2026-10-31",
    }
    client.put("/v1/assignments/A-1", json=body, headers=admin)
    client.put("/v1/assignments/A-1", json=body | {"auditor": "a2"}, headers=admin)
    with open_store(settings) as db:
        rows = db.execute(
            "SELECT object_id, op, audience FROM changes WHERE kind = 'assignment' ORDER BY seq"
        ).fetchall()
    assert rows == [("A-1", "delete", "a1"), ("A-1", "upsert", "a2")]


def test_names_are_one_line_of_text(client, admin, settings):
    """A control character (a tab, a line break, NUL) in a name is refused with its path, by PUT and by CSV."""
    for bad in ("ПСС\nАлматы", "ПСС\tАлматы", "ПСС\x00"):
        response = client.put("/v1/units/U9", json=UNIT | {"name": bad}, headers=admin)
        assert response.status_code == 400, bad
        assert [e["path"] for e in response.json()["errors"]] == ["name"]
    data = 'unit_id,kind,name,region\nU1,branch,Один,Алматы\nU2,branch,"Два\tдва",Алматы\n'.encode()
    response = client.post("/v1/admin/import/units", content=data, headers=admin)
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["line 3.name"]
    assert _count(settings, "units") == 0
