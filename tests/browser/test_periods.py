"""HR's month end in a real browser: a month closed through the page is the API's snapshot, a month typed
wrong closes nothing, the XLSX download carries the snapshot's hash; every page in Russian and Kazakh.

The demo server is shared by every browser test: the month closed here is one before the demo's own
closed month, which no other test uses; if it was closed already, the one before it is taken.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from server.periods import previous_period
from tests.browser.conftest import ALMATY, Browser, Demo
from tests.browser.test_pages import switch_language

pytestmark = pytest.mark.browser

LANGS = ("ru", "kk")


def this_month() -> str:
    return f"{dt.datetime.now(ALMATY):%Y-%m}"


def open_ended_month(demo: Demo) -> str:
    """A month that has ended and is not closed: before the demo's closed month (last month)."""
    period = previous_period(previous_period(this_month()))
    with demo.api("hr.dana") as hr:
        while hr.get(f"/v1/periods/{period}/snapshot").status_code != 404:
            period = previous_period(period)
    return period


def test_hr_closes_a_month_and_the_api_has_the_same_snapshot(browser: Browser):
    demo, page = browser.demo, browser.page
    period = open_ended_month(demo)
    browser.sign_in("hr.dana")
    assert page.url.endswith("/periods")  # HR starts at the month end
    assert page.is_visible(f"[data-testid=closed-{previous_period(this_month())}]")  # the demo's closed month
    browser.look("month list")
    page.fill("[data-testid=goto-month]", period)  # a month without visits is not listed: HR opens it by name
    browser.submit("[data-testid=goto-submit]")
    assert page.url.endswith(f"/periods/{period}")
    assert page.is_visible("[data-testid=close-form]")
    rows = int(page.get_attribute("[data-testid=close-summary]", "data-rows") or 0)
    browser.look("open month before the close")

    # A month typed wrong refuses and closes nothing.
    page.fill("[data-testid=confirm]", previous_period(period))
    browser.submit("[data-testid=close-submit]")
    assert page.is_visible("[data-testid=close-error]")
    assert previous_period(period) in page.inner_text("[data-testid=close-error]")
    with demo.api("hr.dana") as hr:
        assert hr.get(f"/v1/periods/{period}/snapshot").status_code == 404
    browser.look("wrong month typed")

    page.fill("[data-testid=confirm]", period)
    browser.submit("[data-testid=close-submit]")
    assert page.is_visible("[data-testid=flash]") and page.is_visible("[data-testid=snapshot]")
    shown_hash = page.inner_text("[data-testid=snapshot-hash]").strip()
    with demo.api("hr.dana") as hr:
        snapshot = hr.get(f"/v1/periods/{period}/snapshot").json()
    assert snapshot["sha256"] == shown_hash and snapshot["closed_by"] == "hr.dana"
    assert page.inner_text("[data-testid=snapshot-id]").strip() == snapshot["snapshot_id"]
    assert len(snapshot["rows"]) == rows
    browser.look("month closed")

    # The workbook HR downloads names its snapshot.
    from openpyxl import load_workbook

    with page.expect_download() as download:
        page.click("[data-testid=file-xlsx]")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == [f"snapshot-{period}", "snapshot"]
    facts = [cell.value for row in book["snapshot"].iter_rows() for cell in row]
    assert snapshot["sha256"] in facts and snapshot["snapshot_id"] in facts
    header = [cell.value for cell in book.worksheets[0][1]]
    assert header[:2] == ["Табельный номер", "Сотрудник"]
    assert book.worksheets[0].max_row == len(snapshot["rows"]) + 1


def test_every_month_end_page_in_russian_and_kazakh(browser: Browser):
    page = browser.page
    closed = previous_period(this_month())  # the demo closes last month
    browser.sign_in("hr.dana")
    try:
        for lang in LANGS:
            switch_language(browser, lang)
            browser.look(f"periods-{lang}")
            browser.goto(f"/periods/{this_month()}")
            assert page.is_visible("[data-testid=not-closable]")  # this month has not ended
            assert page.is_visible("[data-testid=waiting]")  # the demo leaves half of it unreviewed
            browser.look(f"current-month-{lang}")
            browser.goto(f"/periods/{closed}")
            assert page.is_visible("[data-testid=snapshot]")
            browser.look(f"closed-month-{lang}")
            browser.goto(f"/periods/{this_month()}?page=2")
            browser.look(f"current-month-page-2-{lang}")
            browser.goto("/periods/2026-13", status=400)
            browser.look(f"bad-month-{lang}")
            browser.goto("/periods")
    finally:
        browser.goto("/periods")
        switch_language(browser, "ru")


def test_the_quality_lead_follows_what_blocks_the_close(browser: Browser):
    page = browser.page
    browser.sign_in("qlead.saule", next_path=f"/periods/{this_month()}")
    assert page.is_visible("[data-testid=close-not-yours]") and not page.is_visible("[data-testid=close-form]")
    browser.look("month end as the quality lead")
    link = page.locator("[data-testid^=waiting-link-]").first
    status = link.get_attribute("data-testid").removeprefix("waiting-link-")
    with page.expect_navigation():
        link.click()
    assert "/review?" in page.url and f"status={status}" in page.url and f"period={this_month()}" in page.url
    assert page.locator("[data-testid=row]").count() > 0
    browser.look("the queue the month end links to")
