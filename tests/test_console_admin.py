"""The console's administration pages: users (create, role, password, tokens, devices), one's own
password, the audit log and the system page; who may see them, CSRF, bad input, and the API's view
of every change (a token made here works there, a token revoked here gets 401 there)."""

from __future__ import annotations

import html
import re
import sqlite3
import uuid
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

from server.console.admin import ONCE_COOKIE
from server.console.web import SESSION_COOKIE
from server.settings import Settings
from tests.conftest import make_user, open_store

PASSWORD = "очень-длинный-пароль-42"
NEW_PASSWORD = "новый пароль для консоли 7"

# Every administration page and act; quality leads and HR get the 403 page for each.
ADMIN_GETS = (
    "/admin",
    "/admin/users",
    "/admin/users/saule",
    "/admin/audit",
    "/admin/system",
    "/admin/system/backups/x.sqlite3",
)
ADMIN_POSTS = (
    "/admin/users",
    "/admin/users/saule/role",
    "/admin/users/saule/units",
    "/admin/users/saule/password",
    "/admin/users/saule/tokens",
    "/admin/users/saule/tokens/revoke",
    "/admin/users/saule/tokens/abc/revoke",
    f"/admin/devices/{uuid.uuid4()}/revoke",
    "/admin/system/backup",
    "/admin/system/rebuild",
)


# --- helpers -----------------------------------------------------------------------------------------


def _rows(settings: Settings, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    with open_store(settings) as conn:
        if isinstance(conn, sqlite3.Connection):
            conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


def _with_password(client: TestClient, admin: dict, name: str, role: str) -> dict:
    headers = make_user(client, admin, name, role)
    assert client.put(f"/v1/users/{name}/password", json={"password": PASSWORD}, headers=admin).status_code == 204
    return headers


def _sign_in(client: TestClient, name: str, password: str = PASSWORD) -> object:
    client.cookies.clear()
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token}, follow_redirects=False
    )


def _signed_in(client: TestClient) -> bool:
    response = client.get("/account", follow_redirects=False)
    return response.status_code == 200


def _csrf(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text).group(1)


def _post(client: TestClient, path: str, **data: str) -> object:
    return client.post(path, data={"csrf_token": _csrf(client), **data}, follow_redirects=False)


def _follow(client: TestClient, response: object) -> str:
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"]).text


def _once(page: str, kind: str) -> str | None:
    match = re.search(rf'data-testid="once-{kind}">([^<]+)<', page)
    return html.unescape(match.group(1)) if match else None


