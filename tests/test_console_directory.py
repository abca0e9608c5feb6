"""The console's administration of the directory, checklists and policies: who may see them, CSRF, the CSV
import's preview (nothing written until confirmed, and only the previewed file), templates, search, diffs,
publishing with every problem listed, retiring.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
import unicodedata

import pytest

from server.console import directory as console_directory
from server.directory import import_template
from tests.conftest import EXAMPLE_CHECKLIST, make_user
from tests.test_console_review import set_password, sign_in

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
GOOD_UNITS = "unit_id,kind,name,region\nTST-901,branch,Йошкар Әлия,Алматы\nTST-902,contact_centre,Екінші,Астана\n"
BAD_UNITS = "unit_id,kind,name,region\nTST-901,branch,Йошкар Әлия,Алматы\nTST-902,kiosk,Екінші,Астана\n"
PAGES = [
    "/admin/directory/units",
    "/admin/directory/staff",
    "/admin/directory/assignments",
    "/admin/directory/import",
    "/admin/directory/templates/units.csv",
    "/admin/checklists",
    "/admin/checklists/example/1",
    "/admin/checklists/example/diff",
    "/admin/checklists/example/1/retire",
    "/admin/checklists/publish",
    "/admin/policies",
    "/admin/policies/default/1",
    "/admin/policies/default/diff",
    "/admin/policies/publish",
]


@pytest.fixture
def console(client, users, example_checklist, default_policy):
    """An administrator signed in to the console (the `client`), beside the API's users."""
    make_user(client, users["admin"], "boss", "admin")
    set_password(client, users["admin"], "boss")
    sign_in(client, "boss")
    return client


def csrf(client, path: str = "/admin/directory/import") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def api_units(client, admin) -> list[str]:
    return [u["unit_id"] for u in client.get("/v1/units", headers=admin).json()["items"]]


