"""The dashboards in a real browser on the demo: the heat map equals the API, every page in ru and kk,
a click from the ranking to a unit and on to a standard, and HR sees the dashboards but not the queue.

    .venv/bin/python -m pytest tests/browser/test_dashboards.py -p no:cacheprovider
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from server.periods import previous_period
from tests.browser.conftest import Browser
from tests.browser.test_pages import switch_language

pytestmark = pytest.mark.browser

LANGS = ("ru", "kk")

CELLS_JS = """() => {
    const codes = [...document.querySelectorAll('table.heatmap th.code')].map(th => th.dataset.code);
    const out = {};
    for (const row of document.querySelectorAll('[data-testid=heat-row]')) {
        [...row.querySelectorAll('td.heat')].forEach((td, i) => {
            if (td.dataset.score === undefined) return;
            const n = td.querySelector('.cell-n').textContent.replace(/[^0-9]/g, '');
            out[row.dataset.unit + '|' + codes[i]] = [parseFloat(td.dataset.score), parseInt(n, 10)];
        });
    }
    return out;
}"""


def last_month() -> str:
    """The demo's last month (its published scorecards' month), in the organisation's zone."""
    return previous_period(f"{dt.datetime.now(ZoneInfo('Asia/Almaty')):%Y-%m}")


def test_heatmap_equals_the_api(browser: Browser):
    period = last_month()
    browser.sign_in("qlead.saule")
    with browser.demo.api("qlead.saule") as lead:
        for basis in ("approved", "provisional"):
            params = {"period": period, "kind": "branch", "basis": basis}
            answer = lead.get("/v1/scores/units", params=params)
            assert answer.status_code == 200, answer.text
            expected = {
                f"{u['unit_id']}|{s['code']}": [s["score"], s["n"]]
                for u in answer.json()["items"]
                for s in u["standards"]
                if s["n"]
            }
            assert expected, "the demo has no figures for last month"
            browser.goto(f"/dashboard/heatmap?period={period}&kind=branch&basis={basis}")
            assert browser.page.evaluate(CELLS_JS) == expected
            badge = browser.page.locator("h1 [data-testid=basis-badge]")
            assert badge.get_attribute("class") == f"basis basis-{basis}"


def test_every_dashboard_in_russian_and_kazakh(browser: Browser):
    page = browser.page
    period = last_month()
    browser.sign_in("qlead.saule")
    browser.goto(f"/dashboard?period={period}&kind=branch")
    first = page.locator("[data-testid=unit-link]").first
    unit_name = first.inner_text()
    with page.expect_navigation():
        first.click()  # from the ranking to the unit
    unit_path = urlsplit(page.url).path
    assert unit_path.startswith("/units/") and page.locator("[data-testid=unit-name]").inner_text() == unit_name
    assert page.locator("[data-testid=trend] svg").count() == 1
    pdf = page.locator("[data-testid=scorecard-pdf]").first  # the demo publishes last month's scorecards
    assert pdf.get_attribute("href").startswith("/scorecards/") and pdf.get_attribute("href").endswith("/pdf")
    staff_link = page.locator("[data-testid=staff-link]").first
    staff_path = urlsplit(staff_link.get_attribute("href")).path
    standard = page.locator("[data-testid=standard-link]").first
    code = standard.inner_text()
    with page.expect_navigation():
        standard.click()  # from the unit to the standard
    assert urlsplit(page.url).path == f"/standards/{code}"
    assert page.locator("[data-testid=standard-name]").inner_text().startswith(code)

    pages = [
        ("dashboard", f"/dashboard?period={period}&kind=branch"),
        ("dashboard-provisional", f"/dashboard?period={period}&kind=contact_centre&basis=provisional"),
        ("heatmap", f"/dashboard/heatmap?period={period}&kind=branch"),
        ("unit", f"{unit_path}?period={period}"),
        ("staff", f"{staff_path}?period={period}"),
        ("standard", f"/standards/{code}?period={period}&kind=branch"),
    ]
    try:
        for lang in LANGS:
            browser.goto("/dashboard")
            switch_language(browser, lang)
            for name, path in pages:
                browser.goto(path)
                assert page.get_attribute("html", "lang") == lang
                browser.look(f"{name}-{lang}")
            browser.goto(f"/units/NO-SUCH-UNIT?period={period}", status=404)
            browser.look(f"unit-not-found-{lang}")
            browser.goto("/dashboard?period=9999-99", status=400)
            browser.look(f"bad-period-{lang}")
    finally:
        browser.goto("/dashboard")
        switch_language(browser, "ru")


def test_hr_sees_the_dashboards_but_not_the_queue(browser: Browser):
    browser.sign_in("hr.dana")
    period = last_month()
    browser.goto(f"/dashboard?period={period}")
    assert browser.page.locator("[data-testid=rank-row]").count() > 0
    assert browser.page.locator("[data-testid=nav-review]").count() == 0
    browser.goto(f"/dashboard/heatmap?period={period}")
    browser.goto("/review", status=403)
