"""The console's sign-in, sessions, CSRF, throttling and frame, through the real app (CONSOLE.md, "Signing in")."""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server import pg
from server.app import create_app
from server.cli import main
from server.clock import iso_utc, utc_now
from server.console.auth import LOCK_AFTER
from server.console.web import LOGIN_COOKIE, SESSION_COOKIE, safe_next
from server.passwords import hash_password, password_problem
from server.settings import Settings
from server.store import sessions as sessions_store
from tests.conftest import make_user

PASSWORD = "ясный день над Алатау 7"
OTHER = "another long passphrase 2"


# --- helpers -----------------------------------------------------------------------------------------


def _db(settings: Settings) -> sqlite3.Connection:
    """The test's store, each statement committed at once; rows by column name."""
    if settings.database_url:
        return pg.connect(settings.database_url)  # type: ignore[return-value]
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def _sql(settings: Settings, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    conn = _db(settings)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _hidden(html: str, name: str = "csrf_token") -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def _with_password(client: TestClient, admin: dict, name: str, role: str, password: str = PASSWORD) -> dict:
    headers = make_user(client, admin, name, role)
    response = client.put(f"/v1/users/{name}/password", json={"password": password}, headers=admin)
    assert response.status_code == 204, response.text
    return headers


def _sign_in(client: TestClient, name: str, password: str = PASSWORD, next_: str = "") -> object:
    form = client.get("/login")
    assert form.status_code == 200
    data = {"username": name, "password": password, "csrf_token": _hidden(form.text), "next": next_}
    return client.post("/login", data=data, follow_redirects=False)


def _refused(response: object) -> bool:
    """The form again with its message, and no session."""
    return (
        response.status_code == 200
        and 'data-testid="login-error"' in response.text
        and (SESSION_COOKIE not in response.headers.get("set-cookie", ""))
    )


def _csrf(client: TestClient) -> str:
    """The session's CSRF token, as a page of the signed-in user carries it."""
    return _hidden(client.get("/no-such-page").text)


def _audit(settings: Settings, action: str) -> list[sqlite3.Row]:
    return _sql(settings, "SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))


def _signed_in(client: TestClient) -> bool:
    response = client.get("/", follow_redirects=False)
    return not (response.status_code == 303 and response.headers["location"].startswith("/login"))


@pytest.fixture
def lead(client, admin) -> dict:
    return _with_password(client, admin, "saule", "quality_lead")


# --- signing in and out ------------------------------------------------------------------------------


def test_the_login_form_suits_password_managers(client):
    page = client.get("/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert re.search(r'<input id="username" name="username" type="text" autocomplete="username"', html)
    assert re.search(r'<input id="password" name="password" type="password" autocomplete="current-password"', html)
    assert '<label for="username">' in html and '<label for="password">' in html
    assert "<main" in html and 'method="post"' in html
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{LOGIN_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_sign_in_then_out(client, admin, settings, lead):
    response = _sign_in(client, "saule", next_="/review?status=needs_review")
    assert response.status_code == 303
    assert response.headers["location"] == "/review?status=needs_review"
    session_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie and "Path=/" in session_cookie
    assert "Secure" not in session_cookie  # plain HTTP, TEKSERU_COOKIE_SECURE unset
    # Only the hash of the id is stored.
    session_id = client.cookies[SESSION_COOKIE]
    rows = _sql(settings, "SELECT id_hash, ended_at FROM console_sessions WHERE user_name = 'saule'")
    assert len(rows) == 1 and rows[0]["id_hash"] != session_id and rows[0]["ended_at"] is None
    assert session_id not in str([tuple(r) for r in _sql(settings, "SELECT * FROM console_sessions")])
    # A quality lead's home is the review queue.
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/review"
    page = client.get("/no-such-page")
    assert 'data-testid="signed-in-user"' in page.text and "saule" in page.text
    assert _audit(settings, "console.sign_in")[0]["actor"] == "saule"

    out = client.post("/logout", data={"csrf_token": _csrf(client)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?done=signed_out"
    assert _sql(settings, "SELECT ended_at FROM console_sessions")[0]["ended_at"] is not None
    assert not _signed_in(client)
    assert [r["actor"] for r in _audit(settings, "console.sign_out")] == ["saule"]
    # The old cookie opens nothing, even if the browser kept it.
    client.cookies.set(SESSION_COOKIE, session_id)
    assert not _signed_in(client)


def test_hr_starts_at_the_month_end(client, admin):
    _with_password(client, admin, "dana", "hr")
    assert _sign_in(client, "dana").headers["location"] == "/"
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/periods"
    page = client.get("/no-such-page")
    assert 'data-testid="nav-periods"' in page.text and 'data-testid="nav-dashboard"' in page.text
    assert 'data-testid="nav-review"' not in page.text and 'data-testid="nav-quarantine"' not in page.text
    assert 'data-testid="nav-admin"' not in page.text


def test_an_admin_sees_the_quarantine_link(client, admin):
    _with_password(client, admin, "ops.admin", "admin")
    _sign_in(client, "ops.admin")
    page = client.get("/no-such-page")
    assert 'data-testid="nav-quarantine"' in page.text and 'data-testid="nav-review"' in page.text


def test_not_signed_in_goes_to_the_login_with_next(client):
    response = client.get("/review?status=received", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/review%3Fstatus%3Dreceived"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_next_never_leaves_the_site(client, admin, lead, target):
    assert safe_next(target) == "/"
    assert _sign_in(client, "saule", next_=target).headers["location"] == "/"


def test_a_wrong_password_and_an_unknown_name_read_the_same(client, admin, settings, lead):
    wrong = _sign_in(client, "saule", "not the password 1")
    nobody = _sign_in(client, "nobody.here", "not the password 1")
    assert wrong.status_code == nobody.status_code == 200
    message = re.search(r'data-testid="login-error">([^<]*)<', wrong.text).group(1)
    assert message == re.search(r'data-testid="login-error">([^<]*)<', nobody.text).group(1)
    assert SESSION_COOKIE not in client.cookies
    failures = _audit(settings, "console.sign_in_failed")
    assert [r["actor"] for r in failures] == ["saule", "nobody.here"]


def test_auditors_and_the_local_admin_cannot_sign_in(client, admin, settings):
    make_user(client, admin, "aigerim", "auditor")
    # The API gives an auditor no password; one stored anyway still opens nothing.
    refused = client.put("/v1/users/aigerim/password", json={"password": PASSWORD}, headers=admin)
    assert refused.status_code == 409 and refused.json()["code"] == "role_cannot_sign_in"
    conn = _db(settings)
    conn.execute(
        "UPDATE users SET password_hash = ? WHERE name IN ('aigerim', '_local_admin')", (hash_password(PASSWORD),)
    )
    conn.close()
    reference = _sign_in(client, "nobody.here", PASSWORD)
    expected = re.search(r'data-testid="login-error">([^<]*)<', reference.text).group(1)
    for name in ("aigerim", "_local_admin"):
        response = _sign_in(client, name, PASSWORD)
        assert response.status_code == 200, name
        assert re.search(r'data-testid="login-error">([^<]*)<', response.text).group(1) == expected
    assert _sql(settings, "SELECT count(*) AS n FROM console_sessions")[0]["n"] == 0


# --- throttling --------------------------------------------------------------------------------------


def _age_failures(settings: Settings, seconds: int) -> None:
    """Move every failure record back in time (as if the delay had passed)."""
    conn = _db(settings)
    for row in conn.execute("SELECT key, last_failed_at FROM login_failures").fetchall():
        moved = dt.datetime.fromisoformat(row["last_failed_at"].replace("Z", "+00:00")) - dt.timedelta(seconds=seconds)
        conn.execute("UPDATE login_failures SET last_failed_at = ? WHERE key = ?", (iso_utc(moved), row["key"]))
    conn.close()


def test_failures_of_a_name_grow_a_delay_then_lock_it(client, admin, settings, lead):
    for _ in range(3):  # the first failures cost nothing but the failure
        assert _refused(_sign_in(client, "saule", "not the password 1"))
    # The next attempt must wait, even with the right password; the answer does not say which was wrong.
    # (The first delay is one second: the last failure is moved 30 s ahead, so that a slow machine
    # cannot let that second pass before the attempt arrives.)
    _age_failures(settings, -30)
    waiting = _sign_in(client, "saule")
    assert waiting.status_code == 429 and 'data-testid="login-error"' in waiting.text
    assert 1 <= int(waiting.headers["retry-after"]) <= 60
    assert SESSION_COOKIE not in client.cookies
    # Each delay passed, failures go on to the lock.
    for _ in range(LOCK_AFTER["user"] - 3):
        _age_failures(settings, 61)
        assert _refused(_sign_in(client, "saule", "not the password 1"))
    (row,) = _sql(settings, "SELECT * FROM login_failures WHERE key = 'user:saule'")
    assert row["locked_until"] is not None
    assert [r["object_id"] for r in _audit(settings, "console.sign_in_locked")] == ["saule"]
    _age_failures(settings, 3600)
    locked = _sign_in(client, "saule")  # the lock holds whatever the password
    assert locked.status_code == 429
    assert SESSION_COOKIE not in client.cookies
    # When the lock has passed, the right password signs in, and the name's failures are forgotten.
    conn = _db(settings)
    conn.execute("UPDATE login_failures SET locked_until = ?", (iso_utc(utc_now() - dt.timedelta(seconds=1)),))
    conn.close()
    assert _sign_in(client, "saule").status_code == 303
    assert _sql(settings, "SELECT count(*) AS n FROM login_failures WHERE key = 'user:saule'")[0]["n"] == 0


def test_failures_from_one_address_are_throttled_across_names(client, admin, settings, lead):
    for i in range(10):
        assert _refused(_sign_in(client, f"guess{i}", "not the password 1"))
    # A fresh name from the same address now waits too.
    assert _sign_in(client, "saule").status_code == 429
    _age_failures(settings, 3600)
    assert _sign_in(client, "saule").status_code == 303


def test_the_delay_schedule():
    from server.console.auth import delay_after

    assert [delay_after(n, 3) for n in range(9)] == [0, 0, 0, 1, 2, 4, 8, 16, 32]
    assert delay_after(30, 3) == 60


# --- CSRF ----------------------------------------------------------------------------------------------


def test_a_post_without_the_session_token_is_refused_and_changes_nothing(client, admin, settings, lead):
    _sign_in(client, "saule")
    before = _sql(settings, "SELECT lang FROM users WHERE name = 'saule'")[0]["lang"]
    for data in ({"lang": "kk", "next": "/"}, {"lang": "kk", "next": "/", "csrf_token": "forged"}):
        refused = client.post("/language", data=data, follow_redirects=False)
        assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
        assert 'data-testid="error-status"' in refused.text
    assert _sql(settings, "SELECT lang FROM users WHERE name = 'saule'")[0]["lang"] == before
    refused = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403 and _signed_in(client)
    # Another session's token is not this session's.
    first, first_csrf = client.cookies[SESSION_COOKIE], _csrf(client)
    client.cookies.clear()
    assert _sign_in(client, "saule").status_code == 303
    second_csrf = _csrf(client)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, first)
    refused = client.post("/language", data={"lang": "kk", "csrf_token": second_csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert _csrf(client) == first_csrf
    # With its token the same form works.
    done = client.post(
        "/language", data={"lang": "kk", "next": "/x", "csrf_token": _csrf(client)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/x"
    assert _sql(settings, "SELECT lang FROM users WHERE name = 'saule'")[0]["lang"] == "kk"
    assert '<html lang="kk">' in client.get("/no-such-page").text


def test_the_login_form_needs_its_own_token(client, admin, settings, lead):
    client.get("/login")
    data = {"username": "saule", "password": PASSWORD}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403
    assert client.post("/login", data=data | {"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert _sql(settings, "SELECT count(*) AS n FROM console_sessions")[0]["n"] == 0


def test_a_signed_in_user_of_another_role_gets_the_403_page(settings):
    from litestar import get

    from server.console.web import console

    @get("/__admin_only", opt=console("admin"))
    async def admin_only() -> str:
        return "the admin's secret"

    app = create_app(settings)
    app.register(admin_only)
    with TestClient(app) as client:
        admin = {"Authorization": "Bearer " + (settings.data_dir / "admin.token").read_text().strip()}
        _with_password(client, admin, "dana", "hr")
        _sign_in(client, "dana")
        response = client.get("/__admin_only")
        assert response.status_code == 403 and "secret" not in response.text
        assert 'data-testid="error-message"' in response.text
        _with_password(client, admin, "ops.admin", "admin")
        client.cookies.clear()
        _sign_in(client, "ops.admin")
        assert client.get("/__admin_only").text == "the admin's secret"


# --- expiry and revocation -----------------------------------------------------------------------------


def test_idle_expiry(client, admin, settings, lead):
    _sign_in(client, "saule")
    assert _signed_in(client)
    idle = iso_utc(utc_now() - dt.timedelta(minutes=settings.session_idle_minutes, seconds=1))
    conn = _db(settings)
    conn.execute("UPDATE console_sessions SET last_seen_at = ?", (idle,))
    conn.close()
    assert not _signed_in(client)


def test_use_keeps_a_session_alive(client, admin, settings, lead):
    _sign_in(client, "saule")
    almost = iso_utc(utc_now() - dt.timedelta(minutes=settings.session_idle_minutes - 1))
    conn = _db(settings)
    conn.execute("UPDATE console_sessions SET last_seen_at = ?", (almost,))
    conn.close()
    assert _signed_in(client)
    assert _sql(settings, "SELECT last_seen_at FROM console_sessions")[0]["last_seen_at"] > almost


def test_absolute_expiry(client, admin, settings, lead):
    _sign_in(client, "saule")
    (row,) = _sql(settings, "SELECT created_at, ends_at FROM console_sessions")
    created = dt.datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
    ends = dt.datetime.fromisoformat(row["ends_at"].replace("Z", "+00:00"))
    assert ends - created == dt.timedelta(hours=settings.session_hours)
    conn = _db(settings)
    conn.execute("UPDATE console_sessions SET ends_at = ?", (iso_utc(utc_now() - dt.timedelta(seconds=1)),))
    conn.close()
    assert not _signed_in(client)


@pytest.fixture
def short_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", session_hours=0.0001)  # 0.36 s


def test_the_session_lengths_are_settings(short_settings):
    with TestClient(create_app(short_settings)) as client:
        admin = {"Authorization": "Bearer " + (short_settings.data_dir / "admin.token").read_text().strip()}
        _with_password(client, admin, "saule", "quality_lead")
        _sign_in(client, "saule")
        (row,) = _sql(short_settings, "SELECT created_at, ends_at FROM console_sessions")
        assert row["ends_at"] > row["created_at"]
        created = dt.datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
        ends = dt.datetime.fromisoformat(row["ends_at"].replace("Z", "+00:00"))
        assert ends - created < dt.timedelta(seconds=1)


def test_revoking_a_user_ends_their_sessions(client, admin, settings, lead):
    _sign_in(client, "saule")
    assert client.delete("/v1/users/saule/tokens", headers=admin).status_code == 204
    assert not _signed_in(client)
    assert _sql(settings, "SELECT count(*) AS n FROM console_sessions WHERE ended_at IS NULL")[0]["n"] == 0


def test_a_password_change_ends_the_other_sessions(client, admin, settings, lead):
    _sign_in(client, "saule")
    assert client.put("/v1/users/saule/password", json={"password": OTHER}, headers=admin).status_code == 204
    assert not _signed_in(client)
    assert _refused(_sign_in(client, "saule", PASSWORD))
    assert _sign_in(client, "saule", OTHER).status_code == 303
    # The store keeps the session the change was made from, and ends only the others.
    (mine,) = _sql(settings, "SELECT id_hash FROM console_sessions WHERE ended_at IS NULL")
    conn = _db(settings)
    conn.execute(
        "INSERT INTO console_sessions (id_hash, user_name, csrf_token, created_at, last_seen_at, ends_at)"
        " VALUES ('other', 'saule', 'c', 't', 't', 'z')"
    )
    with conn:
        ended = sessions_store.set_password(conn, "saule", hash_password(PASSWORD), iso_utc(utc_now()), keep=mine[0])
    conn.close()
    assert ended == 1 and _signed_in(client)


# --- headers, the API, errors -----------------------------------------------------------------------------


def test_security_headers_on_every_console_answer(client, admin, lead):
    answers = [client.get("/login"), client.get("/", follow_redirects=False), client.get("/no-such-page")]
    _sign_in(client, "saule")
    answers += [client.get("/no-such-page"), client.post("/language", data={}, follow_redirects=False)]
    for response in answers:
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
    css = client.get("/static/console.css")
    assert css.status_code == 200 and css.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/console.js").status_code == 200


@pytest.fixture
def secure_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", cookie_secure=True)


def test_cookies_are_secure_when_told_or_over_https(secure_settings, tmp_path):
    with TestClient(create_app(secure_settings)) as client:
        assert "Secure" in client.get("/login").headers["set-cookie"]
    with TestClient(create_app(Settings(data_dir=tmp_path / "other")), base_url="https://testserver.local") as client:
        assert "Secure" in client.get("/login").headers["set-cookie"]


def test_the_api_does_not_accept_the_session_cookie(client, admin, lead):
    _sign_in(client, "saule")
    assert _signed_in(client)
    for path in ("/v1/submissions", "/v1/units"):
        response = client.get(path)
        assert response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")
    # Nor does the cookie turn a bearer token into more than it is.
    assert client.get("/v1/users", headers=lead).status_code == 403


def test_console_errors_are_pages_and_api_errors_stay_problems(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-status"' in page.text
    api = client.get("/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")
    assert "content-security-policy" not in api.headers


def test_the_login_page_speaks_each_language(client):
    for lang, word in (("ru", "Пароль"), ("kk", "Құпиясөз"), ("en", "Password")):
        page = client.get(f"/login?lang={lang}")
        assert f'<html lang="{lang}">' in page.text and word in page.text
    assert '<html lang="kk">' in client.get("/login", headers={"Accept-Language": "kk-KZ,ru;q=0.8"}).text


# --- passwords ------------------------------------------------------------------------------------------


def test_password_rules_through_the_api(client, admin, settings):
    make_user(client, admin, "saule", "quality_lead")

    def put(password: str, name: str = "saule") -> object:
        return client.put(f"/v1/users/{name}/password", json={"password": password}, headers=admin)

    assert put("short one").json()["code"] == "password_too_short"
    assert put("Saule-2026-secret").json()["code"] == "password_like_name"
    assert put("saule12345").json()["code"] == "password_like_name"
    assert put(PASSWORD, name="ghost").status_code == 404
    assert put(PASSWORD, name="_local_admin").status_code == 404
    assert put("x" * 1025).status_code == 400
    assert put("й" * 1024).status_code == 204  # no maximum below 64: up to 1024
    assert put(PASSWORD).status_code == 204
    stored = _sql(settings, "SELECT password_hash FROM users WHERE name = 'saule'")[0]["password_hash"]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert put(PASSWORD, name="saule").status_code == 204
    assert stored != _sql(settings, "SELECT password_hash FROM users WHERE name = 'saule'")[0]["password_hash"]
    hr = make_user(client, admin, "hr", "hr")
    assert client.put("/v1/users/saule/password", json={"password": PASSWORD}, headers=hr).status_code == 403
    # A short name may appear inside a passphrase; never the name alone.
    assert password_problem("hr", "a long passphrase 1") is None
    assert password_problem("hr", "HR") is not None


def test_the_cli_sets_a_password(tmp_path, capsys, monkeypatch):
    data_dir = str(tmp_path / "var")
    assert main(["--data-dir", data_dir, "users", "add", "saule", "--role", "quality_lead"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--data-dir", data_dir, "users", "password", "saule", "--stdin"]) == 0
    assert "password of saule set" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--data-dir", data_dir, "users", "password", "saule", "--stdin"]) == 1
    assert "password_too_short" in capsys.readouterr().err
    typed = iter([PASSWORD, "something else 123"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main(["--data-dir", data_dir, "users", "password", "saule"]) == 1
    assert "differ" in capsys.readouterr().err
    settings = Settings(data_dir=Path(data_dir))
    with TestClient(create_app(settings)) as client:
        assert _sign_in(client, "saule").status_code == 303
