"""The console's journeys in a real browser, each checked through the API as well as on the page.

A quality lead signs in and out; a wrong password is refused without saying which part was
wrong, and repeated failures are throttled; a form whose CSRF token was tampered with changes
nothing; an idle session ends; a lead approves a visit, resolves a conflict two tablets made,
corrects an answer (the tablet's next pull carries it) and approves rows in bulk (a row that
changed meanwhile is reported, not approved); HR and auditors never reach the review pages.
Every page: no error in the browser's console, no serious or critical axe finding.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.browser.conftest import (
    Browser,
    Demo,
    branch_index,
    branch_visit,
    edit,
    open_browser,
    push,
    start_demo,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def strict(tools, tmp_path_factory) -> Iterator[Demo]:
    """A demo server of its own, where sessions end after 3 idle seconds and sign-ins fail on purpose."""
    server, running = start_demo(tmp_path_factory.mktemp("strict") / "var", TEKSERU_SESSION_IDLE_MINUTES="0.05")
    try:
        yield running
    finally:
        server.stop()


@pytest.fixture
def strict_browser(chromium, strict, request) -> Iterator[Browser]:
    context, watched = open_browser(chromium, request.node.name, strict)
    try:
        yield watched
        assert watched.console_errors() == [], "errors in the browser's console"
    finally:
        context.close()


def received_visit(demo: Demo, unit_id: str = "AKT-001", **answers: object) -> tuple[dict, list[str]]:
    """A visit a tablet just sent (status `received`): the revision and its heads."""
    tablet, client = demo.tablet()
    visit = branch_visit(unit_id)
    for item, value in answers.items():
        next(a for a in visit["answers"] if a["item"] == item).update(value=value)
    with client:
        (receipt,) = push(tablet, client, [visit], "applied")
    assert demo.document(visit["submission_id"])["status"] == "received"
    return visit, receipt["heads"]


def refused(browser: Browser, answer) -> bool:
    """A sign-in was refused: the form again with its message, no session."""
    page = browser.page
    return (
        answer.status in (200, 401)
        and "/login" in page.url
        and page.is_visible("[data-testid=login-error]")
        and not page.is_visible("[data-testid=signed-in-user]")
    )


def yes_no_answer(visit: dict) -> dict:
    """The first yes/no answer of the visit that has a value."""
    index = branch_index()
    return next(a for a in visit["answers"] if "value" in a and index.items[a["item"]].kind == "yes_no")


# --- signing in and out --------------------------------------------------------------------------


def test_sign_in_go_to_the_queue_and_sign_out(browser: Browser):
    page = browser.page
    browser.goto("/review")
    assert re.search(r"/login\?next=/review$", page.url), page.url
    assert page.get_attribute("[data-testid=login-username]", "autocomplete") == "username"
    assert page.get_attribute("[data-testid=login-password]", "autocomplete") == "current-password"
    browser.look("login form")

    browser.submit_sign_in("qlead.saule", browser.demo.passwords["qlead.saule"])
    assert page.url.endswith("/review"), page.url
    assert "qlead.saule" in page.inner_text("[data-testid=signed-in-user]")
    browser.look("queue after sign-in")

    browser.sign_out()
    assert "/login" in page.url
    assert page.is_visible("[data-testid=login-notice]")
    browser.look("signed out")
    browser.goto("/review")
    assert "/login" in page.url, "the session ended with the sign-out"


def test_a_wrong_password_is_refused_then_throttled(strict_browser: Browser):
    browser, page = strict_browser, strict_browser.page
    right = browser.demo.passwords["hr.dana"]
    browser.goto("/login")
    browser.expect_status(401)  # a refusal may answer 401 (the browser logs it) or show the form again
    assert refused(browser, browser.submit_sign_in("hr.dana", "not the password at all"))
    wrong_password = page.inner_text("[data-testid=login-error]")
    browser.look("wrong password")
    assert refused(browser, browser.submit_sign_in("nobody.here", "not the password at all"))
    assert page.inner_text("[data-testid=login-error]") == wrong_password, "the answer says which part was wrong"

    # Failures past the free ones make the next attempt wait (1, 2, 4... s); an attempt that comes
    # too early is refused whatever the password, and says so.
    browser.expect_status(429)
    failures, deadline = 1, time.monotonic() + 30
    while failures < 5 and time.monotonic() < deadline:
        if browser.submit_sign_in("hr.dana", "still not the password").status != 429:
            failures += 1
    assert failures == 5
    answer = browser.submit_sign_in("hr.dana", right)
    assert answer.status == 429, "a throttled user name signed in"
    assert "/login" in page.url and page.is_visible("[data-testid=login-error]")
    assert page.inner_text("[data-testid=login-error]") != wrong_password
    browser.look("throttled")


def test_an_idle_session_ends(strict_browser: Browser):
    browser, page = strict_browser, strict_browser.page
    browser.sign_in("qlead.saule", next_path="/review")
    assert page.url.endswith("/review")
    # The session ends 3 s after its last use (TEKSERU_SESSION_IDLE_MINUTES=0.05): wait for that.
    deadline = time.monotonic() + 20
    while "/login" not in page.url and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        browser.goto("/review")
    assert "/login" in page.url, "the idle session did not end"
    browser.look("after the session ended")


def test_a_form_with_a_tampered_csrf_token_changes_nothing(browser: Browser):
    visit, _ = received_visit(browser.demo)
    sid = visit["submission_id"]
    browser.sign_in("qlead.saule", next_path=f"/review/{sid}")
    page = browser.page
    assert f"/review/{sid}" in page.url
    page.eval_on_selector(
        "[data-testid=decision-form] input[name=csrf_token]", "input => { input.value = input.value + 'x'; }"
    )
    browser.expect_status(403)
    browser.submit("[data-testid=approve]")
    assert page.is_visible("[data-testid=error-status]")
    assert sid not in page.inner_text("main") and "AKT-001" not in page.content()
    browser.look("csrf refused")
    doc = browser.demo.document(sid)
    assert doc["status"] == "received" and doc["review"] is None


# --- reviewing ------------------------------------------------------------------------------------


def test_a_lead_approves_a_visit(browser: Browser):
    visit, heads = received_visit(browser.demo)
    sid = visit["submission_id"]
    browser.sign_in("qlead.saule", next_path=f"/review/{sid}")
    page = browser.page
    assert page.get_attribute("[data-testid=status]", "data-status") == "received"
    browser.look("visit before approval")
    browser.submit("[data-testid=approve]")
    assert page.is_visible("[data-testid=flash]")
    assert page.get_attribute("[data-testid=status]", "data-status") == "approved"
    browser.look("visit approved")
    doc = browser.demo.document(sid)
    assert doc["status"] == "approved"
    assert doc["review"]["decision"] == "approve" and doc["review"]["reviewer"] == "qlead.saule"
    assert doc["review"]["heads"] == heads


def test_a_lead_resolves_a_conflict_two_tablets_made(browser: Browser):
    demo = browser.demo
    first, first_client = demo.tablet()
    second, second_client = demo.tablet()  # the same auditor's other tablet
    base = branch_visit("AST-005")
    scale = next(a for a in base["answers"] if a["item"] == "BR-30.1")
    scale.update(value=3)
    commented = yes_no_answer(base)["item"]
    with first_client, second_client:
        push(first, first_client, [base], "applied")
        push(first, first_client, [edit(base, [base["rev_id"]], **{"BR-30.1": 5, f"{commented}:comment": "А"})])
        push(second, second_client, [edit(base, [base["rev_id"]], **{"BR-30.1": 2, f"{commented}:comment": "Б"})])
    sid = base["submission_id"]
    before = demo.document(sid)
    assert len(before["heads"]) == 2 and before["status"] == "needs_review"
    losing = {c["field"]: c["losing"][0]["value"] for c in before["conflicts"]}
    assert set(losing) == {"answers[BR-30.1].value", f"answers[{commented}].comment"}

    browser.sign_in("qlead.saule", next_path=f"/review/{sid}")
    page = browser.page
    assert page.locator("[data-testid=conflict]").count() == 2
    browser.look("visit with a conflict")
    for n in range(2):  # pick the value that lost the merge, in every conflicting field
        page.check(f"[data-testid=pick-{n}-1]")
    browser.submit("[data-testid=resolve]")
    assert page.is_visible("[data-testid=flash]"), page.inner_text("main")[:500]
    browser.look("conflict resolved")

    after = demo.document(sid)
    assert len(after["heads"]) == 1 and after["conflicts"] == []
    answers = {a["item"]: a for a in after["view"]["answers"]}
    assert [answers["BR-30.1"]["value"], answers["BR-30.1"]["na"]] == losing["answers[BR-30.1].value"]
    assert answers[commented]["comment"] == losing[f"answers[{commented}].comment"]
    with demo.api("qlead.saule") as lead:
        revisions = lead.get(f"/v1/submissions/{sid}/revisions").json()["items"]
    resolving = revisions[-1]
    assert resolving["rank"] == "reviewer" and sorted(resolving["parents"]) == sorted(before["heads"])


def test_a_correction_reaches_the_tablet(browser: Browser):
    demo = browser.demo
    tablet, client = demo.tablet()
    visit = branch_visit("AST-011")
    answer = yes_no_answer(visit)
    with client:
        push(tablet, client, [visit], "applied")
        _, cursor = tablet.pull_all(client)
        sid, item = visit["submission_id"], answer["item"]
        browser.sign_in("qlead.saule", next_path=f"/review/{sid}")
        page = browser.page
        browser.submit(f'[data-testid="edit-{item}"]')
        assert page.is_visible("[data-testid=correct-form]")
        browser.look("correction form")
        corrected = not answer["value"]
        page.select_option("#correct-value", "true" if corrected else "false")
        page.fill("#correct-comment", "Исправлено по записи звонка")
        page.fill("[data-testid=correct-note]", "Аудитор ошибся, см. запись")
        browser.submit("[data-testid=correct]")
        assert page.is_visible("[data-testid=flash]"), page.inner_text("main")[:500]
        browser.look("answer corrected")

        changes, _ = tablet.pull_all(client, cursor)
    mine = [c for c in changes if c["id"] == sid]
    assert mine, "the tablet's pull does not carry the corrected visit"
    pulled = {a["item"]: a for a in mine[-1]["data"]["view"]["answers"]}
    assert pulled[item]["value"] is corrected
    assert pulled[item]["comment"] == "Исправлено по записи звонка"


def test_bulk_approval_reports_a_row_that_changed_meanwhile(browser: Browser):
    demo = browser.demo
    tablet, client = demo.tablet()
    visits = [branch_visit("SHY-004") for _ in range(3)]
    with client:
        push(tablet, client, visits, "applied")
        browser.sign_in("qlead.saule", next_path="/review?unit=SHY-004&sort=newest")
        page = browser.page
        browser.look("queue filtered by unit")
        for v in visits:
            page.check(f'[data-testid="pick-{v["submission_id"]}"]')
        # Meanwhile the auditor's tablet sends an edit of the third visit.
        changed = visits[2]
        push(
            tablet, client, [edit(changed, [changed["rev_id"]], **{yes_no_answer(changed)["item"] + ":comment": "ой"})]
        )
    page.on("dialog", lambda dialog: dialog.accept())
    browser.submit("[data-testid=approve-selected]")
    browser.look("bulk approval report")
    assert "2" in page.inner_text("[data-testid=report-approved]")
    assert page.locator("[data-testid=report-changed] li").count() == 1
    assert page.is_visible(f'[data-testid="changed-{changed["submission_id"]}"]')
    for v in visits[:2]:
        assert demo.document(v["submission_id"])["status"] == "approved"
    doc = demo.document(changed["submission_id"])
    assert doc["status"] == "received" and doc["review"] is None


def test_the_queue_by_keyboard(browser: Browser):
    demo = browser.demo
    tablet, client = demo.tablet("auditor.daulet")
    visits = [branch_visit("KRG-003") for _ in range(2)]
    with client:
        push(tablet, client, visits, "applied")
    browser.sign_in("qlead.saule", next_path="/review?unit=KRG-003&auditor=auditor.daulet")
    page = browser.page
    order = page.eval_on_selector_all("tr[data-submission]", "rows => rows.map(r => r.dataset.submission)")
    first, second = sorted(order.index(v["submission_id"]) for v in visits)
    assert page.is_visible("[data-testid=select-all]"), "the select-all box shows once the script runs"
    # j to a row and x to select it, to the other one and x, back with k and x to unselect the first
    keys = "j" * (first + 1) + "x" + "j" * (second - first) + "x" + "k" * (second - first) + "x"
    for key in keys:
        page.keyboard.press(key)
    assert page.is_checked(f'[data-testid="pick-{order[second]}"]')
    assert not page.is_checked(f'[data-testid="pick-{order[first]}"]')
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        page.keyboard.press("a")  # approve the selection, after a yes
    assert asked and "1" in asked[0]
    assert "1" in page.inner_text("[data-testid=report-approved]")
    browser.look("approved by keyboard")
    assert demo.document(order[second])["status"] == "approved"
    assert demo.document(order[first])["status"] == "received"
    top = page.eval_on_selector("tr[data-submission]", "row => row.dataset.submission")
    with page.expect_navigation():
        page.keyboard.press("j")
        page.keyboard.press("o")
    assert page.url.endswith(f"/review/{top}")


# --- who may see the review pages ---------------------------------------------------------------


def test_hr_and_auditors_cannot_reach_the_review_pages(browser: Browser, chromium):
    demo = browser.demo
    visit, _ = received_visit(demo, "KRG-006")
    sid = visit["submission_id"]
    browser.sign_in("hr.dana")
    page = browser.page
    browser.look("hr home")
    for path in ("/review", f"/review/{sid}", "/review?status=approved"):
        browser.goto(path, status=403)
        assert page.is_visible("[data-testid=error-status]")
        # Nothing of the visit: the page names only what the address bar already says.
        content, shown = page.content(), page.inner_text("main")
        assert sid not in shown and "KRG-006" not in content and "auditor." not in content, path
    browser.look("hr refused")
    # An approval an HR session sends is refused as well, and changes nothing.
    answer = page.request.post(
        f"{demo.url}/review/{sid}/decision", form={"decision": "approve", "heads": visit["rev_id"]}
    )
    assert answer.status == 403 and demo.document(sid)["status"] == "received"

    # Auditors keep their tablets: the sign-in refuses them as it refuses a wrong password, and the
    # console does not take their bearer token.
    context, auditor = open_browser(chromium, "auditor", demo)
    try:
        auditor.goto("/login")
        auditor.expect_status(401)
        assert refused(auditor, auditor.submit_sign_in("auditor.marina", "whatever-the-auditor-types"))
        auditor.look("auditor refused")
        context.set_extra_http_headers({"Authorization": f"Bearer {demo.tokens['auditor.marina']}"})
        auditor.goto(f"/review/{sid}")
        assert "/login" in auditor.page.url and "KRG-006" not in auditor.page.content()
        assert auditor.console_errors() == []
    finally:
        context.close()
    with httpx.Client(base_url=demo.url) as anonymous:
        assert anonymous.get(f"/review/{sid}").status_code == 303