def upload(client, text: str | bytes, entity: str = "units", name: str = "units.csv") -> str:
    """Upload a CSV file through the import form; the preview's address."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    response = client.post(
        "/admin/directory/import",
        data={"csrf_token": csrf(client), "entity": entity},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def problems_on(page: str) -> list[tuple[str, str, str]]:
    """(line, column, code) of each problem the preview lists."""
    return re.findall(r'data-testid="problem" data-line="([^"]*)" data-column="([^"]*)" data-code="([^"]*)"', page)


def confirm(client, preview: str, sha256: str | None = None, token: str | None = None):
    page = client.get(preview).text
    sent = sha256 or re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)
    form = {"sha256": sent, "csrf_token": token if token is not None else csrf(client)}
    return client.post(preview, data=form, follow_redirects=False)


# --- who may see the pages, and CSRF --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["quality_lead", "hr"])
def test_other_office_roles_get_the_403_page_on_every_page(client, users, example_checklist, default_policy, role):
    name = {"quality_lead": "lead", "hr": "hr"}[role]
    set_password(client, users["admin"], name)
    sign_in(client, name)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Алматы" not in response.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    form = {"csrf_token": token.group(1) if token else "", "entity": "units"}
    response = client.post("/admin/directory/import", data=form, files={"file": ("u.csv", GOOD_UNITS.encode())})
    assert response.status_code == 403


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/admin/directory/units?q=x", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/admin/directory/units")


def test_every_page_answers_for_an_admin(console):
    for path in PAGES:
        response = console.get(path)
        assert response.status_code == 200, path
        assert "built-in" not in response.text and "object at 0x" not in response.text, path


def test_writes_without_the_csrf_token_are_refused_and_change_nothing(console, users, settings):
    admin = users["admin"]
    # A real file part: the frame's guard closes the uploads of a refused form (the handler that would
    # have closed them never runs), so no ResourceWarning is left for a later test to trip over.
    files = {"file": ("units.csv", GOOD_UNITS.encode(), "text/csv")}
    refused = console.post("/admin/directory/import", data={"entity": "units"}, files=files)
    assert refused.status_code == 403
    assert not console_directory.pending_dir(settings).exists() or not list(
        console_directory.pending_dir(settings).iterdir()
    )
    preview = upload(console, GOOD_UNITS)
    assert confirm(console, preview, token="").status_code == 403
    assert confirm(console, preview, token="forged").status_code == 403
    assert "TST-901" not in api_units(console, admin)
    assert console.post("/admin/checklists/example/1/retire", data={}).status_code == 403
    assert console.get("/v1/checklists/example/versions/1", headers=admin).json()["retired"] is False
    toml = {"file": ("x.toml", EXAMPLE_CHECKLIST.read_bytes().replace(b"version = 1", b"version = 2"))}
    assert console.post("/admin/checklists/publish", files=toml).status_code == 403
    assert console.get("/v1/checklists/example/versions/2", headers=admin).status_code == 404


# --- the CSV import ----------------------------------------------------------------------------------------


def test_a_file_with_one_bad_row_shows_that_line_and_writes_nothing(console, users):
    admin = users["admin"]
    before = api_units(console, admin)
    preview = upload(console, BAD_UNITS)
    page = console.get(preview)
    assert page.status_code == 200
    assert problems_on(page.text) == [("3", "kind", "bad_choice")]
    assert "значение не из списка допустимых" in page.text  # our words, in Russian
    assert "Invalid enum value" in html.unescape(page.text)  # and the server's
    assert 'data-testid="confirm-form"' not in page.text
    # Even a confirm sent by hand imports nothing from a file with problems.
    sha = hashlib_of(BAD_UNITS)
    answer = console.post(preview, data={"sha256": sha, "csrf_token": csrf(console)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == preview + "?failed=1"
    assert api_units(console, admin) == before


def hashlib_of(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_fixed_file_previews_new_and_changed_rows_then_imports(console, users):
    admin = users["admin"]
    console.put("/v1/units/TST-902", json=UNIT, headers=admin)
    preview = upload(console, GOOD_UNITS)
    page = console.get(preview).text
    assert problems_on(page) == []
    states = dict(re.findall(r'data-testid="preview-row" data-key="([^"]+)" data-state="([a-z]+)"', page))
    assert states == {"TST-901": "new", "TST-902": "changed"}
    assert "TST-901" not in api_units(console, admin)  # the preview wrote nothing
    answer = confirm(console, preview)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/directory/units?imported=2"
    assert {"TST-901", "TST-902"} <= set(api_units(console, admin))
    assert console.get("/v1/units/TST-902", headers=admin).json()["kind"] == "contact_centre"
    assert "Импортировано строк: 2." in console.get(answer.headers["location"]).text
    assert console.get(preview).status_code == 404  # the upload is gone once imported


def test_a_staff_file_naming_an_unknown_unit_lists_the_line_and_writes_nothing(console, users):
    admin = users["admin"]
    console.put("/v1/units/TST-901", json=UNIT, headers=admin)
    text = "staff_id,name,unit_id\nE901,Нұрланова Әлия,TST-901\nE902,Серікова Дана,TST-999\n"
    page = console.get(upload(console, text, "staff")).text
    assert problems_on(page) == [("3", "unit_id", "no_unit")]
    assert console.get("/v1/staff", headers=admin).json()["items"] == []


def test_the_confirm_imports_only_the_previewed_file(console, users, settings, client):
    admin = users["admin"]
    first = upload(console, GOOD_UNITS)
    other = "unit_id,kind,name,region\nTST-903,branch,Басқа,Алматы\n"
    second = upload(console, other)
    second_sha = hashlib_of(other)
    # The other file's hash on this upload's confirm: refused.
    assert confirm(console, first, sha256=second_sha).status_code == 404
    # The stored bytes changed behind the server's back: their hash no longer matches, refused.
    upload_id = second.rsplit("/", 1)[1]
    stored = console_directory.pending_dir(settings) / f"{upload_id}.csv"
    stored.write_bytes(GOOD_UNITS.encode())
    assert console.post(second, data={"sha256": second_sha, "csrf_token": csrf(console)}).status_code == 404
    # An id that was never given, or a path trick.
    assert (
        console.post(
            "/admin/directory/import/" + "A" * 43, data={"sha256": second_sha, "csrf_token": csrf(console)}
        ).status_code
        == 404
    )
    assert console.get("/admin/directory/import/..%2F..%2Fadmin.token").status_code == 404
    assert not {"TST-901", "TST-903"} & set(api_units(console, admin))
    # Another administrator cannot preview or confirm this one's upload.
    make_user(client, admin, "boss2", "admin")
    set_password(client, admin, "boss2")
    client.cookies.clear()
    sign_in(client, "boss2")
    assert client.get(first).status_code == 404
    assert confirm_as(client, first, hashlib_of(GOOD_UNITS)).status_code == 404
    assert "TST-901" not in api_units(client, admin)


def confirm_as(client, preview: str, sha256: str):
    return client.post(preview, data={"sha256": sha256, "csrf_token": csrf(client)}, follow_redirects=False)


def test_an_upload_expires(tmp_path):
    folder = tmp_path / "pending"
    now = time.time()
    pending = console_directory.Pending(
        entity="units", sha256=hashlib_of(GOOD_UNITS), user="boss", filename="u.csv", size=1, uploaded_at=now
    )
    upload_id = console_directory.keep_upload(folder, pending, GOOD_UNITS.encode(), now)
    assert console_directory.read_upload(folder, upload_id, "boss", now + 60) is not None
    assert console_directory.read_upload(folder, upload_id, "other", now + 60) is None
    late = now + console_directory.PENDING_FOR.total_seconds() + 1
    assert console_directory.read_upload(folder, upload_id, "boss", late) is None
    import os

    os.utime(folder / f"{upload_id}.json", (now - 7200, now - 7200))
    console_directory.sweep_uploads(folder, now)
    assert list(folder.iterdir()) == []


def test_upload_form_errors_are_shown_not_500(console, settings):
    token = csrf(console)
    no_file = console.post("/admin/directory/import", data={"csrf_token": token, "entity": "units"})
    assert no_file.status_code == 400 and 'data-testid="form-error"' in no_file.text
    bad_entity = console.post(
        "/admin/directory/import",
        data={"csrf_token": token, "entity": "people"},
        files={"file": ("u.csv", b"x", "text/csv")},
    )
    assert bad_entity.status_code == 400
    empty = console.post(
        "/admin/directory/import",
        data={"csrf_token": token, "entity": "units"},
        files={"file": ("u.csv", b"", "text/csv")},
    )
    assert empty.status_code == 400
    binary = console.get(upload(console, b"\xff\xfe\x00garbage")).text
    assert problems_on(binary) == [("", "", "not_utf8")]


def test_template_csv_columns_equal_import_template_and_import_as_printed(console, users):
    admin = users["admin"]
    make_user(console, admin, "auditor.aigerim", "auditor")
    console.post(
        "/v1/checklists",
        content=EXAMPLE_CHECKLIST.read_bytes().replace(b'id = "example"', b'id = "branch"'),
        headers=admin | {"Content-Type": "application/toml"},
    )
    for entity in ("units", "staff", "assignments"):
        response = console.get(f"/admin/directory/templates/{entity}.csv")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == [c.name for c in import_template(entity)]
        assert rows[1] == [c.example for c in import_template(entity)]
        imported = console.post(
            f"/v1/admin/import/{entity}", content=response.content, headers=admin | {"Content-Type": "text/csv"}
        )
        assert imported.status_code == 200 and imported.json()["rows"] == 1, imported.text
    assert console.get("/admin/directory/templates/people.csv").status_code == 404
    assert console.get("/admin/directory/templates/units.txt").status_code == 404


# --- the lists -----------------------------------------------------------------------------------------


def rows_on(page: str) -> list[str]:
    return re.findall(r'data-testid="row" data-key="([^"]+)"', page)


def test_search_folds_case_in_cyrillic_and_kazakh_and_takes_nfd(console, users):
    admin = users["admin"]
    console.put("/v1/units/TST-911", json=UNIT | {"name": "Йошкар Әлия"}, headers=admin)
    console.put("/v1/units/TST-912", json=UNIT | {"name": "Ёлка"}, headers=admin)
    console.put("/v1/units/TST-913", json=UNIT | {"name": '=HYPERLINK("http://x")', "region": "Астана"}, headers=admin)
    for query in ("йош", "ЙОШКАР", unicodedata.normalize("NFD", "ЙОШ"), "әлия", "ӘЛИЯ", "tst-911"):
        page = console.get("/admin/directory/units", params={"q": query}).text
        assert rows_on(page) == ["TST-911"], query
    assert rows_on(console.get("/admin/directory/units", params={"q": unicodedata.normalize("NFD", "ёлка")}).text) == [
        "TST-912"
    ]
    page = console.get("/admin/directory/units", params={"region": "Астана"}).text
    assert rows_on(page) == ["TST-913"] and "=HYPERLINK(&#34;http://x&#34;)" in page
    assert rows_on(console.get("/admin/directory/units", params={"q": "нет такого"}).text) == []
    console.put("/v1/staff/E911", json={"name": "Нұрланова Әлия", "unit_id": "TST-911"}, headers=admin)
    console.put("/v1/staff/E912", json={"name": "Серікова Дана", "unit_id": "TST-912"}, headers=admin)
    assert rows_on(console.get("/admin/directory/staff", params={"q": "НҰРЛАН"}).text) == ["E911"]
    assert rows_on(console.get("/admin/directory/staff", params={"unit": "TST-912"}).text) == ["E912"]


def test_paging_and_filters_match_the_api(console, users, monkeypatch):
    admin = users["admin"]
    for n in range(7):
        console.put(
            f"/v1/units/TST-92{n}", json=UNIT | {"kind": "contact_centre" if n % 2 else "branch"}, headers=admin
        )
    monkeypatch.setattr(console_directory, "PAGE_SIZE", 3)
    seen, url = [], "/admin/directory/units?kind=branch"
    while url:
        page = console.get(url).text
        seen += rows_on(page)
        found = re.search(r'href="([^"]+)" rel="next"', page)
        url = html.unescape(found.group(1)) if found else None
    api = console.get("/v1/units", params={"kind": "branch"}, headers=admin).json()["items"]
    assert seen == [u["unit_id"] for u in api] and len(seen) == 4


def test_assignments_filter_by_month_unit_and_auditor(console, users):
    admin = users["admin"]
    console.put("/v1/units/TST-931", json=UNIT, headers=admin)
    make_user(console, admin, "auditor.x", "auditor")
    base = {"auditor": "auditor.x", "unit_id": "TST-931", "checklist_id": "example"}
    october = base | {"due_from": "2026-10-01", "due_to": "2026-10-31"}
    assert console.put("/v1/assignments/A-931", json=october, headers=admin).status_code == 200
    november = base | {"due_from": "2026-11-10", "due_to": "2026-12-05"}
    console.put("/v1/assignments/A-932", json=november, headers=admin)
    assert rows_on(console.get("/admin/directory/assignments?period=2026-12").text) == ["A-932"]
    assert rows_on(console.get("/admin/directory/assignments?period=2026-10&auditor=auditor.x").text) == ["A-931"]
    assert rows_on(console.get("/admin/directory/assignments?q=AUDITOR.X").text) == ["A-931", "A-932"]
    assert rows_on(console.get("/admin/directory/assignments?unit=TST-000").text) == []


HOSTILE = [
    "/admin/directory/units?kind=kiosk&region=" + "x" * 500,
    "/admin/directory/units?after=%00%FF&q=%E2%80%AE",
    "/admin/directory/assignments?period=9999-12",
    "/admin/directory/assignments?period=2026-13&unit=%27%3B--",
    "/admin/directory/staff?unit=" + "Ё" * 300,
    "/admin/directory/import?entity=../../x",
]
UNKNOWN = [
    "/admin/checklists/example/99999999999",
    "/admin/checklists/example/%D9%A3",
    "/admin/checklists/example/0",
    "/admin/checklists/nope/1",
    "/admin/checklists/example/diff?a=1&b=9",
    "/admin/checklists/example/diff?a=x",
    "/admin/checklists/nope/diff",
    "/admin/checklists/" + "x" * 300 + "/1",
    "/admin/policies/default/2",
    "/admin/policies/default/diff?a=1&b=-1",
    "/admin/checklists/example/5/retire",
]


def test_hostile_query_strings_answer_a_page_and_unknown_versions_the_404_page(console):
    for path in HOSTILE:
        assert console.get(path).status_code == 200, path
    for path in UNKNOWN:
        response = console.get(path)
        assert response.status_code == 404 and "<html" in response.text, path


# --- checklists and policies ----------------------------------------------------------------------------

TWO_PROBLEMS = EXAMPLE_CHECKLIST.read_text(encoding="utf-8").replace('unit_kind = "branch"', 'unit_kind = "kiosk"')
TWO_PROBLEMS = TWO_PROBLEMS.replace("version = 1", "version = 2").replace("max = 5", "max = 1")


def publish(client, path: str, name: str, data: bytes):
    return client.post(
        path, data={"csrf_token": csrf(client, path)}, files={"file": (name, data)}, follow_redirects=False
    )


def test_a_checklist_file_with_two_problems_lists_both_and_publishes_nothing(console, users):
    admin = users["admin"]
    before = console.get("/v1/checklists", headers=admin).json()["items"]
    response = publish(console, "/admin/checklists/publish", "bad.toml", TWO_PROBLEMS.encode())
    assert response.status_code == 400
    listed = re.findall(r"<li lang=\"en\"><code>([^<]+)</code></li>", response.text)
    assert len(listed) == 2, listed
    assert any("unit_kind" in line for line in listed) and any("max" in line for line in listed)
    assert "проблем: 2" in response.text
    assert console.get("/v1/checklists", headers=admin).json()["items"] == before


def test_publish_retire_and_the_diff_shows_old_and_new_values(console, users):
    admin = users["admin"]
    v2 = EXAMPLE_CHECKLIST.read_text(encoding="utf-8").replace("version = 1", "version = 2")
    v2 = v2.replace('en = "Greeted?"', 'en = "Said hello?"').replace("pass_at = 4", "pass_at = 5")
    response = publish(console, "/admin/checklists/publish", "example.v2.toml", v2.encode())
    assert response.status_code == 303 and response.headers["location"] == "/admin/checklists/example/2?done=published"
    assert console.get("/v1/checklists/example/versions/2", headers=admin).status_code == 200
    again = publish(console, "/admin/checklists/publish", "example.v2.toml", v2.encode())
    assert again.headers["location"].endswith("done=same")
    clash = publish(console, "/admin/checklists/publish", "x.toml", v2.replace("pass_at = 5", "pass_at = 3").encode())
    assert clash.status_code == 409 and 'data-testid="publish-error"' in clash.text
    page = console.get("/admin/checklists/example/diff?a=1&b=2").text
    changes = re.findall(
        r'data-testid="change" data-id="([^"]+)" data-field="([^"]*)"'
        r'.*?data-testid="old">([^<]*)<.*?data-testid="new">([^<]*)<',
        page,
        re.S,
    )
    assert ("GREET.2", "pass_at", "4", "5") in changes
    assert ("GREET.1", "text", "en: Greeted?", "en: Said hello?") in [
        (a, b, html.unescape(c), html.unescape(d)) for a, b, c, d in changes
    ]
    # Retire v1 behind its confirmation; the API sees it retired.
    assert 'data-testid="retire-form"' in console.get("/admin/checklists/example/1/retire").text
    token = csrf(console, "/admin/checklists/example/1/retire")
    done = console.post("/admin/checklists/example/1/retire", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert console.get("/v1/checklists/example/versions/1", headers=admin).json()["retired"] is True
    listing = console.get("/admin/checklists").text
    assert re.search(r'data-testid="status-example-1">.*?chip-retired', listing)
    assert 'data-testid="already-retired"' in console.get("/admin/checklists/example/1/retire").text


def test_a_version_page_shows_items_in_the_viewers_language(console):
    page = console.get("/admin/checklists/example/1").text
    assert "Поздоровался?" in page and "Greeted?" not in page


def test_policies_publish_list_every_problem_and_diff(console, users):
    from checklists.library import policy_file

    admin = users["admin"]
    text = policy_file().read_text(encoding="utf-8")
    bad = text.replace("version = 1", "version = 2").replace("confidence = 0.95", "confidence = 2")
    bad = bad.replace("amber_at = 75.0", "amber_at = 95.0")
    response = publish(console, "/admin/policies/publish", "bad.toml", bad.encode())
    assert response.status_code == 400
    assert len(re.findall(r"<li lang=\"en\">", response.text)) >= 2
    assert len(console.get("/v1/policies", headers=admin).json()["items"]) == 1
    good = text.replace("version = 1", "version = 2").replace("coefficient = 1.10", "coefficient = 1.15")
    done = publish(console, "/admin/policies/publish", "p.toml", good.encode())
    assert done.status_code == 303 and done.headers["location"] == "/admin/policies/default/2?done=published"
    assert len(console.get("/v1/policies", headers=admin).json()["items"]) == 2
    page = console.get("/admin/policies/default/diff").text
    rows = re.findall(
        r'data-testid="setting" data-name="([^"]+)"( class="how-changed")?>'
        r'.*?data-testid="old">([^<]*)<.*?data-testid="new">([^<]*)<',
        page,
        re.S,
    )
    changed = [(name, html.unescape(old), html.unescape(new)) for name, mark, old, new in rows if mark]
    assert changed == [("bands[0]", "≥ 95 → 1,1", "≥ 95 → 1,15")]
    assert 'data-testid="latest"' in console.get("/admin/policies").text


def test_api_import_answers_as_before(client, admin, settings):
    """The API's import body moved into a shared function: its answers stay the same."""
    ok = client.post(
        "/v1/admin/import/units", content=GOOD_UNITS.encode(), headers=admin | {"Content-Type": "text/csv"}
    )
    assert ok.status_code == 200 and ok.json() == {"entity": "units", "rows": 2}
    bad = client.post(
        "/v1/admin/import/units", content=BAD_UNITS.encode(), headers=admin | {"Content-Type": "text/csv"}
    )
    body = bad.json()
    assert bad.status_code == 400 and body["code"] == "invalid_csv"
    assert body["errors"] == [{"path": "line 3.kind", "message": "Invalid enum value 'kiosk'"}]
    staff = "staff_id,name,unit_id\nE1,Әлия,NOPE\n"
    ref = client.post("/v1/admin/import/staff", content=staff.encode(), headers=admin | {"Content-Type": "text/csv"})
    assert ref.status_code == 422 and json.loads(ref.text)["errors"][0]["path"] == "line 2.unit_id"


