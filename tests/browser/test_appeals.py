"""Appeals in a real browser: a unit manager files an appeal with a photo; a quality lead previews the
decision's effect and overturns the item; the visit and the unit's figure show the new score. Every
page in Russian and Kazakh, checked through the API as well; another unit's visit is 404.

The demo server is shared: this journey makes its own visit of ALM-021 (no other browser test uses
that unit) and its own unit managers.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from PIL import Image

from tests.browser.conftest import ALMATY, Browser, Demo, branch_index, branch_visit, open_browser, push
from tests.browser.test_pages import switch_language

pytestmark = pytest.mark.browser

UNIT, OTHER_UNIT = "ALM-021", "ALM-014"
PASSWORD = "a long appeal-journey password"


def photo() -> bytes:
    """A phone's photo: a JPEG with EXIF naming the camera."""
    image = Image.new("RGB", (320, 240), (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def unit_manager(demo: Demo, units: list[str]) -> str:
    """A new unit manager of `units` with a console password; their name."""
    name = f"um.{uuid.uuid4().hex[:8]}"
    with demo.api("admin") as admin:
        made = admin.post("/v1/users", json={"name": name, "role": "unit_manager", "units": units})
        assert made.status_code == 201, made.text
        assert admin.put(f"/v1/users/{name}/password", json={"password": PASSWORD}).status_code == 204
    return name


def approved_visit_with_a_failed_item(demo: Demo) -> tuple[str, str]:
    """An approved visit of UNIT today whose first yes/no item fails; (submission id, that item)."""
    index = branch_index()
    visit = branch_visit(UNIT, quality=1.0)
    answer = next(a for a in visit["answers"] if "value" in a and index.items[a["item"]].kind == "yes_no")
    item = index.items[answer["item"]]
    answer["value"] = not (True if item.pass_answer is None else item.pass_answer)
    answer["comment"] = "Не выполнено"
    tablet, client = demo.tablet()
    with client:
        push(tablet, client, [visit], "applied")
    sid = visit["submission_id"]
    with demo.api("qlead.saule") as lead:
        heads = demo.document(sid)["heads"]
        decided = lead.post(f"/v1/submissions/{sid}/review", json={"decision": "approve", "heads": heads})
        assert decided.status_code == 200, decided.text
    return sid, answer["item"]


def test_an_appeal_is_filed_with_a_photo_decided_and_the_visit_shows_the_new_score(browser: Browser, chromium):
    demo, page = browser.demo, browser.page
    sid, item = approved_visit_with_a_failed_item(demo)
    manager = unit_manager(demo, [UNIT])
    before = demo.document(sid)["scores"]["visit"]

    # The unit manager's home: their unit's figures and the month's visits; then the visit.
    browser.sign_in(manager, PASSWORD)
    assert page.url == f"{demo.url}/"  # a unit manager's home is their units' results
    assert page.is_visible(f"[data-testid=unit-row][data-unit='{UNIT}']")
    assert "auditor." not in page.content()
    browser.look("my home ru")
    switch_language(browser, "kk")
    browser.look("my home kk")
    switch_language(browser, "ru")
    browser.submit(f"[data-testid='open-{sid}']")
    assert page.url.endswith(f"/my/visits/{sid}")
    assert page.get_attribute(f"[data-testid=answer][data-item='{item}'] [data-outcome]", "data-outcome") == "fail"
    assert "auditor." not in page.content()
    browser.look("my visit ru")

    # A refusal first (no claim): shown on the page, nothing filed.
    page.check(f"[data-testid='pick-{item}']")
    browser.expect_status(400)
    browser.submit("[data-testid=file-appeal]")
    assert page.is_visible(f"[data-testid='problem-{item}']")
    browser.look("appeal refused ru")

    # Filed with a claim and a photo.
    page.check(f"[data-testid='pick-{item}']")
    page.fill(f"[data-testid='claim-{item}']", "Сотрудник выполнил требование: см. фото")
    page.set_input_files(
        f"[data-testid='files-{item}']", files=[{"name": "hall.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    browser.submit("[data-testid=file-appeal]")
    assert page.is_visible("[data-testid=flash]")
    assert page.get_attribute(f"[data-testid=answer][data-item='{item}'] [data-state]", "data-state") == "open"
    thumb = page.locator("[data-testid=visit-appeal] [data-testid=photo] img").first
    # The photo is redrawn without its metadata when asked for: on a loaded machine it may still be
    # loading when the page is; wait for it to finish (a broken image never gets a width).
    loaded = (
        "img => img.complete ? img.naturalWidth > 0 : new Promise(done => {"
        " img.onload = () => done(img.naturalWidth > 0); img.onerror = () => done(false); })"
    )
    assert thumb.evaluate(loaded), "the appeal's photo does not show"
    browser.look("appeal filed ru")
    switch_language(browser, "kk")
    browser.look("my visit kk")
    with demo.api("qlead.saule") as lead:
        (appeal,) = [
            a for a in lead.get("/v1/appeals", params={"unit_id": UNIT}).json()["items"] if a["submission_id"] == sid
        ]
    assert appeal["status"] == "open" and appeal["filed_by"] == manager
    assert [i["item"] for i in appeal["items"]] == [item] and len(appeal["items"][0]["evidence"]) == 1

    # A manager of another unit gets 404 for this visit.
    other_context, other = open_browser(chromium, "other-unit-manager", demo)
    try:
        other.sign_in(unit_manager(demo, [OTHER_UNIT]), PASSWORD)
        other.goto(f"/my/visits/{sid}", status=404)
        assert other.console_errors() == []
    finally:
        other_context.close()

    # The quality lead: the queue, the decision page, the preview, the decision.
    lead_context, lead = open_browser(chromium, "appeal-lead", demo)
    try:
        lead.sign_in("qlead.saule", next_path="/appeals")
        lp = lead.page
        assert lp.url.endswith("/appeals")
        assert lp.is_visible("[data-testid=nav-appeals-count]")
        assert lp.is_visible(f"[data-testid=appeal-row][data-appeal='{appeal['id']}']")
        lead.look("appeals queue ru")
        switch_language(lead, "kk")
        lead.look("appeals queue kk")
        switch_language(lead, "ru")
        lead.submit(f"[data-testid='open-{appeal['id']}']")
        assert lp.is_visible("[data-testid=claim]")
        lead.look("appeal ru")
        lp.check(f"[data-testid='outcome-{item}-overturned']")
        lp.fill(f"[data-testid='reason-{item}']", "Фото подтверждает: требование выполнено")
        lp.select_option(f"[data-testid='value-{item}']", "true")
        lead.submit("[data-testid=preview]")
        assert lp.is_visible("[data-testid=effect]")
        after_text = lp.inner_text("[data-testid=effect-after]")
        lead.look("appeal preview ru")
        switch_language(lead, "kk")
        lead.look("appeal kk")
        # The language switch reloads the page: preview again, then save.
        lp.check(f"[data-testid='outcome-{item}-overturned']")
        lp.fill(f"[data-testid='reason-{item}']", "Фото подтверждает: требование выполнено")
        lp.select_option(f"[data-testid='value-{item}']", "true")
        lead.submit("[data-testid=preview]")
        lead.look("appeal preview kk")
        lead.submit("[data-testid=save]")
        assert lp.is_visible("[data-testid=flash]")
        assert lp.get_attribute("[data-testid=outcome]", "data-outcome") == "overturned"
        lead.look("appeal decided kk")
        assert lead.console_errors() == []
    finally:
        lead_context.close()

    # Through the API: decided, the visit changed by the overturn, still approved.
    doc = demo.document(sid)
    assert doc["status"] == "approved" and doc["scores"]["visit"] > before
    assert after_text.split()[0].replace(",", ".") == f"{doc['scores']['visit']:.2f}"
    with demo.api("qlead.saule") as lead_api:
        assert lead_api.get(f"/v1/appeals/{appeal['id']}").json()["status"] == "decided"
        month = f"{dt.datetime.now(ALMATY):%Y-%m}"
        (figure,) = lead_api.get("/v1/scores/units", params={"period": month, "unit_id": UNIT}).json()["items"]

    # The unit manager sees the new score on the visit and the unit's figure on the home page.
    page.reload()
    assert page.get_attribute(f"[data-testid=answer][data-item='{item}'] [data-state]", "data-state") == "overturned"
    assert page.inner_text("[data-testid=visit-score]").split()[0].replace(",", ".") == f"{doc['scores']['visit']:.2f}"
    browser.look("visit after the decision kk")
    browser.goto("/")
    shown = page.inner_text(f"[data-testid=unit-row][data-unit='{UNIT}'] [data-testid=unit-score]")
    assert shown.split()[0].replace(",", ".") == f"{figure['visit_score']:.2f}"
