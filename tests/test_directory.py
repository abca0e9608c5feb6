"""Units, staff and assignments: PUT, GET, pages, and CSV import (all rows or none)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store, store_rows
from tests.tablet import Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}


def _count(settings, table: str) -> int:
    with open_store(settings) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_unit_put_get_and_deactivate(client, admin, users):
    response = client.put("/v1/units/ALM-014", json=UNIT, headers=admin)
    assert response.status_code == 200
    assert response.json() | {"updated_at": None} == UNIT | {
        "unit_id": "ALM-014",
        "active": True,
        "location": None,
        "geofence_m": None,
        "updated_at": None,
    }
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


# --- where a unit is: `location` and `geofence_m` ----------------------------------------------

PLACE = {"location": {"lat": 43.23935, "lon": 76.90842}, "geofence_m": 150}


def test_unit_location_and_geofence_are_stored_read_and_cleared(client, admin, users, settings):
    response = client.put("/v1/units/ALM-014", json=UNIT | PLACE, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["location"] == PLACE["location"] and response.json()["geofence_m"] == 150
    for role in ("admin", "quality_lead", "hr"):
        got = client.get("/v1/units/ALM-014", headers=users[role]).json()
        assert got["location"] == {"lat": 43.23935, "lon": 76.90842} and got["geofence_m"] == 150
    listed = client.get("/v1/units", headers=admin).json()["items"]
    assert [(u["location"], u["geofence_m"]) for u in listed] == [(PLACE["location"], 150)]
    with open_store(settings) as db:
        assert tuple(db.execute("SELECT lat, lon, geofence_m FROM units").fetchone()) == (43.23935, 76.90842, 150)
    # A place without its own geofence takes the policy's; none at all is a unit without a place.
    client.put("/v1/units/ALM-014", json=UNIT | {"location": {"lat": 43.2, "lon": 76.9}}, headers=admin)
    got = client.get("/v1/units/ALM-014", headers=admin).json()
    assert got["location"] == {"lat": 43.2, "lon": 76.9} and got["geofence_m"] is None
    client.put("/v1/units/ALM-014", json=UNIT | {"location": None, "geofence_m": None}, headers=admin)
    got = client.get("/v1/units/ALM-014", headers=admin).json()
    assert got["location"] is None and got["geofence_m"] is None
    with open_store(settings) as db:
        assert tuple(db.execute("SELECT lat, lon, geofence_m FROM units").fetchone()) == (None, None, None)


def test_coordinates_keep_every_digit_and_the_edges_are_valid(client, admin):
    for lat, lon in ((43.238949123456789, 76.889709876543211), (-90, -180), (90, 180), (0, -0.0), (1e-05, 1e-300)):
        response = client.put("/v1/units/U1", json=UNIT | {"location": {"lat": lat, "lon": lon}}, headers=admin)
        assert response.status_code == 200, (lat, lon, response.text)
        got = client.get("/v1/units/U1", headers=admin).json()["location"]
        assert (got["lat"], got["lon"]) == (lat, lon)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"location": {"lat": 91, "lon": 76.9}}, "location.lat"),
        ({"location": {"lat": -90.000001, "lon": 76.9}}, "location.lat"),
        ({"location": {"lat": 43.2, "lon": 180.5}}, "location.lon"),
        ({"location": {"lat": 43.2}}, "location.lon"),  # half a location
        ({"location": {"lon": 76.9}}, "location.lat"),
        ({"location": {}}, "location.lat"),
        ({"location": {"lat": "NaN", "lon": 76.9}}, "location.lat"),
        ({"location": {"lat": "43.2", "lon": 76.9}}, "location.lat"),  # a string is not a number
        ({"location": {"lat": True, "lon": 76.9}}, "location.lat"),
        ({"location": {"lat": 43.2, "lon": 76.9, "accuracy_m": 5}}, "location.accuracy_m"),
        ({"location": [43.2, 76.9]}, "location"),
        ({"lat": 43.2, "lon": 76.9}, "lat"),  # the flat columns are the CSV file's, not the API's
        (PLACE | {"geofence_m": 9}, "geofence_m"),
        (PLACE | {"geofence_m": 100_001}, "geofence_m"),
        (PLACE | {"geofence_m": 150.5}, "geofence_m"),
        (PLACE | {"geofence_m": 150.0}, "geofence_m"),  # metres are whole
        (PLACE | {"geofence_m": "150"}, "geofence_m"),
    ],
)
def test_hostile_locations_are_400_with_the_field_path(client, admin, settings, body, path):
    response = client.put("/v1/units/U1", json=UNIT | body, headers=admin)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_request"
    assert [e["path"] for e in response.json()["errors"]] == [path]
    assert _count(settings, "units") == 0


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e309", b"-1e309"])
def test_numbers_json_cannot_hold_are_refused(client, admin, settings, number):
    body = b'{"kind": "branch", "name": "x", "region": "y", "location": {"lat": %s, "lon": 76.9}}' % number
    response = client.put("/v1/units/U1", content=body, headers=admin | {"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert _count(settings, "units") == 0


def test_a_geofence_without_a_location_is_refused_with_its_code(client, admin, settings):
    response = client.put("/v1/units/U1", json=UNIT | {"geofence_m": 150}, headers=admin)
    assert response.status_code == 400
    assert response.json()["code"] == "geofence_without_location"
    assert response.json()["errors"] == [
        {"path": "geofence_m", "message": "a geofence needs the unit's location (lat and lon)"}
    ]
    assert _count(settings, "units") == 0


def test_a_missing_required_field_names_itself(client, admin):
    response = client.put("/v1/units/U1", json={"name": "x", "region": "y"}, headers=admin)
    assert response.status_code == 400 and [e["path"] for e in response.json()["errors"]] == ["kind"]


def test_the_push_checks_read_the_units_place(client, admin, settings):
    """`server.store.sync.lookups` hands the push's checks each unit's place and geofence."""
    from server.store.sync import lookups

    client.put("/v1/units/U1", json=UNIT | PLACE, headers=admin)
    client.put("/v1/units/U2", json=UNIT | {"kind": "contact_centre"}, headers=admin)
    with open_store(settings) as db:
        if not settings.database_url:
            db.row_factory = sqlite3.Row
        units = lookups(db, [], [], ["U1", "U2", "U3"], []).units
    assert set(units) == {"U1", "U2"}
    assert (units["U1"].lat, units["U1"].lon, units["U1"].geofence_m) == (43.23935, 76.90842, 150)
    assert (units["U2"].kind, units["U2"].lat, units["U2"].lon, units["U2"].geofence_m) == (
        "contact_centre",
        None,
        None,
        None,
    )


PLACES_CSV = (
    "unit_id;kind;name;region;lat;lon;geofence_m\n"
    "ALM-1;branch;ПСС Алматы;Алматы;43,23935;76,90842;150\n"  # a spreadsheet's decimal comma
    'AST-1;branch;ПСС Астана;Астана;"51.12805\n";" 71.43027 ";\n'  # a line break and spaces at a cell's ends
    "CC-1;contact_centre;КЦ;Алматы;;;\n"
)


def test_csv_import_reads_locations(client, admin):
    response = client.post("/v1/admin/import/units", content=PLACES_CSV.encode(), headers=admin)
    assert response.status_code == 200, response.text
    units = {u["unit_id"]: u for u in client.get("/v1/units", headers=admin).json()["items"]}
    assert (units["ALM-1"]["location"], units["ALM-1"]["geofence_m"]) == ({"lat": 43.23935, "lon": 76.90842}, 150)
    assert (units["AST-1"]["location"], units["AST-1"]["geofence_m"]) == ({"lat": 51.12805, "lon": 71.43027}, None)
    assert (units["CC-1"]["location"], units["CC-1"]["geofence_m"]) == (None, None)


def test_csv_import_refuses_bad_locations_by_line_and_column(client, admin, settings):
    data = (
        "unit_id,kind,name,region,lat,lon,geofence_m\n"
        "U1,branch,Один,Алматы,43.2,76.9,150\n"
        "U2,branch,Два,Алматы,91,76.9,\n"  # line 3: out of range
        "U3,branch,Три,Алматы,NaN,76.9,\n"  # line 4
        "U4,branch,Четыре,Алматы,1e309,inf,\n"  # line 5: both
        "U5,branch,Пять,Алматы,43.2,,\n"  # line 6: half a location
        "U6,branch,Шесть,Алматы,,76.9,\n"  # line 7: the other half
        "U7,branch,Семь,Алматы,,,150\n"  # line 8: a geofence alone
        "U8,branch,Восемь,Алматы,43.2,76.9,150.5\n"  # line 9
        'U9,branch,Девять,Алматы,"43.2\n1",76.9,\n'  # lines 10-11: a line break inside the number
        'U10,branch,Десять,Алматы,"=HYPERLINK(""http://x"")",76.9,\n'  # line 12: a text
        "U11,branch,Одиннадцать,Алматы,сорок три,76.9,\n"  # line 13
        "U12,branch,Двенадцать,Алматы,43.2,76.9,5\n"  # line 14: below 10 m
        "U13,branch,Тринадцать,Алматы,٤٣,76.9,\n"  # line 15: not ASCII digits
    )
    response = client.post("/v1/admin/import/units", content=data.encode(), headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "invalid_csv"
    errors = [(e["path"], e["message"]) for e in response.json()["errors"]]
    assert [path for path, _ in errors] == [
        "line 3.lat",
        "line 4.lat",
        "line 5.lat",
        "line 5.lon",
        "line 6.lon",
        "line 7.lat",
        "line 8.geofence_m",
        "line 9.geofence_m",
        "line 11.lat",  # a record is named by the line it ends on
        "line 12.lat",
        "line 13.lat",
        "line 14.geofence_m",
        "line 15.lat",
    ]
    messages = dict(errors)
    assert messages["line 3.lat"] == "Expected `float` <= 90.0"
    assert messages["line 4.lat"] == "not a number of degrees (like 43.2389): 'NaN'"
    assert messages["line 6.lon"] == "required when lat is given"
    assert messages["line 8.geofence_m"] == "a geofence needs the unit's location (lat and lon)"
    assert messages["line 9.geofence_m"] == "not a whole number of metres (like 150): '150.5'"
    assert messages["line 12.lat"].startswith("not a number of degrees")
    assert _count(settings, "units") == 0


# --- calibration: `calibration_of` on assignments ---------------------------------------------------------

SECOND_CHECKLIST = EXAMPLE_CHECKLIST.read_text().replace('id = "example"', 'id = "example2"', 1)
ASSIGNMENT = {
    "auditor": "aigerim",
    "unit_id": "U1",
    "checklist_id": "example",
    "due_from": "2026-10-01",
    "due_to": "2026-10-31",
}


@pytest.fixture
def pairing(client, admin, users, example_checklist) -> dict[str, str]:
    """Two branches, two auditors (aigerim, daulet), two branch checklists, and the assignment A-1 to calibrate."""
    response = client.post(
        "/v1/checklists", content=SECOND_CHECKLIST.encode(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/units/U2", json=UNIT, headers=admin)
    assert client.put("/v1/assignments/A-1", json=ASSIGNMENT, headers=admin).status_code == 200
    return admin


def test_a_calibration_assignment_is_stored_read_and_pulled(client, pairing, users, settings):
    admin = pairing
    second = ASSIGNMENT | {
        "auditor": "daulet",
        "calibration_of": "A-1",
        "due_from": "2026-11-01",
        "due_to": "2026-11-30",
    }
    response = client.put("/v1/assignments/A-2", json=second, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["calibration_of"] == "A-1"
    assert client.get("/v1/assignments/A-1", headers=admin).json()["calibration_of"] is None
    listed = client.get("/v1/assignments", headers=users["quality_lead"]).json()["items"]
    assert {a["assignment_id"]: a["calibration_of"] for a in listed} == {"A-1": None, "A-2": "A-1"}
    # The calibrating auditor's tablet gets it by pull, `calibration_of` and all, exactly as GET shows it.
    tablet = Tablet(users["auditor2"])
    changes, _ = tablet.pull_all(client)
    pulled = [c["data"] for c in changes if c["kind"] == "assignment"]
    assert pulled == [client.get("/v1/assignments/A-2", headers=admin).json()]
    with open_store(settings) as db:
        assert db.execute("SELECT calibration_of FROM assignments WHERE assignment_id = 'A-2'").fetchone()[0] == "A-1"
    # And it can be made a first scoring again.
    response = client.put("/v1/assignments/A-2", json=second | {"calibration_of": None}, headers=admin)
    assert response.status_code == 200 and response.json()["calibration_of"] is None


@pytest.mark.parametrize(
    ("key", "changes", "code", "path"),
    [
        ("A-2", {"auditor": "daulet", "calibration_of": "A-9"}, "unknown_assignment", "calibration_of"),
        ("A-1", {"calibration_of": "A-1"}, "calibration_self", "calibration_of"),
        (
            "A-2",
            {"auditor": "daulet", "checklist_id": "example2", "calibration_of": "A-1"},
            "calibration_mismatch",
            "checklist_id",
        ),
        ("A-2", {"auditor": "daulet", "unit_id": "U2", "calibration_of": "A-1"}, "calibration_mismatch", "unit_id"),
        ("A-2", {"calibration_of": "A-1"}, "calibration_same_auditor", "auditor"),
        ("A-2", {"auditor": "daulet", "calibration_of": "bad id!"}, "invalid_request", "calibration_of"),
        ("A-2", {"auditor": "daulet", "calibration_of": ""}, "invalid_request", "calibration_of"),
    ],
)
def test_a_calibration_that_cannot_be_is_400_with_its_code(client, pairing, settings, key, changes, code, path):
    before = store_rows(settings)["assignments"]
    response = client.put(f"/v1/assignments/{key}", json=ASSIGNMENT | changes, headers=pairing)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    assert [e["path"] for e in response.json()["errors"]] == [path]
    assert store_rows(settings)["assignments"] == before


def test_calibrations_do_not_chain_from_either_end(client, pairing, settings):
    admin = pairing
    make_user(client, admin, "marina", "auditor")
    second = ASSIGNMENT | {"auditor": "daulet", "calibration_of": "A-1"}
    assert client.put("/v1/assignments/A-2", json=second, headers=admin).status_code == 200
    # A calibration of a calibration.
    response = client.put(
        "/v1/assignments/A-3", json=ASSIGNMENT | {"auditor": "marina", "calibration_of": "A-2"}, headers=admin
    )
    assert response.status_code == 400 and response.json()["code"] == "calibration_chain"
    assert response.json()["errors"] == [
        {"path": "calibration_of", "message": "'A-2' is itself a calibration of 'A-1': calibrate the original"}
    ]
    # The original made a calibration of another, while A-2 calibrates it.
    client.put("/v1/assignments/A-0", json=ASSIGNMENT | {"auditor": "marina"}, headers=admin)
    response = client.put("/v1/assignments/A-1", json=ASSIGNMENT | {"calibration_of": "A-0"}, headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "calibration_chain"
    assert [e["path"] for e in response.json()["errors"]] == ["calibration_of"]
    # The original changed under its calibration: the same auditor, another checklist.
    response = client.put("/v1/assignments/A-1", json=ASSIGNMENT | {"auditor": "daulet"}, headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "calibration_same_auditor"
    response = client.put("/v1/assignments/A-1", json=ASSIGNMENT | {"checklist_id": "example2"}, headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "calibration_mismatch"
    assert response.json()["errors"] == [
        {"path": "checklist_id", "message": "'A-2' calibrates this assignment with checklist 'example'"}
    ]
    # Changing what does not touch the pairing is fine.
    assert (
        client.put("/v1/assignments/A-1", json=ASSIGNMENT | {"due_to": "2026-10-30"}, headers=admin).status_code == 200
    )


def test_an_unknown_reference_and_a_bad_calibration_are_listed_together(client, pairing):
    body = ASSIGNMENT | {"auditor": "nobody", "calibration_of": "A-9"}
    response = client.put("/v1/assignments/A-2", json=body, headers=pairing)
    assert response.status_code == 422 and response.json()["code"] == "unknown_reference"
    assert sorted(e["path"] for e in response.json()["errors"]) == ["auditor", "calibration_of"]


def test_csv_import_pairs_within_the_file_and_refuses_by_line(client, pairing, settings):
    admin = pairing
    header = "assignment_id,auditor,unit_id,checklist_id,due_from,due_to,calibration_of\n"
    good = (
        header + "B-2,daulet,U2,example,2026-10-01,2026-10-31,B-1\n"  # names a row further down the file
        "B-1,aigerim,U2,example,2026-10-01,2026-10-31,\n"
        "C-1,daulet,U1,example,2026-10-01,2026-10-31,A-1\n"  # names a stored one
    )
    response = client.post("/v1/admin/import/assignments", content=good.encode(), headers=admin)
    assert response.status_code == 200, response.text
    listed = client.get("/v1/assignments", headers=admin).json()["items"]
    assert {a["assignment_id"]: a["calibration_of"] for a in listed} == {
        "A-1": None,
        "B-1": None,
        "B-2": "B-1",
        "C-1": "A-1",
    }
    bad = (
        header + "D-1,daulet,U1,example,2026-10-01,2026-10-31,D-2\n"  # line 2: D-2 is a calibration itself
        "D-2,aigerim,U1,example,2026-10-01,2026-10-31,D-3\n"  # line 3: same auditor as D-3
        "D-3,aigerim,U1,example,2026-10-01,2026-10-31,\n"
        "D-4,daulet,U1,example,2026-10-01,2026-10-31,D-4\n"  # line 5: itself
        "D-5,daulet,U1,example,2026-10-01,2026-10-31,nope\n"  # line 6: unknown
    )
    before = store_rows(settings)["assignments"]
    response = client.post("/v1/admin/import/assignments", content=bad.encode(), headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "unknown_assignment"
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths == [
        "line 2.calibration_of",  # D-2 is itself a calibration
        "line 3.auditor",  # D-3 has the same auditor
        "line 5.calibration_of",
        "line 6.calibration_of",
    ]
    assert store_rows(settings)["assignments"] == before


# --- checklists: `min_duration_s` --------------------------------------------------------------------------


def test_a_checklist_s_least_time_on_site_is_published_and_read(client, admin):
    text = EXAMPLE_CHECKLIST.read_text().replace(
        'unit_kind = "branch"', 'unit_kind = "branch"\nmin_duration_s = 900', 1
    )
    response = client.post(
        "/v1/checklists", content=text.encode(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    got = client.get("/v1/checklists/example/versions/1", headers=admin).json()
    assert got["checklist"]["min_duration_s"] == 900
    for bad in ("0", "86401", "9.5", '"900"'):
        doc = text.replace("version = 1", "version = 2", 1).replace("min_duration_s = 900", f"min_duration_s = {bad}")
        response = client.post(
            "/v1/checklists", content=doc.encode(), headers=admin | {"Content-Type": "application/toml"}
        )
        assert response.status_code == 400, bad
        assert "min_duration_s" in response.text