def _audit(settings: Settings, action: str, actor: str | None = None) -> list[sqlite3.Row]:
    """The entries of `action` (by `actor` when given: the fixtures' API calls are audited too), oldest first."""
    rows = _rows(settings, "SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))
    return [r for r in rows if actor is None or r["actor"] == actor]


@pytest.fixture
def boss(client, admin) -> dict:
    """An administrator with a console password, signed in."""
    headers = _with_password(client, admin, "boss", "admin")
    assert _sign_in(client, "boss").status_code == 303
    return headers


@pytest.fixture
def saule(client, admin) -> dict:
    """A quality lead with a console password (not signed in)."""
    return _with_password(client, admin, "saule", "quality_lead")


# --- who may see what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["quality_lead", "hr"])
def test_only_admins_reach_the_administration(client, admin, saule, role):
    _with_password(client, admin, "other.user", role)
    assert _sign_in(client, "other.user").status_code == 303
    for path in ADMIN_GETS:
        assert client.get(path).status_code == 403, path
    csrf = _csrf(client)
    for path in ADMIN_POSTS:
        assert client.post(path, data={"csrf_token": csrf}).status_code == 403, path
    # Their own account is theirs.
    assert client.get("/account").status_code == 200
    assert client.get("/account/password").status_code == 200


def test_not_signed_in_goes_to_the_login(client):
    for path in (*ADMIN_GETS, "/account/password"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path


def test_a_post_without_the_csrf_token_changes_nothing(client, admin, settings, boss, saule):
    refused = client.post("/admin/users", data={"name": "mallory", "role": "admin"}, follow_redirects=False)
    assert refused.status_code == 403
    wrong = client.post("/admin/users", data={"name": "mallory", "role": "admin", "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert client.post("/admin/users/saule/tokens/revoke", data={}).status_code == 403
    assert not _rows(settings, "SELECT 1 FROM users WHERE name = 'mallory'")
    assert _rows(settings, "SELECT count(*) AS n FROM tokens WHERE user_name = 'saule' AND revoked_at IS NULL")[0]["n"]


# --- users -----------------------------------------------------------------------------------------


def test_create_a_user_whose_token_works_on_the_api_and_is_shown_once(client, admin, settings, boss):
    created = _post(client, "/admin/users", name="aliya.k", role="quality_lead")
    assert created.headers["location"] == "/admin/users/aliya.k?done=created"
    cookie = next(c for c in created.headers.get_list("set-cookie") if c.startswith(ONCE_COOKIE))
    assert "HttpOnly" in cookie and "Path=/admin/users" in cookie
    page = client.get(created.headers["location"]).text
    token = _once(page, "token")
    assert token and token.startswith("tks_")
    assert token not in created.headers["location"]
    # The API takes it, as that user.
    answer = client.get("/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    users = {u["name"]: u for u in client.get("/v1/users", headers=admin).json()["items"]}
    assert users["aliya.k"]["role"] == "quality_lead"
    # Never again.
    assert _once(client.get("/admin/users/aliya.k").text, "token") is None
    assert token not in client.get("/admin/users/aliya.k").text
    (entry,) = _audit(settings, "user.create", "boss")
    assert entry["object_id"] == "aliya.k"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ('=HYPERLINK("http://x")', "bad_name"),
        ("Әлия", "bad_name"),
        ("e\u0301lia", "bad_name"),
        ("_local_admin", "bad_name"),
        ("a" * 65, "bad_name"),
        ("", "bad_name"),
        ("has space", "bad_name"),
    ],
)
def test_bad_names_are_refused_with_a_message(client, settings, boss, name, error):
    response = _post(client, "/admin/users", name=name, role="hr")
    page = _follow(client, response)
    assert 'data-testid="create-error"' in page and "error=" + error in response.headers["location"]
    assert len(_rows(settings, "SELECT 1 FROM users WHERE role = 'hr'")) == 0


def test_a_taken_name_and_an_unknown_role_are_refused(client, settings, boss, saule):
    assert "error=user_exists" in _post(client, "/admin/users", name="saule", role="hr").headers["location"]
    assert "error=bad_role" in _post(client, "/admin/users", name="newbie", role="root").headers["location"]
    # A unit manager needs units (the API's rule); with none, the form says so and keeps what was typed.
    response = _post(client, "/admin/users", name="newbie", role="unit_manager")
    assert "error=units_required" in response.headers["location"]
    page = _follow(client, response)
    assert 'data-testid="create-error"' in page and 'value="newbie"' in page
    assert _rows(settings, "SELECT role FROM users WHERE name = 'saule'")[0]["role"] == "quality_lead"
    assert not _rows(settings, "SELECT 1 FROM users WHERE name = 'newbie'")


UNITS = {"kind": "branch", "region": "Алматы"}


def test_a_unit_manager_is_created_with_units_and_its_units_are_edited(client, admin, settings, boss):
    for unit_id in ("ALM-014", "ALM-015"):
        client.put(f"/v1/units/{unit_id}", json=UNITS | {"name": f"ПСС {unit_id}"}, headers=admin)
    refusals = [
        ({"role": "unit_manager", "units": "ALM-014, ALM-999"}, "unknown_unit"),
        ({"role": "unit_manager", "units": "ALM-014\n; DROP"}, "bad_units"),
        ({"role": "unit_manager", "units": '=HYPERLINK("x")'}, "bad_units"),
        ({"role": "unit_manager", "units": "ALM\u0301-014"}, "bad_units"),
        ({"role": "hr", "units": "ALM-014"}, "units_not_allowed"),
    ]
    for form, error in refusals:
        response = _post(client, "/admin/users", name="dana", **form)
        assert f"error={error}" in response.headers["location"], (form, response.headers["location"])
        assert 'data-testid="create-error"' in _follow(client, response)
    assert not _rows(settings, "SELECT 1 FROM users WHERE name = 'dana'")
    response = _post(client, "/admin/users", name="dana", role="unit_manager", units="ALM-015,ALM-014")
    page = _follow(client, response)
    assert _once(page, "token").startswith("tks_")
    units = re.search(r'data-testid="unit-list">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r'data-unit="([^"]+)"', units) == ["ALM-014", "ALM-015"] and "ПСС ALM-014" in units
    assert 'value="ALM-014, ALM-015"' in page
    listing = client.get("/admin/users?role=unit_manager").text
    assert re.search(r'data-user="dana".*?data-testid="user-units">ALM-014, ALM-015<', listing, re.S)

    # The units are edited on the user's page: what the API's PUT does, audited.
    page = _follow(client, _post(client, "/admin/users/dana/units", units="ALM-015"))
    assert 'data-testid="done"' in page and re.findall(r'<li data-unit="([^"]+)"', page) == ["ALM-015"]
    listed = {u["name"]: u["units"] for u in client.get("/v1/users", headers=admin).json()["items"]}
    assert listed["dana"] == ["ALM-015"]
    assert [r["actor"] for r in _audit(settings, "user.units")][-1] == "boss"
    for units, error in (("", "units_required"), ("ALM-999", "unknown_unit"), ("<b>", "bad_units")):
        response = _post(client, "/admin/users/dana/units", units=units)
        assert f"error={error}" in response.headers["location"], units
        assert 'data-testid="error"' in _follow(client, response)
    assert _post(client, "/admin/users/ghost/units", units="ALM-014").status_code == 404
    # Another role has no units to edit: the page offers none, and a form sent anyway is refused.
    assert 'data-testid="units-form"' not in client.get("/admin/users/boss").text
    make_user(client, admin, "hr.aru", "hr")
    assert "error=not_unit_manager" in _post(client, "/admin/users/hr.aru/units", units="ALM-014").headers["location"]
    # A unit manager who becomes another role is bound to no unit any more.
    assert _follow(client, _post(client, "/admin/users/dana/role", role="hr"))
    assert not _rows(settings, "SELECT 1 FROM user_units WHERE user_name = 'dana'")


def test_search_filter_and_paging_of_users(client, admin, boss):
    for n in range(55):
        make_user(client, admin, f"tab{n:02d}", "auditor")
    make_user(client, admin, "hr.dana", "hr")
    first = client.get("/admin/users?role=auditor").text
    names = re.findall(r'data-testid="user-row" data-user="([^"]+)"', first)
    assert len(names) == 50 and names == sorted(names) and all(n.startswith("tab") for n in names)
    role_filter = re.compile(r'<select id="f-role".*?</select>', re.S)
    assert '<option value="auditor" selected>' in role_filter.search(first).group(0)
    assert " selected" not in role_filter.search(client.get("/admin/users").text).group(0)
    next_url = html.unescape(
        re.search(r'data-testid="next-page" href="([^"]+)"|href="([^"]+)" rel="next"', first).group(2)
    )
    rest = re.findall(r'data-testid="user-row" data-user="([^"]+)"', client.get(next_url).text)
    assert len(rest) == 5 and not set(rest) & set(names)
    found = re.findall(r'data-user="([^"]+)"', client.get("/admin/users?q=DANA").text)
    assert found == ["hr.dana"]
    # `_` and `%` are letters in the search, not wildcards; the local admin is never listed.
    assert re.findall(r'data-user="([^"]+)"', client.get("/admin/users?q=_").text) == []
    assert re.findall(r'data-user="([^"]+)"', client.get("/admin/users?q=%25").text) == []
    assert client.get("/admin/users?q=" + "x" * 5000 + "&role=%00&after=%FF").status_code == 200


def test_change_a_role_through_the_store_and_never_ones_own(client, admin, settings, boss, saule):
    page = _follow(client, _post(client, "/admin/users/saule/role", role="hr"))
    assert 'data-testid="done"' in page
    users = {u["name"]: u["role"] for u in client.get("/v1/users", headers=admin).json()["items"]}
    assert users["saule"] == "hr"
    (entry,) = _audit(settings, "user.role")
    assert entry["actor"] == "boss" and '"from":"quality_lead"' in entry["detail"]
    assert "error=own_role" in _post(client, "/admin/users/boss/role", role="hr").headers["location"]
    assert "error=bad_role" in _post(client, "/admin/users/saule/role", role="root").headers["location"]
    assert client.post("/admin/users/nobody/role", data={"csrf_token": _csrf(client), "role": "hr"}).status_code == 404


def test_a_user_made_auditor_loses_the_console(client, admin, settings, boss, saule):
    _sign_in(client, "saule")
    saule_cookie = client.cookies[SESSION_COOKIE]
    _sign_in(client, "boss")
    _post(client, "/admin/users/saule/role", role="auditor")
    assert _rows(settings, "SELECT password_hash FROM users WHERE name = 'saule'")[0][0] is None
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, saule_cookie)
    assert not _signed_in(client)


def test_reset_a_password_ends_the_old_sessions_and_the_new_one_signs_in(client, admin, settings, boss, saule):
    _sign_in(client, "saule")
    old_session = client.cookies[SESSION_COOKIE]
    _sign_in(client, "boss")
    page = _follow(client, _post(client, "/admin/users/saule/password", password=NEW_PASSWORD, password2=NEW_PASSWORD))
    assert 'data-testid="done"' in page and NEW_PASSWORD not in page
    (entry,) = _audit(settings, "user.password.reset", "boss")
    assert entry["object_id"] == "saule" and '"sessions_ended":1' in entry["detail"]
    boss_cookie = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, old_session)
    assert not _signed_in(client)
    assert _sign_in(client, "saule", PASSWORD).status_code == 200  # the form again: refused
    assert _sign_in(client, "saule", NEW_PASSWORD).status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, boss_cookie)
    assert _signed_in(client)


