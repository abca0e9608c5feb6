"""Text and ids from hostile or unlucky clients: whole-string patterns, one-line names, plain digits.

The hostile values are explicit: a trailing newline on every id kind (msgspec matches patterns
with `re.search`, where `$` also matches before a final `\\n`), "²" and "٣" (which `str.isdigit`
and `int()` take), NFD names, and the invisible characters of names that look alike or reorder
what follows them (U+202E, U+200B, U+2028, U+0085).
"""

from __future__ import annotations

import base64
import hashlib
import json
import tomllib
import unicodedata

import pytest

from checklists.text import ONE_LINE_PATTERN, one_line_problem
from server.wire import ascii_integer
from tests.conftest import EXAMPLE_CHECKLIST

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
# "Қайрат Ёлкин" and "José" change under NFD (й, Ё and é decompose); "Әлия" alone would not.
NFC_NAME = "Қайратқызы Әлия Ёлкина (José)"
NFD_NAME = unicodedata.normalize("NFD", NFC_NAME)
# Each refused character in the middle of a name, with what it is.
HOSTILE = {
    "\u202e": "right-to-left override",
    "\u200b": "zero-width space",
    "\u2028": "line separator",
    "\u0085": "next line (C1)",
    "\u2066": "left-to-right isolate",
    "\u200f": "right-to-left mark",
    "\u061c": "Arabic letter mark",
    "\ufeff": "zero-width no-break space",
    "\u2060": "word joiner",
    "\u009b": "control sequence introducer (C1)",
}
SHA = hashlib.sha256(b"evidence").hexdigest()


@pytest.fixture
def org(client, admin, users, example_checklist):
    """A unit, a staff member, an assignment (to the auditor `aigerim`) and the default policy."""
    assert client.put("/v1/units/ALM-014", json=UNIT, headers=admin).status_code == 200
    staff = {"name": "Нұрланова Әлия", "unit_id": "ALM-014"}
    assert client.put("/v1/staff/E1043", json=staff, headers=admin).status_code == 200
    assignment = {
        "auditor": "aigerim",
        "unit_id": "ALM-014",
        "checklist_id": "example",
        "due_from": "2026-10-01",
        "due_to": "2026-10-31",
    }
    assert client.put("/v1/assignments/A-2026-10-017", json=assignment, headers=admin).status_code == 200
    return {"assignment": assignment, "staff": staff}


def _problem(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def _paths(response, status: int = 400) -> list[str]:
    return [e["path"] for e in _problem(response, status).get("errors") or []]


# --- item 1: patterns match whole strings -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/units/ALM-014%0A",
        "/v1/staff/E1043%0A",
        "/v1/assignments/A-2026-10-017%0A",
        "/v1/checklists/example%0A/versions/1",
        "/v1/policies/default%0A/versions/1",
        f"/v1/blobs/{SHA}%0A",
        f"/v1/blobs/{SHA[:63]}%0A",
        "/v1/submissions/0192a3b4-5c6d-4e8f-9a0b-1c2d3e4f5a6b%0A",
        "/v1/submissions/0192a3b4-5c6d-4e8f-9a0b-1c2d3e4f5a6b%0A/revisions",
        "/v1/scorecards/0192a3b4-5c6d-4e8f-9a0b-1c2d3e4f5a6b%0A",
    ],
)
def test_a_path_id_with_a_trailing_newline_is_not_the_same_object(client, admin, org, default_policy, path):
    assert default_policy["id"] == "default"
    response = client.get(path, headers=admin)
    assert response.status_code in (400, 404), response.text
    _problem(response, response.status_code)
    assert client.get(path.replace("%0A", ""), headers=admin).status_code in (200, 404)