def test_every_answer_kind_has_a_name_in_each_language():
    from typing import get_args

    from checklists.model import ItemKind
    from reports import i18n

    for kind in get_args(ItemKind):
        key = f"console.directory.item_kind.{kind}"
        assert key in i18n.text_keys(), f"the checklist page would fail on an item of kind {kind!r}"


# --- where a unit is, calibration, a checklist's least time on site ----------------------------

# The console's own tests run on SQLite; these write through the store, so they run on both stores.
BOTH_STORES = pytest.mark.parametrize("engine", ["sqlite", "postgres"], indirect=True)
PLACE = {"location": {"lat": 43.23935, "lon": 76.90842}, "geofence_m": 150}


def unit_form(client, unit_id: str, **fields: str):
    """Post the unit form of `unit_id` with its current values changed by `fields`."""
    page = client.get(f"/admin/directory/units/{unit_id}").text
    values = {
        name: html.unescape(v)
        for name, v in re.findall(r'<input type="[a-z]+" id="u-[a-z]+" name="([a-z_]+)" value="([^"]*)"', page)
    }
    kind = re.search(r'<option value="([a-z_]+)" selected>', page).group(1)
    form = (
        {"csrf_token": csrf(client, f"/admin/directory/units/{unit_id}"), "kind": kind, "active": "on"}
        | values
        | fields
    )
    return client.post(
        f"/admin/directory/units/{unit_id}",
        data={k: v for k, v in form.items() if v is not None},
        follow_redirects=False,
    )


