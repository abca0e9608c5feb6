"""Administration of the directory, checklists and policies in a real browser.

An admin uploads a CSV file with one bad row: the preview names its line and column, and the API
shows that nothing was written; the fixed file previews clean and imports (the API lists the new
units). The admin views a checklist diff. Every page is looked at in ru and kk (no console error,
no serious axe finding, a screenshot). Unit ids are `TST-95x`, used by no other browser test.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import Browser
from tests.browser.test_pages import switch_language

pytestmark = pytest.mark.browser

LANGS = ("ru", "kk")
BAD = "unit_id;kind;name;region\nTST-951;branch;Тест Бір;Алматы\nTST-952;kiosk;Тест Екі;Алматы\n"
FIXED = BAD.replace("kiosk", "contact_centre")


def upload(browser: Browser, text: str, name: str) -> None:
    """Choose units, attach the file, and send it: the browser lands on the preview."""
    page = browser.page
    browser.goto("/admin/directory/import?entity=units")
    page.check("[data-testid=entity-units]")
    page.set_input_files(
        "[data-testid=csv-file]", files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}]
    )
    browser.submit("[data-testid=upload]")
    assert "/admin/directory/import/" in page.url


def units_known(browser: Browser) -> set[str]:
    with browser.demo.api("admin") as api:
        found = set()
        for unit_id in ("TST-951", "TST-952"):
            answer = api.get(f"/v1/units/{unit_id}")
            assert answer.status_code in (200, 404), answer.text
            if answer.status_code == 200:
                found.add(unit_id)
        return found


def test_an_admin_imports_a_csv_fixes_a_bad_row_and_views_a_checklist_diff(browser: Browser):
    page = browser.page
    browser.sign_in("admin", next_path="/admin/directory/units")
    pages = [
        ("units", "/admin/directory/units"),
        ("units-search", "/admin/directory/units?q=%D0%B0%D0%BB%D0%BC%D0%B0%D1%82%D1%8B"),  # "алматы"
        ("staff", "/admin/directory/staff"),
        ("assignments", "/admin/directory/assignments"),
        ("import", "/admin/directory/import"),
        ("checklists", "/admin/checklists"),
        ("checklist-version", "/admin/checklists/branch/2"),
        ("checklist-retire-confirm", "/admin/checklists/branch/1/retire"),
        ("checklist-publish", "/admin/checklists/publish"),
        ("policies", "/admin/policies"),
        ("policy-version", "/admin/policies/default/1"),
        ("policy-diff", "/admin/policies/default/diff?a=1&b=1"),  # the demo has one version
        ("policy-publish", "/admin/policies/publish"),
    ]
    try:
        for lang in LANGS:
            browser.goto("/admin/directory/units")
            switch_language(browser, lang)
            for name, path in pages:
                browser.goto(path)
                assert page.get_attribute("html", "lang") == lang
                browser.look(f"{name}-{lang}")

            # A file with one bad row: the preview names line 3, column kind; nothing is written.
            upload(browser, BAD, f"units-{lang}.csv")
            problem = page.locator("[data-testid=problem]")
            assert problem.count() == 1
            assert problem.get_attribute("data-line") == "3" and problem.get_attribute("data-column") == "kind"
            assert page.locator("[data-testid=confirm-form]").count() == 0
            browser.look(f"import-problems-{lang}")
            assert units_known(browser) == set()

            # The fixed file previews clean: two new rows, still nothing written until confirmed.
            upload(browser, FIXED, f"units-fixed-{lang}.csv")
            states = page.locator("[data-testid=preview-row]")
            assert states.count() == 2
            assert {states.nth(i).get_attribute("data-state") for i in range(2)} == {"new"}
            browser.look(f"import-preview-{lang}")
            assert units_known(browser) == set()

            # The diff of the shipped branch checklist's two versions, picked on the list.
            browser.goto("/admin/checklists")
            browser.submit("[data-testid=diff-branch]")
            assert "/admin/checklists/branch/diff" in page.url
            rows = page.locator("[data-testid=change]")
            assert rows.count() > 0
            assert page.locator("[data-testid=diff-table] thead").inner_text().count("v") >= 2
            browser.look(f"checklist-diff-{lang}")

        # Confirm the last clean preview: the API lists the new units.
        upload(browser, FIXED, "units-fixed.csv")
        browser.submit("[data-testid=confirm-import]")
        assert page.url.endswith("/admin/directory/units?imported=2")
        assert page.locator("[data-testid=imported]").is_visible()
        with browser.demo.api("admin") as api:
            listed = api.get("/v1/units", params={"limit": 1000}).json()["items"]
        by_id = {u["unit_id"]: u for u in listed}
        assert by_id["TST-951"]["name"] == "Тест Бір" and by_id["TST-952"]["kind"] == "contact_centre"
        browser.goto("/admin/directory/units?q=tst-95")
        assert page.locator("[data-testid=row]").count() == 2
        browser.look("units-after-import")
    finally:
        browser.goto("/admin/directory/units")
        switch_language(browser, "ru")