@pytest.mark.parametrize("path", ["/v1/units/NEW-1%0A", "/v1/staff/NEW-1%0A", "/v1/assignments/NEW-1%0A"])
def test_a_put_to_an_id_with_a_trailing_newline_creates_nothing(client, admin, org, path):
    body = {
        "units": UNIT,
        "staff": org["staff"],
        "assignments": org["assignment"],
    }[path.split("/")[2]]
    response = client.put(path, json=body, headers=admin)
    assert response.status_code in (400, 404), response.text
    assert client.get(path.replace("%0A", ""), headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/v1/staff/E2", {"name": "Әлия", "unit_id": "ALM-014\n"}, "unit_id"),
        ("/v1/assignments/A-2", {"auditor": "aigerim\n"}, "auditor"),
        ("/v1/assignments/A-2", {"unit_id": "ALM-014\n"}, "unit_id"),
        ("/v1/assignments/A-2", {"checklist_id": "example\n"}, "checklist_id"),
    ],
)
def test_an_id_in_a_body_with_a_trailing_newline_is_400_with_its_path(client, admin, org, url, body, field):
    full = (org["assignment"] if "assignments" in url else {}) | body
    response = client.put(url, json=full, headers=admin)
    assert _paths(response) == [field]
    assert _problem(response)["code"] == "invalid_request"


def test_a_user_name_with_a_trailing_newline_is_400_and_its_path_404(client, admin, users):
    assert _paths(client.post("/v1/users", json={"name": "bob\n", "role": "hr"}, headers=admin)) == ["name"]
    assert client.post("/v1/users/aigerim%0A/tokens", headers=admin).status_code == 404
    assert client.delete("/v1/users/aigerim%0A/tokens", headers=admin).status_code == 404
    (prefix,) = next(u for u in client.get("/v1/users", headers=admin).json()["items"] if u["name"] == "aigerim")[
        "token_prefixes"
    ]
    assert client.delete(f"/v1/users/aigerim/tokens/{prefix}%0A", headers=admin).status_code == 404
    assert client.get("/v1/sync/pull", headers=users["auditor"]).status_code == 200, "the token still works"
    assert client.delete("/v1/devices/00000000-0000-4000-8000-000000000000%0A", headers=admin).status_code == 404


def test_a_checklist_or_policy_id_with_a_trailing_newline_is_refused_when_published(client, admin):
    document = tomllib.loads(EXAMPLE_CHECKLIST.read_text(encoding="utf-8"))
    response = client.post("/v1/checklists", json=document | {"id": "example\n"}, headers=admin)
    assert "id" in _paths(response)
    document["standards"][0]["code"] = "GREET\n"
    document["standards"][0]["items"][0]["id"] = "GREET.1\n"
    response = client.post("/v1/checklists", json=document, headers=admin)
    assert {"standards[0].code", "standards[0].items[0].id"} <= set(_paths(response))
    from checklists.library import policy_file

    policy = tomllib.loads(policy_file().read_text(encoding="utf-8"))
    response = client.post("/v1/policies", json=policy | {"id": "default\n"}, headers=admin)
    assert "id" in _paths(response)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/periods/2026-10%0A/snapshot",
        "/v1/periods/2026-10%0A/adjustments",
        "/v1/motivation?period=2026-10%0A",
        "/v1/scores/units?period=2026-10%0A",
        "/v1/scores/staff?period=2026-10%0A",
        "/v1/submissions?period=2026-10%0A",
        "/v1/submissions?period=%D9%A2%D9%A0%D9%A2%D9%A6-10",  # ٢٠٢٦-10: Arabic-Indic digits match `\d`
        "/v1/scorecards?period=2026-10%0A",
        "/v1/submissions?status=received%0A",
        "/v1/submissions?status=all%0A",
    ],
)
def test_a_period_or_status_with_a_trailing_newline_or_other_digits_is_400(client, admin, url):
    _problem(client.get(url, headers=admin))


def test_a_period_in_a_body_with_a_trailing_newline_is_400(client, admin, org):
    body = {"scope": "unit", "unit_id": "ALM-014", "period": "2026-10\n", "lang": "ru"}
    assert "period" in _paths(client.post("/v1/scorecards", json=body, headers=admin))