@pytest.mark.parametrize(
    ("password", "again", "error"),
    [
        ("short", "short", "password_too_short"),
        ("saule-saule-saule", "saule-saule-saule", "password_like_name"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "mismatch"),
        ("x" * 1025, "x" * 1025, "password_too_long"),
    ],
)
def test_a_reset_follows_the_api_rules(client, admin, settings, boss, saule, password, again, error):
    response = _post(client, "/admin/users/saule/password", password=password, password2=again)
    assert response.headers["location"] == f"/admin/users/saule?error={error}"
    assert 'data-testid="error"' in client.get(response.headers["location"]).text
    assert not _audit(settings, "user.password.reset", "boss")
    # The API answers the same code for the same password.
    if error != "mismatch":
        api = client.put("/v1/users/saule/password", json={"password": password}, headers=admin)
        assert api.status_code == 400 and api.json()["code"] == error


def test_auditors_get_no_password_and_one_cannot_reset_ones_own_here(client, admin, boss):
    make_user(client, admin, "aigerim", "auditor")
    response = _post(client, "/admin/users/aigerim/password", password=NEW_PASSWORD, password2=NEW_PASSWORD)
    assert response.headers["location"] == "/admin/users/aigerim?error=role_cannot_sign_in"
    response = _post(client, "/admin/users/boss/password", password=NEW_PASSWORD, password2=NEW_PASSWORD)
    assert response.headers["location"] == "/admin/users/boss?error=own_password"


