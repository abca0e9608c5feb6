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