def field_problems(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="problem-([a-z_]+)" data-code="([a-z_]+)"', page))


@BOTH_STORES
def test_the_unit_page_edits_its_place_and_geofence(console, users):
    admin = users["admin"]
    console.put("/v1/units/TST-901", json=UNIT, headers=admin)
    page = console.get("/admin/directory/units/TST-901")
    assert page.status_code == 200
    for label, field in (("Широта, °", "u-lat"), ("Долгота, °", "u-lon"), ("Геозона, м", "u-geofence")):
        assert f'<label for="{field}">{label}</label>' in page.text
    assert 'type="number" id="u-lat" name="lat" value=""' in page.text
    # A spreadsheet's decimal comma is taken, as the import takes it.
    answer = unit_form(console, "TST-901", lat="43,23935", lon=" 76.90842 ", geofence_m="150")
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/directory/units/TST-901?done=saved"
    got = console.get("/v1/units/TST-901", headers=admin).json()
    assert got | {"updated_at": None} == UNIT | PLACE | {"unit_id": "TST-901", "active": True, "updated_at": None}
    saved = console.get(answer.headers["location"]).text
    assert 'data-testid="done"' in saved and 'value="43.23935"' in saved and 'value="150"' in saved
    listed = console.get("/admin/directory/units").text
    assert "43.23935, 76.90842" in listed and "150 м" in listed
    assert 'href="/admin/directory/units/TST-901"' in listed
    # Unticked and emptied: inactive, and no place at all.
    answer = unit_form(console, "TST-901", lat="", lon="", geofence_m="", active=None, name="Новое имя")
    assert answer.status_code == 303
    got = console.get("/v1/units/TST-901", headers=admin).json()
    assert (got["location"], got["geofence_m"], got["active"], got["name"]) == (None, None, False, "Новое имя")


@BOTH_STORES
@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"lat": "91", "lon": "76.9"}, {"lat": "at_most"}),
        ({"lat": "43.2", "lon": "-180.5"}, {"lon": "at_least"}),
        ({"lat": "43.2", "lon": ""}, {"lon": "coordinate_pair"}),
        ({"lat": "", "lon": "", "geofence_m": "150"}, {"geofence_m": "geofence_alone"}),
        ({"lat": "NaN", "lon": "inf"}, {"lat": "not_degrees", "lon": "not_degrees"}),
        ({"lat": "1e309", "lon": "76.9"}, {"lat": "not_degrees"}),
        ({"lat": "43.2", "lon": "76.9", "geofence_m": "5"}, {"geofence_m": "at_least"}),
        ({"lat": "43.2", "lon": "76.9", "geofence_m": "150.5"}, {"geofence_m": "not_metres"}),
        ({"name": "", "kind": "kiosk"}, {"name": "required_empty", "kind": "bad_choice"}),
    ],
)
def test_the_unit_form_shows_each_problem_by_its_field_and_saves_nothing(console, users, fields, problems):
    admin = users["admin"]
    console.put("/v1/units/TST-901", json=UNIT | PLACE, headers=admin)
    before = console.get("/v1/units/TST-901", headers=admin).json()
    answer = unit_form(console, "TST-901", **fields)
    assert answer.status_code == 400
    assert field_problems(answer.text) == problems
    assert 'data-testid="form-error"' in answer.text and "other" not in field_problems(answer.text).values()
    for name, value in fields.items():
        if name in ("lat", "lon", "geofence_m") and value:
            assert f'name="{name}" value="{html.escape(value)}"' in answer.text, name  # what was typed stays
    assert console.get("/v1/units/TST-901", headers=admin).json() == before