def test_a_generated_password_is_shown_once_and_signs_in(client, admin, boss, saule):
    page = _follow(client, _post(client, "/admin/users/saule/password", generate="yes"))
    password = _once(page, "password")
    assert password and len(password) >= 10
    assert _once(client.get("/admin/users/saule").text, "password") is None
    assert _sign_in(client, "saule", password).status_code == 303


def test_a_secret_is_shown_only_on_its_users_page(client, admin, boss, saule):
    created = _post(client, "/admin/users", name="second", role="hr")
    assert _once(client.get("/admin/users/saule").text, "token") is None  # another user's page: not there
    client.cookies.set(ONCE_COOKIE, "garbage!!", path="/admin/users")
    assert client.get("/admin/users/second").status_code == 200
    assert created.status_code == 303


def test_revoke_a_token_and_the_api_answers_401(client, admin, settings, boss, saule):
    api = {"Authorization": saule["Authorization"]}
    assert client.get("/v1/submissions", headers=api).status_code == 200
    page = client.get("/admin/users/saule").text
    (prefix,) = re.findall(r'data-testid="token-row" data-prefix="([^"]+)"', page)
    page = _follow(client, _post(client, f"/admin/users/saule/tokens/{prefix}/revoke"))
    assert f'data-testid="token-state-{prefix}"><span class="tag">' in page
    answer = client.get("/v1/submissions", headers=api)
    assert answer.status_code == 401 and answer.json()["code"] == "token_revoked"
    (entry,) = _audit(settings, "user.token.revoke")
    assert entry["actor"] == "boss" and prefix in entry["detail"]
    assert "error=unknown_token" in _post(client, "/admin/users/saule/tokens/nosuch/revoke").headers["location"]
    assert "error=unknown_token" in _post(client, "/admin/users/saule/tokens/..%2F/revoke").headers["location"]


