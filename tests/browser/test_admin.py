"""Administration in a real browser: an admin creates a user (whose token works on the API), resets
a password (the user signs in with it in a second browser), revokes a token (the API answers 401),
backs up the database; each role reaches only its pages; every administration page in ru and kk.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.browser.conftest import Browser, Demo, open_browser

pytestmark = pytest.mark.browser

LANGS = ("ru", "kk")
NEW_PASSWORD = "пароль из консоли администратора 9"

# The console's pages by who may open them (CONSOLE.md, "What each role finds").
LEAD_ONLY = ("/review", "/quarantine")  # quality leads and admins (quarantine replays: admins only)
READERS = ("/dashboard", "/periods", "/scorecards")  # quality leads, HR, admins
ADMIN_ONLY = (
    "/admin",
    "/admin/users",
    "/admin/users/admin",
    "/admin/audit",
    "/admin/system",
    "/admin/directory",
    "/admin/checklists",
    "/admin/policies",
)
EVERYONE = ("/account", "/account/password")


def switch_language(browser: Browser, lang: str) -> None:
    browser.submit(f"[data-testid=lang-{lang}]")
    assert browser.page.get_attribute("html", "lang") == lang


def api_status(demo: Demo, token: str) -> int:
    with httpx.Client(base_url=demo.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        return api.get("/v1/submissions").status_code


def test_an_admin_creates_a_user_resets_the_password_and_revokes_the_token(browser: Browser, chromium):
    demo, page = browser.demo, browser.page
    name = f"lead.{uuid.uuid4().hex[:8]}"
    browser.sign_in("admin", next_path="/admin/users")
    page.fill("[data-testid=new-user-name]", name)
    page.select_option("[data-testid=new-user-role]", "quality_lead")
    browser.submit("[data-testid=create-user]")
    assert page.url.endswith(f"/admin/users/{name}?done=created")
    token = page.inner_text("[data-testid=once-token]").strip()
    browser.look("user created, token shown once")
    assert token.startswith("tks_") and api_status(demo, token) == 200
    browser.goto(f"/admin/users/{name}")
    assert page.locator("[data-testid=once-token]").count() == 0, "the token is shown once only"

    # A password for the console, typed twice; the user signs in with it in another browser.
    page.fill("[data-testid=reset-password]", NEW_PASSWORD)
    page.fill("[data-testid=reset-password2]", NEW_PASSWORD)
    browser.submit("[data-testid=reset-submit]")
    assert page.is_visible("[data-testid=done]")
    browser.look("password set")
    context, user = open_browser(chromium, "new-user", demo)
    try:
        user.sign_in(name, NEW_PASSWORD)
        assert user.page.url.endswith("/review")
        assert name in user.page.inner_text("[data-testid=signed-in-user]")
        assert user.console_errors() == []
        # A reset by the admin ends the user's sessions.
        page.click("[data-testid=reset-generate]")
        page.wait_for_url(re.compile(r"done=password"))
        generated = page.inner_text("[data-testid=once-password]").strip()
        browser.look("generated password shown once")
        user.goto("/account")
        assert "/login" in user.page.url, "the user's session ended with the reset"
        user.submit_sign_in(name, generated)
        assert user.page.is_visible("[data-testid=signed-in-user]")
    finally:
        context.close()

    # Revoke the token: the API answers 401.
    prefix = page.get_attribute("[data-testid=token-row]", "data-prefix")
    browser.submit(f"[data-testid=revoke-{prefix}]")
    assert page.is_visible("[data-testid=done]")
    assert page.locator(f"[data-testid=revoke-{prefix}]").count() == 0
    browser.look("token revoked")
    assert api_status(demo, token) == 401

    # The audit log has all of it, filtered by the user.
    browser.goto(f"/admin/audit?object=user:{name}")
    actions = page.eval_on_selector_all("[data-testid=audit-row]", "rows => rows.map(r => r.dataset.action)")
    assert {"user.create", "user.password.reset", "user.token.revoke"} <= set(actions), actions
    browser.look("audit log of the user")


def test_a_backup_made_and_listed(browser: Browser):
    page = browser.page
    browser.sign_in("admin", next_path="/admin/system")
    before = page.locator("[data-testid=backup-row]").count()
    browser.submit("[data-testid=backup-now]")
    assert page.is_visible("[data-testid=done]")
    assert page.locator("[data-testid=backup-row]").count() == before + 1
    href = page.get_attribute("[data-testid=backup-row] a", "href")
    with page.expect_download() as download:
        page.click("[data-testid=backup-row] a")
    assert download.value.suggested_filename == href.rsplit("/", 1)[1]
    # The rebuild asks for its confirmation first.
    page.check("[data-testid=rebuild-confirm]")
    browser.submit("[data-testid=rebuild]")
    assert page.is_visible("[data-testid=done]")
    browser.look("rebuilt")


@pytest.mark.parametrize("user", ["hr.dana", "qlead.saule"])
def test_each_role_reaches_only_its_pages(chromium, demo: Demo, user: str):
    context, browser = open_browser(chromium, f"roles-{user}", demo)
    allowed = {
        "hr.dana": {*READERS, *EVERYONE},
        "qlead.saule": {*LEAD_ONLY, *READERS, *EVERYONE},
    }[user]
    try:
        browser.sign_in(user)
        for lang in LANGS:
            switch_language(browser, lang)
            for path in (*LEAD_ONLY, *READERS, *ADMIN_ONLY, *EVERYONE):
                browser.goto(path, status=200 if path in allowed else 403)
                assert browser.page.get_attribute("html", "lang") == lang
            browser.goto("/admin/users", status=403)
            browser.look(f"admin-forbidden-{lang}")
            browser.goto("/account/password")
            browser.look(f"own-password-{lang}")
        switch_language(browser, "ru")
        assert browser.console_errors() == []
    finally:
        context.close()


def test_every_administration_page_in_russian_and_kazakh(browser: Browser):
    page = browser.page
    browser.sign_in("admin", next_path="/admin")
    browser.goto("/admin/system")
    if page.locator("[data-testid=backup-row]").count() == 0:
        browser.submit("[data-testid=backup-now]")
    pages = [
        ("admin-index", "/admin"),
        ("users", "/admin/users"),
        ("users-auditors", "/admin/users?role=auditor"),
        ("user-auditor", "/admin/users/auditor.aigerim"),
        ("user-lead", "/admin/users/qlead.saule"),
        ("user-self", "/admin/users/admin"),
        ("user-error", "/admin/users/qlead.saule?error=password_too_short"),
        ("audit", "/admin/audit"),
        ("audit-filtered", "/admin/audit?action=console.&from=2000-01-01&to=2099-12-31"),
        ("audit-bad-date", "/admin/audit?from=9999-99-99"),
        ("system", "/admin/system"),
        ("account", "/account"),
        ("own-password", "/account/password"),
        ("own-password-error", "/account/password?error=current"),
    ]
    try:
        for lang in LANGS:
            switch_language(browser, lang)
            for name, path in pages:
                browser.goto(path)
                assert page.get_attribute("html", "lang") == lang
                browser.look(f"{name}-{lang}")
            browser.goto("/admin/users/nobody.here", status=404)
            browser.look(f"user-not-found-{lang}")
    finally:
        browser.goto("/admin")
        switch_language(browser, "ru")