def test_the_unit_page_is_the_administrators_and_needs_the_csrf_token(console, users, client):
    admin = users["admin"]
    console.put("/v1/units/TST-901", json=UNIT, headers=admin)
    refused = console.post(
        "/admin/directory/units/TST-901", data={"kind": "branch", "name": "x", "region": "y", "lat": "1", "lon": "2"}
    )
    assert refused.status_code == 403
    assert console.get("/v1/units/TST-901", headers=admin).json()["location"] is None
    assert console.get("/admin/directory/units/TST-999").status_code == 404
    assert console.get("/admin/directory/units/..%2Fadmin").status_code == 404
    token = csrf(console, "/admin/directory/units/TST-901")
    assert (
        console.post("/admin/directory/units/TST-999", data={"csrf_token": token, "kind": "branch"}).status_code == 404
    )
    client.cookies.clear()
    set_password(client, admin, "lead")
    sign_in(client, "lead")
    assert client.get("/admin/directory/units/TST-901").status_code == 403


def test_the_import_preview_names_location_problems_in_the_viewer_s_language(console):
    text = (
        "unit_id,kind,name,region,lat,lon,geofence_m\n"
        "TST-901,branch,Один,Алматы,43.2,76.9,150\n"
        "TST-902,branch,Два,Алматы,91,76.9,\n"
        "TST-903,branch,Три,Алматы,NaN,76.9,\n"
        "TST-904,branch,Четыре,Алматы,43.2,,\n"
        "TST-905,branch,Пять,Алматы,,,150\n"
        "TST-906,branch,Шесть,Алматы,43.2,76.9,1.5\n"
    )
    page = console.get(upload(console, text)).text
    assert problems_on(page) == [
        ("3", "lat", "at_most"),
        ("4", "lat", "not_degrees"),
        ("5", "lon", "coordinate_pair"),
        ("6", "geofence_m", "geofence_alone"),
        ("7", "geofence_m", "not_metres"),
    ]
    assert "не больше 90" in page and "геозона без координат" in page