def test_issue_a_token_then_revoke_all_which_ends_the_sessions(client, admin, settings, boss, saule):
    page = _follow(client, _post(client, "/admin/users/saule/tokens"))
    token = _once(page, "token")
    assert client.get("/v1/submissions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    _sign_in(client, "saule")
    saule_cookie = client.cookies[SESSION_COOKIE]
    _sign_in(client, "boss")
    _follow(client, _post(client, "/admin/users/saule/tokens/revoke"))
    for headers in (saule, {"Authorization": f"Bearer {token}"}):
        assert client.get("/v1/submissions", headers=headers).status_code == 401
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, saule_cookie)
    assert not _signed_in(client)
    assert [r["object_id"] for r in _audit(settings, "user.token.revoke_all")] == ["saule"]


def test_revoke_a_device(client, admin, settings, boss):
    tablet = make_user(client, admin, "aigerim", "auditor")
    assert client.get("/v1/units", headers=tablet).status_code == 403  # binds the device (auditors read no directory)
    device = tablet["Tekseru-Device-Id"]
    page = client.get("/admin/users/aigerim").text
    assert f'data-device="{device}"' in page
    page = _follow(client, _post(client, f"/admin/devices/{device.upper()}/revoke"))
    assert 'data-testid="done"' in page
    answer = client.get("/v1/units", headers=tablet)
    assert answer.status_code == 401 and answer.json()["code"] == "token_revoked"
    (entry,) = _audit(settings, "device.revoke")
    assert entry["object_id"] == device and '"user":"aigerim"' in entry["detail"]
    assert _post(client, f"/admin/devices/{uuid.uuid4()}/revoke").status_code == 404
    assert _post(client, "/admin/devices/not-a-uuid/revoke").status_code == 404


def test_unknown_and_hostile_user_names_are_404(client, boss):
    for name in ("nobody", "_local_admin", quote("../etc", safe=""), "=HYPERLINK(1)", "a" * 500):
        assert client.get(f"/admin/users/{name}").status_code == 404, name


