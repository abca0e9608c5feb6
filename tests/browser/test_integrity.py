"""Integrity in a real browser: a quality lead filters the queue on a flag, opens the flagged visits
(the sketch of a far fix, both photos side by side, both comments, the other visit), then the page
of every auditor and of one auditor. Every page in Russian and Kazakh, with axe; HR gets the 403
page. The flagged visits are the demo's own (`server.demo.visits.integrity_cases`), named in its log.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import Browser, Demo, open_browser
from tests.browser.test_pages import switch_language

pytestmark = pytest.mark.browser

LANGS = ("ru", "kk")
# The demo's cases, by the words its log names them with, and the flag each raises on that visit.
CASES = {
    "a GPS fix 2.3 km from the unit": "gps_far",
    "one photo in two visits (2)": "photo_reused",
    "a re-encoded copy of that photo": "photo_similar",
    "a photo taken three days before": "exif_time_mismatch",
    "a comment copied between visits (2)": "comment_copied",
    "Almaty, then Astana within the hour (2)": "impossible_travel",
}


def integrity_cases(demo: Demo) -> dict[str, str]:
    """flag code -> the demo's visit that raises it."""
    log = demo.server.log.read_text(encoding="utf-8")
    prefix = "demo: integrity flags to question: "
    line = next(line for line in log.splitlines() if line.startswith(prefix))
    named = dict(re.findall(r"\s*,?\s*(.+?) \(([0-9a-f-]{36})\)", line[len(prefix) :]))
    return {code: named[words] for words, code in CASES.items() if words in named}


def wait_for_flags(demo: Demo, cases: dict[str, str]) -> None:
    """Until every case holds its flag (the cross-visit ones come from the server's background checks)."""
    deadline = time.monotonic() + 60
    while True:
        missing = [
            code
            for code, sid in cases.items()
            if code not in [f["code"] for f in demo.document(sid).get("integrity_flags", [])]
        ]
        if not missing:
            return
        assert time.monotonic() < deadline, f"flags never raised: {missing}"
        time.sleep(0.2)


def photos_loaded(browser: Browser) -> list[bool]:
    page = browser.page
    thumbs = page.locator("[data-testid=integrity-panel] img")
    for n in range(thumbs.count()):
        thumbs.nth(n).scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    return page.eval_on_selector_all(
        "[data-testid=integrity-panel] img", "images => images.map(i => i.complete && i.naturalWidth > 0)"
    )


def test_a_lead_questions_flagged_visits_and_reads_each_auditor(browser: Browser, chromium):
    demo, page = browser.demo, browser.page
    cases = integrity_cases(demo)
    assert set(cases) == set(CASES.values()), cases
    wait_for_flags(demo, cases)
    browser.sign_in("qlead.saule")
    try:
        for lang in LANGS:
            browser.goto("/review?status=needs_review&flag=any")
            switch_language(browser, lang)
            # The queue on "any flag": every case, each row's reasons naming its flags in words.
            assert page.locator("#f-flag").input_value() == "any"
            rows = page.eval_on_selector_all("[data-testid=row]", "rows => rows.map(r => r.dataset.submission)")
            assert set(cases.values()) <= set(rows), rows
            reasons = page.inner_text(f"[data-testid='reasons-{cases['gps_far']}']")
            assert ("GPS далеко от подразделения" if lang == "ru" else "GPS бөлімшеден алыс") in reasons
            browser.look(f"queue-any-flag-{lang}")
            page.select_option("#f-flag", "photo_similar")
            browser.submit("[data-testid=apply-filters]")
            assert "flag=photo_similar" in page.url
            shown = page.eval_on_selector_all("[data-testid=row]", "rows => rows.map(r => r.dataset.submission)")
            assert cases["photo_similar"] in shown and cases["gps_far"] not in shown

            # Each flagged visit's panel.
            for code, sid in cases.items():
                browser.goto(f"/review/{sid}#integrity")
                panel = page.locator(f"[data-testid=integrity-flag][data-code={code}]").first
                assert panel.is_visible(), (code, lang)
                if code == "gps_far":
                    assert page.locator("[data-testid=gps-sketch]").is_visible()
                    assert page.get_attribute("[data-testid=gps-sketch]", "data-direction") == "n"
                if code in ("photo_reused", "photo_similar", "exif_time_mismatch"):
                    loaded = photos_loaded(browser)
                    assert loaded and all(loaded), (code, loaded)
                if code in ("photo_reused", "photo_similar", "comment_copied", "impossible_travel"):
                    assert panel.locator("[data-testid=other-visit]").count() == 1
                if code == "comment_copied":
                    assert panel.locator("[data-testid=comment-theirs]").first.inner_text().strip()
                browser.look(f"visit-{code}-{lang}")

            # Every auditor of the month, then one.
            browser.goto("/integrity")
            assert page.locator("[data-testid=auditor-row]").count() >= 2
            browser.look(f"integrity-{lang}")
            name = page.get_attribute(
                "[data-testid=auditor-row]:has([data-code=gps_far]) [data-testid=auditor-link]", "href"
            )
            browser.goto(name)
            assert page.locator("[data-testid=flagged-row]").count() >= 1
            assert page.locator("[data-testid=month-row]").count() == 6
            browser.look(f"integrity-auditor-{lang}")
            page.click("[data-testid=flagged-row] a")
            page.wait_for_load_state("load")
            assert page.locator("[data-testid=integrity-panel]").is_visible()
            browser.goto("/review")
    finally:
        switch_language(browser, "ru")

    hr_context, hr = open_browser(chromium, "integrity-hr", demo)
    try:
        hr.sign_in("hr.dana")
        assert hr.page.locator("[data-testid=nav-integrity]").count() == 0
        hr.goto("/integrity", status=403)
        hr.look("integrity-forbidden-hr")
        hr.goto(f"/review/{cases['gps_far']}", status=403)
        assert "GPS" not in hr.page.content()
    finally:
        hr_context.close()