@BOTH_STORES
def test_the_import_preview_compares_places_and_calibrations_with_the_stored_rows(console, users):
    admin = users["admin"]
    console.put("/v1/units/TST-901", json=UNIT | PLACE, headers=admin)
    console.put("/v1/units/TST-902", json=UNIT | PLACE, headers=admin)
    text = (
        "unit_id,kind,name,region,active,lat,lon,geofence_m\n"
        f"TST-901,branch,{UNIT['name']},Алматы,true,43.23935,76.90842,150\n"
        f"TST-902,branch,{UNIT['name']},Алматы,true,43.23935,76.90843,150\n"
    )
    page = console.get(upload(console, text.replace(UNIT["name"], '"' + UNIT["name"] + '"'))).text
    states = dict(re.findall(r'data-testid="preview-row" data-key="([^"]+)" data-state="([a-z]+)"', page))
    assert states == {"TST-901": "same", "TST-902": "changed"}
    assert "<code>lat</code>" in page and "<code>geofence_m</code>" in page
    first = {
        "auditor": "aigerim",
        "unit_id": "TST-901",
        "checklist_id": "example",
        "due_from": "2026-10-01",
        "due_to": "2026-10-31",
    }
    console.put("/v1/assignments/A-1", json=first, headers=admin)
    console.put("/v1/assignments/A-2", json=first | {"auditor": "daulet"}, headers=admin)
    clean = (
        "assignment_id,auditor,unit_id,checklist_id,due_from,due_to,calibration_of\n"
        "A-2,daulet,TST-901,example,2026-10-01,2026-10-31,A-1\n"
    )
    page = console.get(upload(console, clean, "assignments")).text
    assert problems_on(page) == []
    assert re.findall(r'data-testid="preview-row" data-key="([^"]+)" data-state="([a-z]+)"', page) == [
        ("A-2", "changed")
    ]
    assert confirm(console, re.search(r'action="(/admin/directory/import/[^"]+)"', page).group(1)).status_code == 303
    listed = console.get("/admin/directory/assignments").text
    assert re.search(r'data-key="A-2">.*?data-testid="calibration-of"><code>A-1</code>', listed, re.S)