def test_the_api_audits_its_user_acts_too(client, admin, settings):
    make_user(client, admin, "dana", "hr")
    client.put("/v1/users/dana/password", json={"password": PASSWORD}, headers=admin)
    assert [r["object_id"] for r in _audit(settings, "user.create", "_local_admin")] == ["dana"]
    assert [r["object_id"] for r in _audit(settings, "user.password.reset", "_local_admin")] == ["dana"]


# --- one's own password ------------------------------------------------------------------------------


def test_change_ones_own_password_ends_only_the_other_sessions(client, admin, settings, saule):
    _sign_in(client, "saule")
    other = client.cookies[SESSION_COOKIE]
    _sign_in(client, "saule")
    mine = client.cookies[SESSION_COOKIE]
    response = _post(client, "/account/password", current=PASSWORD, password=NEW_PASSWORD, password2=NEW_PASSWORD)
    assert response.headers["location"] == "/account?done=password"
    assert _signed_in(client)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, other)
    assert not _signed_in(client)
    assert _sign_in(client, "saule", NEW_PASSWORD).status_code == 303
    (entry,) = _audit(settings, "user.password.change")
    assert entry["actor"] == "saule" and '"sessions_ended":1' in entry["detail"]
    assert mine


@pytest.mark.parametrize(
    ("current", "new", "again", "error"),
    [
        ("wrong password here", NEW_PASSWORD, NEW_PASSWORD, "current"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "mismatch"),
        (PASSWORD, "short", "short", "password_too_short"),
        (PASSWORD, "my saule pass", "my saule pass", "password_like_name"),
    ],
)
def test_own_password_errors(client, admin, settings, saule, current, new, again, error):
    _sign_in(client, "saule")
    response = _post(client, "/account/password", current=current, password=new, password2=again)
    assert response.headers["location"] == f"/account/password?error={error}"
    assert 'data-testid="error"' in client.get(response.headers["location"]).text
    assert _sign_in(client, "saule", PASSWORD).status_code == 303  # unchanged


def test_wrong_current_passwords_are_throttled_and_audited(client, admin, settings, saule):
    _sign_in(client, "saule")
    codes = [
        _post(
            client, "/account/password", current="wrong-one-xx", password=NEW_PASSWORD, password2=NEW_PASSWORD
        ).headers["location"]
        for _ in range(5)
    ]
    assert codes[0].endswith("error=current") and codes[-1].endswith("error=wait")
    failed = _audit(settings, "console.sign_in_failed")
    assert {r["actor"] for r in failed} == {"saule"}
    assert "bad_current_password" in failed[0]["detail"] and "password_change_throttled" in failed[-1]["detail"]


# --- the audit log -------------------------------------------------------------------------------------


def _entry(settings: Settings, at: str, actor: str, action: str, kind: str, object_id: str) -> None:
    with open_store(settings) as conn:
        conn.execute(
            "INSERT INTO audit_log (at, actor, action, object_kind, object_id, detail) VALUES (?, ?, ?, ?, ?, '{}')",
            (at, actor, action, kind, object_id),
        )


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="audit-row" data-id="(\d+)"', page)]


