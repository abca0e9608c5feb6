"""Assignment plans in a real browser: a quality lead opens Plans from the navigation, sends a policy
with a mistake (every problem listed, the text kept), corrects it, reads the draft's warnings and
summaries, publishes it, and reads the month's coverage. Every page in Russian and Kazakh, with
axe; HR gets the 403 page. The plan is for a far month, so no other journey's tablet sees its
assignments.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import Browser, open_browser
from tests.browser.test_pages import switch_language

pytestmark = pytest.mark.browser

LANGS = ("ru", "kk")
FAR = "2098-01"  # a month no other journey touches


def set_period(browser: Browser, period: str) -> None:
    """Put `period` into the policy text's `period = "..."` line."""
    text = browser.page.input_value("[data-testid=policy-text]")
    lines = [f'period = "{period}"' if line.startswith("period = ") else line for line in text.splitlines()]
    browser.page.fill("[data-testid=policy-text]", "\n".join(lines) + "\n")


def test_a_lead_drafts_publishes_and_follows_a_plan(browser: Browser, chromium):
    demo, page = browser.demo, browser.page
    browser.sign_in("qlead.saule")
    try:
        browser.goto("/review")
        with page.expect_navigation():
            page.click("[data-testid=nav-plans]")
        assert page.get_attribute("[data-testid=nav-plans]", "aria-current") == "page"
        assert 'period = "' in page.input_value("[data-testid=policy-text]")
        for lang in LANGS:
            switch_language(browser, lang)
            browser.look(f"plans-{lang}")

        # A month that does not exist: the problem with its path, the text as typed.
        browser.goto(f"/plans?period={FAR}")
        set_period(browser, "2098-13")
        typed = page.input_value("[data-testid=policy-text]")
        browser.expect_status(400)
        browser.submit("[data-testid=draft-submit]")
        assert page.locator("[data-testid=problem]").count() >= 1
        assert page.get_attribute("[data-testid=problem]", "data-path") == "period"
        assert page.input_value("[data-testid=policy-text]") == typed
        browser.look("plans-problems-kk")

        # Corrected, it drafts; the plan page leads with its warnings.
        set_period(browser, FAR)
        browser.submit("[data-testid=draft-submit]")
        assert "/plans/" in page.url and "done=drafted" in page.url
        plan_id = page.url.split("/plans/")[1].split("?")[0]
        assert page.get_attribute("[data-testid=status]", "data-status") == "draft"
        assert page.locator("[data-testid=visit-row]").count() > 0
        assert page.locator("[data-testid=unit-row]").count() > 0
        with demo.api("qlead.saule") as lead:
            plan = lead.get(f"/v1/plans/{plan_id}").json()
        assert page.locator("[data-testid=visit-row]").count() == len(plan["visits"])
        for lang in LANGS:
            switch_language(browser, lang)
            browser.look(f"plan-draft-{lang}")

        browser.submit("[data-testid=publish]")
        assert page.locator("[data-testid=published]").is_visible()
        assert page.locator("[data-testid=publish]").count() == 0
        with demo.api("qlead.saule") as lead:
            assert lead.get(f"/v1/plans/{plan_id}").json()["status"] == "published"
        browser.look("plan-published-kk")

        # The coverage of the far month (all planned, nothing done) and of this month (the demo's visits).
        browser.goto(f"/plans/coverage?period={FAR}")
        assert page.locator("[data-testid=coverage-row]").count() == len(plan["units"])
        assert page.locator("[data-testid=coverage-row][data-mark=below]").count() == len(plan["units"])
        for lang in LANGS:
            switch_language(browser, lang)
            browser.look(f"coverage-far-{lang}")
        browser.goto("/plans/coverage")
        assert page.locator("[data-testid=coverage-row]").count() > 0
        for lang in LANGS:
            switch_language(browser, lang)
            browser.look(f"coverage-now-{lang}")
    finally:
        switch_language(browser, "ru")

    hr_context, hr = open_browser(chromium, "plans-hr", demo)
    try:
        hr.sign_in("hr.dana")
        assert hr.page.locator("[data-testid=nav-plans]").count() == 0
        hr.goto("/plans", status=403)
        hr.look("plans-forbidden-hr")
    finally:
        hr_context.close()