@BOTH_STORES
def test_the_import_preview_names_calibration_problems(console, users):
    admin = users["admin"]
    for unit in ("TST-901", "TST-902"):
        console.put(f"/v1/units/{unit}", json=UNIT, headers=admin)
    first = {
        "auditor": "aigerim",
        "unit_id": "TST-901",
        "checklist_id": "example",
        "due_from": "2026-10-01",
        "due_to": "2026-10-31",
    }
    console.put("/v1/assignments/A-1", json=first, headers=admin)
    console.put("/v1/assignments/A-2", json=first | {"auditor": "daulet", "calibration_of": "A-1"}, headers=admin)
    text = (
        "assignment_id,auditor,unit_id,checklist_id,due_from,due_to,calibration_of\n"
        "B-1,daulet,TST-901,example,2026-10-01,2026-10-31,A-9\n"
        "B-2,daulet,TST-901,example,2026-10-01,2026-10-31,B-2\n"
        "B-3,aigerim,TST-901,example,2026-10-01,2026-10-31,A-2\n"
        "B-4,daulet,TST-902,example,2026-10-01,2026-10-31,A-1\n"
        "B-5,aigerim,TST-901,example,2026-10-01,2026-10-31,A-1\n"
    )
    page = console.get(upload(console, text, "assignments")).text
    assert sorted(problems_on(page)) == [
        ("2", "calibration_of", "no_assignment"),
        ("3", "calibration_of", "calibration_self"),
        ("4", "calibration_of", "calibration_chain"),
        ("5", "unit_id", "calibration_unit"),
        ("6", "auditor", "calibration_same_auditor"),
    ]
    assert "нет назначения «A-9»" in html.unescape(page)
    assert 'data-testid="confirm-form"' not in page