def test_the_audit_log_filters_and_pages(client, admin, settings, boss):
    # Almaty is UTC+5: 2026-10-14T20:00Z is already the 15th there.
    _entry(settings, "2026-10-14T18:00:00.000Z", "saule", "approve", "submission", "s-1")
    _entry(settings, "2026-10-14T20:00:00.000Z", "saule", "reject", "submission", "s-2")
    _entry(settings, "2026-10-16T10:00:00.000Z", "dana", "period.close", "period", "2026-10")
    all_ids = _ids(client.get("/admin/audit").text)
    assert all_ids == sorted(all_ids, reverse=True)  # newest first

    def actions(query: str) -> list[str]:
        return re.findall(r'data-action="([^"]+)"', client.get("/admin/audit?" + query).text)

    assert actions("actor=saule") == ["reject", "approve"]
    assert actions("action=user.") == ["user.password.reset", "user.create"]  # boss, made by the API
    assert actions("object=s-2") == ["reject"]
    assert actions("object=submission:s-1") == ["approve"]
    assert actions("object=period:s-1") == []
    assert actions("from=2026-10-15&to=2026-10-15") == ["reject"]
    assert actions("from=2026-10-14&to=2026-10-14") == ["approve"]
    assert actions("actor=saule&action=app") == ["approve"]
    assert actions("action=%25") == []  # a wildcard is a letter here
    # A bad date is reported and left out; never a 500.
    page = client.get("/admin/audit?from=9999-12-31&to=2026-13-45&cursor=-1").text
    assert 'data-testid="bad-dates"' in page and len(_ids(page)) == len(all_ids)
    assert client.get("/admin/audit?cursor=99999999999999999999&actor=" + "x" * 5000).status_code == 200
    # Paging: 100 a page, then older ones, by cursor.
    for n in range(120):
        _entry(settings, f"2026-11-01T00:{n // 60:02d}:{n % 60:02d}.000Z", "bulk", "approve", "submission", f"b-{n}")
    first = client.get("/admin/audit?actor=bulk").text
    ids = _ids(first)
    assert len(ids) == 100
    next_url = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    more = _ids(client.get(next_url).text)
    assert len(more) == 20 and max(more) < min(ids) and "actor=bulk" in next_url


def test_the_audit_log_shows_times_in_the_organisations_zone(client, settings, boss):
    _entry(settings, "2026-10-14T10:32:00.000Z", "saule", "approve", "submission", "s-9")
    page = client.get("/admin/audit?object=s-9").text
    assert "14.10.2026 15:32 Asia/Almaty" in page


# --- the system page -------------------------------------------------------------------------------


def test_the_system_page_shows_the_health_the_api_answers(client, boss):
    health = client.get("/v1/health").json()
    page = client.get("/admin/system").text
    assert f'data-testid="health-schema">{health["schema"]}<' in page
    assert f'data-testid="health-version">{health["version"]}<' in page
    assert 'data-testid="db-size" data-bytes="' in page and 'data-testid="free-space"' in page


def test_backup_now_then_download_it_and_nothing_else(client, settings, boss):
    page = _follow(client, _post(client, "/admin/system/backup"))
    if settings.database_url:  # PostgreSQL is backed up by its own tools: the page says so, no file is made
        assert "pg_dump" in page and 'data-testid="backup-row"' not in page
        assert _audit(settings, "system.backup") == []
        return
    (name,) = re.findall(r'data-testid="backup-row" data-name="([^"]+)"', page)
    assert 'data-testid="done"' in page
    download = client.get(f"/admin/system/backups/{name}")
    assert download.status_code == 200 and download.content.startswith(b"SQLite format 3\x00")
    assert "attachment" in download.headers["content-disposition"]
    assert [r["object_id"] for r in _audit(settings, "system.backup")] == [name]
    # Only names of the listing: never a path out of the folder, a folder, or a symlink.
    (settings.backups / "sub").mkdir()
    (settings.backups / "link.sqlite3").symlink_to(settings.db_path)
    for bad in (
        "..%2Ftekseru.sqlite3",
        "%2E%2E%2Ftekseru.sqlite3",
        "sub",
        "link.sqlite3",
        "..%5Ctekseru.sqlite3",
        quote(f"../{settings.db_path.name}", safe=""),
        "nosuch.sqlite3",
    ):
        assert client.get(f"/admin/system/backups/{bad}").status_code == 404, bad
    # A client that resolves `..` itself asks for another path: never the database.
    assert not client.get("/admin/system/backups/../tekseru.sqlite3").content.startswith(b"SQLite")


def test_rebuild_needs_its_confirmation(client, settings, boss):
    assert _post(client, "/admin/system/rebuild").headers["location"] == "/admin/system?error=confirm"
    assert not _audit(settings, "system.rebuild")
    page = _follow(client, _post(client, "/admin/system/rebuild", confirm="rebuild"))
    assert 'data-testid="done"' in page
    assert [r["actor"] for r in _audit(settings, "system.rebuild")] == ["boss"]