def test_hashes_and_upload_ids_with_a_trailing_newline(client, users):
    auditor = users["auditor"]
    response = client.post("/v1/blobs/missing", json={"sha256": [SHA, SHA + "\n"]}, headers=auditor)
    assert _paths(response) == ["sha256[1]"]
    tus = {"Tus-Resumable": "1.0.0"}

    def metadata(sha256: str) -> str:
        encoded = base64.b64encode(sha256.encode()).decode()
        return f"sha256 {encoded},content_type {base64.b64encode(b'image/jpeg').decode()}"

    created = client.post(
        "/v1/uploads", headers=auditor | tus | {"Upload-Length": "8", "Upload-Metadata": metadata(SHA)}
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert client.head(location, headers=auditor | tus).status_code == 200
    for hostile in (location + "%0A", location + "%0a"):
        assert client.head(hostile, headers=auditor | tus).status_code == 404
        patched = client.patch(
            hostile,
            headers=auditor | tus | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
            content=b"evidence",
        )
        assert patched.status_code == 404
    assert client.head(location, headers=auditor | tus).headers["upload-offset"] == "0", "the upload is untouched"
    # Metadata values are trimmed (`echo $sha | base64` adds a newline), so only what is left must be a hash.
    for hostile in (SHA[:63] + "\n", SHA + "\nff", SHA.replace("0", "٠")):
        response = client.post(
            "/v1/uploads", headers=auditor | tus | {"Upload-Length": "8", "Upload-Metadata": metadata(hostile)}
        )
        assert _problem(response)["code"] == "invalid_metadata"


def test_every_pattern_in_the_openapi_document_refuses_a_trailing_newline(client):
    """Every `pattern` the server publishes ends `$(?!\\n)` (the house convention), read as msgspec reads it."""
    import re

    document = client.get("/schema/openapi.json").json()
    patterns: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert len(patterns) >= 8
    for pattern in patterns:
        assert pattern.endswith("$(?!\\n)"), pattern
        compiled = re.compile(pattern)
        # The shortest string each pattern takes, found by trying the kinds of id it describes.
        for sample in ("ALM-014", "aigerim", "2026-10", "received", "all", "0" * 64, "Алматы", "12"):
            if compiled.search(sample):
                assert not compiled.search(sample + "\n"), pattern


# --- item 2: names are one line of text, stored NFC ---------------------------------------------------


def test_an_nfd_name_is_stored_nfc_and_reads_back_equal(client, admin):
    assert NFD_NAME != NFC_NAME
    response = client.put("/v1/units/U1", json=UNIT | {"name": NFD_NAME, "region": NFD_NAME}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == NFC_NAME and response.json()["region"] == NFC_NAME
    assert client.get("/v1/units/U1", headers=admin).json()["name"] == NFC_NAME
    staff = {"name": NFD_NAME, "unit_id": "U1", "position": NFD_NAME}
    response = client.put("/v1/staff/E1", json=staff, headers=admin)
    assert response.json()["name"] == NFC_NAME and response.json()["position"] == NFC_NAME
    assert [
        u["unit_id"] for u in client.get("/v1/units", params={"region": NFC_NAME}, headers=admin).json()["items"]
    ] == ["U1"]


def test_invisible_and_control_characters_in_a_name_are_400_with_the_path(client, admin):
    assert client.put("/v1/units/U0", json=UNIT, headers=admin).status_code == 200
    for char, what in HOSTILE.items():
        bad = f"Абая{char}109"
        for field in ("name", "region"):
            response = client.put("/v1/units/U1", json=UNIT | {field: bad}, headers=admin)
            assert _paths(response) == [field], what
            assert f"U+{ord(char):04X}" in _problem(response)["errors"][0]["message"]
        for field in ("name", "position"):
            body = {"name": "Әлия", "unit_id": "U0"} | {field: bad}
            assert _paths(client.put("/v1/staff/E1", json=body, headers=admin)) == [field], what
    assert client.get("/v1/units/U1", headers=admin).status_code == 404
    assert client.get("/v1/staff/E1", headers=admin).status_code == 404


def test_a_name_with_a_trailing_or_only_a_line_break_is_400(client, admin):
    for name in ["Абая 109\n", "Абая 109\r\n", "\n", "Абая\u2029", "\u200b", ""]:
        assert _paths(client.put("/v1/units/U1", json=UNIT | {"name": name}, headers=admin)) == ["name"], name


def test_csv_import_normalises_names_and_lists_every_bad_row_with_its_column(client, admin):
    data = (
        "unit_id,kind,name,region\n"
        f"U1,branch,{NFD_NAME},Алматы\n"
        "U2,branch,Абая\u202e901,Алматы\n"  # line 3: U+202E in name
        "U3,branch,Два,Ал\u200bматы\n"  # line 4: U+200B in region
        "U4,branch,Три\u2028Четыре,Алматы\n"  # line 5: U+2028 in name
        "U5,branch,Пять\u0085,Ала\u202dматы\n"  # line 6: U+0085 (a trailing NEL) and U+202D
        "U6,branch,Шесть,Алматы\n"
    ).encode()
    response = client.post("/v1/admin/import/units", content=data, headers=admin)
    assert _problem(response)["code"] == "invalid_csv"
    errors = response.json()["errors"]
    assert [e["path"] for e in errors if e["path"] != "line 6.name"] == [
        "line 3.name",
        "line 4.region",
        "line 5.name",
        "line 6.region",
    ]
    assert "U+202E" in errors[0]["message"] and "bidirectional" in errors[0]["message"]
    assert client.get("/v1/units/U1", headers=admin).status_code == 404, "all rows or none"
    good = "unit_id;kind;name;region\n" + f"U1;branch;{NFD_NAME};{NFD_NAME}\n"
    response = client.post("/v1/admin/import/units", content=good.encode("utf-8-sig"), headers=admin)
    assert response.status_code == 200, response.text
    unit = client.get("/v1/units/U1", headers=admin).json()
    assert unit["name"] == NFC_NAME and unit["region"] == NFC_NAME
    staff = f"staff_id,name,unit_id,position\nE1,{NFD_NAME},U1,\nE2,Әлия,U1,кон\u2066сультант\nE3\n,x,U1,\n"
    response = client.post("/v1/admin/import/staff", content=staff.encode(), headers=admin)
    assert [e["path"] for e in _problem(response)["errors"]][:1] == ["line 3.position"]


def test_csv_import_of_an_id_cell_with_a_newline_inside_quotes_is_refused(client, admin):
    data = b'unit_id,kind,name,region\n"U1\nX",branch,One,Almaty\n"U2",branch,"Two\nlines",Almaty\n'
    response = client.post("/v1/admin/import/units", content=data, headers=admin)
    # A record is named by the line it ends on, as every CSV error of the import is.
    assert _paths(response) == ["line 3.key", "line 5.name"]


def test_checklist_titles_are_one_line_and_stored_nfc(client, admin):
    document = tomllib.loads(EXAMPLE_CHECKLIST.read_text(encoding="utf-8"))
    hostile = json.loads(json.dumps(document))
    hostile["title"]["en"] = "Exam\u202eple"
    hostile["standards"][1]["title"]["kk"] = "Кезек\u2028"
    response = client.post("/v1/checklists", json=hostile, headers=admin)
    errors = {e["path"]: e["message"] for e in _problem(response)["errors"]}
    assert set(errors) == {"title.en", "standards[1].title.kk"}
    assert "U+202E" in errors["title.en"] and "U+2028" in errors["standards[1].title.kk"]
    nfd = json.loads(json.dumps(document))
    nfd["title"]["ru"] = NFD_NAME
    first = client.post("/v1/checklists", json=nfd, headers=admin)
    assert first.status_code == 201, first.text
    nfc = json.loads(json.dumps(document))
    nfc["title"]["ru"] = NFC_NAME
    again = client.post("/v1/checklists", json=nfc, headers=admin)
    assert again.status_code == 200 and again.json() == first.json(), "NFD and NFC are the same checklist"
    got = client.get("/v1/checklists/example/versions/1", headers=admin).json()
    assert got["checklist"]["title"]["ru"] == NFC_NAME


def test_the_one_line_rule_in_words():
    assert one_line_problem("Алматы, Абая 109") is None
    assert one_line_problem("x\n") == "U+000A (a control character) at character 2 is not allowed in one line of text"
    assert one_line_problem("a\u202eb").startswith("U+202E (a bidirectional control)")
    assert one_line_problem("") == "must not be empty"
    assert ONE_LINE_PATTERN.endswith("$(?!\\n)")


# --- item 3: query integers and cursors are ASCII digits --------------------------------------------

HOSTILE_INTEGERS = ["1e3", "10.0", "٣", "²", "+5", " 5", "5 ", "5\n", "1_0", "0x10", "-1", "١٠"]


def test_a_query_limit_not_in_ascii_digits_is_400_with_its_path(client, admin, users):
    lists = ["/v1/units", "/v1/staff", "/v1/assignments", "/v1/users", "/v1/checklists", "/v1/admin/quarantine"]
    lists += ["/v1/submissions", "/v1/scorecards"]
    for url in lists:
        for value in HOSTILE_INTEGERS:
            response = client.get(url, params={"limit": value}, headers=admin)
            assert _paths(response) == ["query.limit"], (url, value)
            assert response.json()["code"] == "invalid_request"
    for value in HOSTILE_INTEGERS:
        response = client.get("/v1/sync/pull", params={"limit": value}, headers=users["auditor"])
        assert _paths(response) == ["query.limit"], value


def test_plain_digits_still_work(client, admin, users, org):
    assert client.get("/v1/units", params={"limit": "1"}, headers=admin).json()["next_cursor"] == "ALM-014"
    assert client.get("/v1/sync/pull", params={"limit": "5"}, headers=users["auditor"]).status_code == 200
    assert client.get("/v1/checklists/example/versions/1", headers=admin).status_code == 200


def test_a_version_in_a_path_not_in_ascii_digits_is_400(client, admin, example_checklist, default_policy):
    routes = [
        ("GET", "/v1/checklists/example/versions/{}"),
        ("POST", "/v1/checklists/example/versions/{}/retire"),
        ("GET", "/v1/policies/default/versions/{}"),
    ]
    for method, template in routes:
        for version in ["²", "٣", "1e0", "1.0", "+1", "%201", "1%0A", "1_0", "01"]:
            response = client.request(method, template.format(version), headers=admin)
            assert _paths(response) == ["path.version"], (template, version)
    assert client.get("/v1/checklists/example/versions/1", headers=admin).json()["retired"] is False
    assert client.get("/v1/checklists/example/versions/1000001", headers=admin).status_code == 400


def test_a_pull_cursor_with_other_digits_is_410_never_500(client, users, org):
    auditor = users["auditor"]
    first = client.get("/v1/sync/pull", headers=auditor)
    assert first.status_code == 200, first.text
    cursor = first.json()["cursor"]
    database, _, seq = cursor.partition(".")
    assert ascii_integer(seq) is not None
    arabic = "".join(chr(0x0660 + int(d)) for d in seq)
    for hostile in (cursor + "²", f"{database}.²", f"{database}.{arabic}", f"{database}. {seq}", f"{database}.+{seq}"):
        response = client.get("/v1/sync/pull", params={"cursor": hostile}, headers=auditor)
        assert _problem(response, 410)["code"] == "cursor_expired", hostile
    assert client.get("/v1/sync/pull", params={"cursor": cursor}, headers=auditor).status_code == 200


def test_a_list_cursor_with_other_digits_never_answers_500(client, admin, example_checklist):
    for url in ["/v1/admin/quarantine", "/v1/checklists", "/v1/units", "/v1/users", "/v1/submissions"]:
        for cursor in ["1²", "²", "٣", "example@1²", "example@٣", "example@", "1\n"]:
            response = client.get(url, params={"cursor": cursor}, headers=admin)
            assert response.status_code == 200, (url, cursor, response.text)


def test_ascii_integer_takes_plain_digits_only():
    assert [ascii_integer(v) for v in ("0", "7", "42", "000000000000000001")] == [0, 7, 42, 1]
    for value in ["", "²", "٣", "1²", " 1", "1 ", "+1", "-1", "1_0", "1e3", "10.0", "1\n", "1" * 19, "٠"]:
        assert ascii_integer(value) is None, value