def test_every_column_and_problem_of_issue_19_is_said_in_every_language():
    from reports import i18n
    from server.directory import IMPORTS

    for entity in IMPORTS:
        for column in import_template(entity):
            for lang in ("ru", "kk", "en"):
                said = console_directory.takes_text(column.takes, lang)
                assert said != column.takes or lang == "en", (entity, column.name, lang)
    messages = {
        "not a number of degrees (like 43.2389): 'x'": "not_degrees",
        "not a whole number of metres (like 150): 'x'": "not_metres",
        "required when lat is given": "coordinate_pair",
        "a geofence needs the unit's location (lat and lon)": "geofence_alone",
        "Expected `float` <= 90.0": "at_most",
        "Expected `int` >= 10": "at_least",
        "no assignment 'A-9'": "no_assignment",
        "an assignment cannot calibrate itself": "calibration_self",
        "'A-2' is itself a calibration of 'A-1': calibrate the original": "calibration_chain",
        "'A-2' calibrates this assignment, so it cannot be a calibration itself": "calibration_chain_in",
        "'A-2' is for checklist 'x'": "calibration_checklist",
        "'A-2' calibrates this assignment with unit 'U'": "calibration_unit",
        "'A-2' has the same auditor: a calibration is scored by another": "calibration_same_auditor",
    }
    for message, code in messages.items():
        found, fields = console_directory.problem_code(message)
        assert found == code, message
        for lang in ("ru", "kk", "en"):
            assert "{" not in i18n.text(f"console.directory.problem.{code}", lang, **fields), (code, lang)


def test_the_checklist_page_shows_the_least_time_on_site(console, users):
    admin = users["admin"]
    text = EXAMPLE_CHECKLIST.read_text().replace("version = 1", "version = 2", 1)
    text = text.replace('unit_kind = "branch"', 'unit_kind = "branch"\nmin_duration_s = 930', 1)
    response = console.post(
        "/v1/checklists", content=text.encode(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    shown = re.search(r'data-testid="min-duration">([^<]*)<', console.get("/admin/checklists/example/2").text)
    assert shown.group(1) == "15 мин 30 с"
    shown = re.search(r'data-testid="min-duration">([^<]*)<', console.get("/admin/checklists/example/1").text)
    assert shown.group(1) == "не задана"
