"""Scorecards in a real browser: a quality lead builds a month's Kazakh drafts as a background job,
watches the progress bar (and reloads mid-way), previews one, publishes them all; the published
list's SHA-256 is the SHA-256 of the downloaded bytes, and the ZIP holds exactly those. HR reads
the published ones only. Every page in ru and kk: no console error, no serious axe finding.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest

from tests.browser.conftest import SHOTS, Browser, open_browser

pytestmark = pytest.mark.browser

LANGS = ("ru", "kk")
JOB_TIMEOUT_MS = 180_000


def switch_language(browser: Browser, lang: str) -> None:
    browser.submit(f"[data-testid=lang-{lang}]")
    assert browser.page.get_attribute("html", "lang") == lang


def demo_period(browser: Browser) -> str:
    """The month the demo published its Russian unit scorecards for (the previous month)."""
    with browser.demo.api("qlead.saule") as lead:
        items = lead.get("/v1/scorecards", params={"status": "published"}).json()["items"]
    periods = {c["period"] for c in items}
    assert len(periods) == 1, periods
    return periods.pop()


def branch_count(browser: Browser) -> int:
    with browser.demo.api("qlead.saule") as lead:
        units = lead.get("/v1/units", params={"limit": 100}).json()["items"]
    return sum(1 for u in units if u["kind"] == "branch" and u.get("active", True))


def test_a_lead_builds_watches_publishes_and_the_hashes_hold(browser: Browser, chromium):
    page = browser.page
    period = demo_period(browser)
    browser.sign_in("qlead.saule")
    browser.goto("/scorecards")
    browser.look("list-ru")

    # Build the month's Kazakh branch drafts.
    page.select_option("[data-testid=build-period]", period)
    page.select_option("[data-testid=build-kind]", "branch")
    page.select_option("[data-testid=build-lang]", "kk")
    browser.submit("[data-testid=build-start]")
    assert re.search(r"/scorecards/jobs/[0-9a-f-]{36}$", page.url), page.url
    job_url = page.url
    status = page.get_attribute("[data-testid=job-status]", "data-status")
    if status == "running":
        browser.look("job-running-ru")
        before = int(page.get_attribute("[data-testid=job-progress]", "value") or 0)
        page.reload()  # the progress is the server's: a reload shows it as it is now
        assert page.is_visible("[data-testid=job-progress]")
        assert int(page.get_attribute("[data-testid=job-progress]", "value") or 0) >= before
    # scorecards.js polls, then shows the final page by itself.
    page.wait_for_selector("[data-testid=job-status][data-status=finished]", timeout=JOB_TIMEOUT_MS)
    total = branch_count(browser) + 1  # every active branch, and the network
    assert page.get_attribute("[data-testid=job-progress]", "max") == str(total)
    assert page.get_attribute("[data-testid=job-progress]", "value") == str(total)
    browser.look("job-finished-ru")

    with browser.demo.api("qlead.saule") as lead:
        drafts = lead.get("/v1/scorecards", params={"period": period, "status": "draft"}).json()["items"]
    kk_drafts = [c for c in drafts if c["lang"] == "kk"]
    assert len(kk_drafts) == total

    # The drafts of the month and kind; one previewed.
    with page.expect_navigation():
        page.click("[data-testid=job-drafts]")
    assert page.locator("[data-testid=card-row][data-status=draft]").count() >= total
    browser.look("drafts-ru")
    card = kk_drafts[0]
    browser.goto(f"/scorecards/{card['id']}")
    page.wait_for_function("() => document.querySelector('[data-testid=page1]').naturalWidth > 0")
    assert page.inner_text("[data-testid=card-sha]") == card["sha256"]
    browser.look("preview-draft-ru")
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = page.request.get(f"{browser.demo.url}/scorecards/{card['id']}/page1.png")
    (SHOTS / "scorecards-page1-draft.png").write_bytes(image.body())  # for a person to look at

    # Publish all drafts of the month's branches (a confirmation names them).
    browser.goto(f"/scorecards?period={period}&kind=branch&status=draft")
    page.once("dialog", lambda dialog: dialog.accept())
    browser.submit("[data-testid=publish-all]")
    assert page.is_visible("[data-testid=published-report]")
    with browser.demo.api("qlead.saule") as lead:
        after = {c["id"]: c for c in lead.get("/v1/scorecards", params={"period": period}).json()["items"]}
    assert all(after[c["id"]]["status"] == "published" for c in kk_drafts)

    # The published list: each row's SHA-256 is the SHA-256 of the bytes its link downloads.
    browser.goto(f"/scorecards?period={period}&kind=branch&status=published")
    rows = page.locator("[data-testid=card-row]")
    assert rows.count() >= total
    shown = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        card_id = row.get_attribute("data-card")
        shown[card_id] = row.locator("code.sha").inner_text()
        href = row.locator(f"[data-testid=pdf-{card_id}]").get_attribute("href")
        body = page.request.get(browser.demo.url + href).body()
        assert body[:5] == b"%PDF-" and hashlib.sha256(body).hexdigest() == shown[card_id]
    assert {c["id"] for c in kk_drafts} <= set(shown)
    browser.look("published-ru")

    # The month's ZIP: exactly the published scorecards, their SHA-256s in the manifest.
    href = page.get_attribute("[data-testid=zip-link]", "href")
    archive = zipfile.ZipFile(io.BytesIO(page.request.get(browser.demo.url + href).body()))
    sums = {}
    for line in archive.read(f"{period}/SHA256SUMS").decode().splitlines():
        sha, name = line.split("  ")
        assert hashlib.sha256(archive.read(f"{period}/{name}")).hexdigest() == sha
        sums[name] = sha
    published = [c for c in after.values() if c["status"] == "published"]
    assert sorted(sums.values()) == sorted(c["sha256"] for c in published)

    # Every page again in ru and kk.
    published_card = kk_drafts[-1]["id"]
    try:
        for lang in LANGS:
            switch_language(browser, lang)
            for name, path in (
                ("list", "/scorecards"),
                ("list-filtered", f"/scorecards?period={period}&kind=branch"),
                ("job", job_url.removeprefix(browser.demo.url)),
                ("preview-published", f"/scorecards/{published_card}"),
            ):
                browser.goto(path)
                if name.startswith("preview"):
                    page.wait_for_function("() => document.querySelector('[data-testid=page1]').naturalWidth > 0")
                browser.look(f"{name}-{lang}")
            browser.goto("/scorecards/00000000-0000-4000-8000-000000000000", status=404)
            browser.look(f"not-found-{lang}")
            browser.goto("/scorecards?period=2026-13", status=400)
            browser.look(f"bad-period-{lang}")
    finally:
        browser.goto("/scorecards")
        switch_language(browser, "ru")
    (SHOTS / "scorecards-page1-published.png").write_bytes(
        page.request.get(f"{browser.demo.url}/scorecards/{published_card}/page1.png").body()
    )

    # HR: the published ones only; no build form, no drafts, no job pages.
    hr_context, hr = open_browser(chromium, "hr-scorecards", browser.demo)
    try:
        hr.sign_in("hr.dana")
        try:
            for lang in LANGS:
                hr.goto("/scorecards")
                if hr.page.get_attribute("html", "lang") != lang:
                    switch_language(hr, lang)
                assert not hr.page.is_visible("[data-testid=build-form]")
                assert hr.page.locator("[data-testid=card-row][data-status=draft]").count() == 0
                assert hr.page.locator("[data-testid=card-row]").count() >= len(published)
                hr.look(f"hr-list-{lang}")
            hr.goto(job_url.removeprefix(browser.demo.url), status=403)
            hr.look("hr-job-forbidden")
        finally:
            hr.goto("/scorecards")
            switch_language(hr, "ru")
        assert hr.console_errors() == []
    finally:
        hr_context.close()
