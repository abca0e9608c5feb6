"""Every console page in Russian and in Kazakh: no console error, no serious axe finding, a screenshot.

The screenshots land in /tmp/console-shots/ (or `$TEKSERU_CONSOLE_SHOTS`), named
`<test>-<n>-<page>-<lang>.png`, for a person to look at before a page is called done:

    .venv/bin/python -m pytest tests/browser/test_pages.py
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Browser, Demo, open_browser

pytestmark = pytest.mark.browser

LANGS = ("ru", "kk")
NO_SUCH_VISIT = "00000000-0000-4000-8000-000000000000"


def demo_cases(demo: Demo) -> dict[str, str]:
    """The visits the demo prepares for review (its log names them): conflict, photos, awaiting evidence."""
    log = demo.server.log.read_text(encoding="utf-8")
    line = next(line for line in log.splitlines() if line.startswith("demo: to review: "))
    return {what: sid for what, sid in re.findall(r"(conflict|photos|awaiting evidence) \S+ \(([0-9a-f-]{36})\)", line)}


def switch_language(browser: Browser, lang: str) -> None:
    """The language switch on every page (a POST form); the page comes back in `lang`."""
    browser.submit(f"[data-testid=lang-{lang}]")
    assert browser.page.get_attribute("html", "lang") == lang


def test_every_page_in_russian_and_kazakh(browser: Browser, chromium):
    demo, page = browser.demo, browser.page
    cases = demo_cases(demo)
    assert set(cases) == {"conflict", "photos", "awaiting evidence"}
    assert demo.document(cases["conflict"])["conflicts"], "the demo's conflict is gone"
    with demo.api("admin") as admin:
        revisions = admin.get(f"/v1/submissions/{cases['conflict']}/revisions").json()["items"]
    photos = demo.document(cases["photos"])
    photographed = next(a["item"] for a in photos["view"]["answers"] if a.get("evidence"))

    anonymous_context, anonymous = open_browser(chromium, "signed-out", demo)
    try:
        for lang in LANGS:
            anonymous.goto(f"/login?lang={lang}")
            assert anonymous.page.get_attribute("html", "lang") == lang
            anonymous.look(f"login-{lang}")
    finally:
        anonymous_context.close()

    browser.sign_in("admin")
    pages = [
        ("queue", "/review"),
        ("queue-needs-review", "/review?status=needs_review"),
        ("queue-awaiting-evidence", "/review?status=awaiting_evidence"),
        ("queue-approved-by-score", "/review?status=approved&sort=score"),
        ("visit-conflict", f"/review/{cases['conflict']}"),
        ("visit-diff", f"/review/{cases['conflict']}?a={revisions[0]['rev_id']}&b={revisions[-1]['rev_id']}"),
        ("visit-photos", f"/review/{cases['photos']}"),
        ("visit-correction-form", f"/review/{cases['photos']}?edit={photographed}"),
        ("visit-awaiting-evidence", f"/review/{cases['awaiting evidence']}"),
        ("quarantine", "/quarantine"),
    ]
    try:
        for lang in LANGS:
            browser.goto("/review")
            switch_language(browser, lang)
            for name, path in pages:
                browser.goto(path)
                assert page.get_attribute("html", "lang") == lang
                page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")  # lazy thumbnails load
                page.wait_for_load_state("networkidle")
                browser.look(f"{name}-{lang}")
            browser.goto(f"/review/{NO_SUCH_VISIT}", status=404)
            browser.look(f"not-found-{lang}")
    finally:
        browser.goto("/review")
        switch_language(browser, "ru")
    photos_shown = page.locator("[data-testid=photo] img")
    assert photos_shown.count() == 0  # back on the queue: thumbnails are the visit page's

    hr_context, hr = open_browser(chromium, "hr", demo)
    try:
        hr.sign_in("hr.dana")
        for lang in LANGS:
            switch_language(hr, lang)
            hr.look(f"home-{lang}")
            hr.goto("/review", status=403)
            hr.look(f"forbidden-{lang}")
            hr.goto("/")
        switch_language(hr, "ru")
        assert hr.console_errors() == []
    finally:
        hr_context.close()


def test_photos_open_full_size(browser: Browser):
    demo, page = browser.demo, browser.page
    sid = demo_cases(demo)["photos"]
    browser.sign_in("qlead.saule", next_path=f"/review/{sid}")
    thumbnails = page.locator("[data-testid=photo]")
    assert thumbnails.count() >= 3
    for n in range(thumbnails.count()):
        thumbnails.nth(n).scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    loaded = page.eval_on_selector_all(
        "[data-testid=photo] img", "images => images.map(i => i.complete && i.naturalWidth > 0)"
    )
    assert all(loaded), loaded
    href = thumbnails.first.get_attribute("href")
    browser.goto(href)
    assert page.evaluate("() => document.contentType") == "image/jpeg"
    assert browser.console_errors() == []
