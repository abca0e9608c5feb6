"""The console's appeal pages through the real app: the unit manager's home, visit page and appeal form;
the quality lead's appeals queue and decision page; who may see what.

Every act is checked through the API as well (`GET /v1/appeals/{id}`, `GET /v1/submissions/{id}`):
the console files, withdraws and decides exactly as the API would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
import unicodedata
from urllib.parse import urlsplit

import pytest
from markupsafe import escape
from PIL import Image

from checklists.library import policy_file
from server import clock
from server.appeals import AnswerBefore, AppealItemOut, AppealOut
from server.console import appeals as console_appeals
from server.console import my
from tests.conftest import make_user
from tests.tablet import PASSING, Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
UNIT2 = {"kind": "branch", "name": "ПСС Астана, Кенесары 40", "region": "Астана"}
OCTOBER = "2026-10-15T11:00:00+05:00"
PERIOD = "2026-10"
PASSWORD = "correct horse battery staple"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
# GREET.2 answered 3 of 1..5 fails (pass_at 4): the visit scores 94.44; overturned to 5 it is 100.
POLITE_3 = PASSING | {"GREET.2": 3}
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d\d\b")


def jpeg() -> bytes:
    """A small JPEG carrying EXIF (a camera and a capture time), as a phone's photo would."""
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:10:16 09:41:00"  # DateTime
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


class World:
    """Units U1 and U2, a manager of each, a quality lead, HR, an auditor's tablet, and sign-ins per user."""

    def __init__(self, client, users) -> None:
        self.client = client
        admin = self.admin = users["admin"]
        for unit_id, unit, staff in (("U1", UNIT, "E1"), ("U2", UNIT2, "E2")):
            assert client.put(f"/v1/units/{unit_id}", json=unit, headers=admin).status_code in (200, 201)
            body = {"name": "Нұрланова Әлия", "unit_id": unit_id}
            assert client.put(f"/v1/staff/{staff}", json=body, headers=admin).status_code in (200, 201)
        self.manager = make_user(client, admin, "marat", "unit_manager", ["U1"])
        self.manager2 = make_user(client, admin, "gulnar", "unit_manager", ["U2"])
        self.lead, self.hr = users["quality_lead"], users["hr"]
        self.tablet = Tablet(users["auditor"])
        self.passwords: set[str] = set()

    def visit(self, answers: dict = POLITE_3, unit: str = "U1") -> str:
        """An approved visit of October; its submission id."""
        staff = {"U1": ["E1"], "U2": ["E2"]}[unit]
        revision = self.tablet.revision(answers=answers, started_at=OCTOBER, unit_id=unit, staff_ids=staff)
        assert self.tablet.push(self.client, [revision])[0]["status"] == "applied"
        sub = revision["submission_id"]
        body = {"decision": "approve", "heads": self.doc(sub)["heads"]}
        assert self.client.post(f"/v1/submissions/{sub}/review", json=body, headers=self.lead).status_code == 200
        return sub

    def doc(self, sub: str) -> dict:
        response = self.client.get(f"/v1/submissions/{sub}", headers=self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def appeal(self, appeal_id: str, headers: dict | None = None) -> dict:
        response = self.client.get(f"/v1/appeals/{appeal_id}", headers=headers or self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def file_api(self, sub: str, *items: str, headers: dict | None = None) -> dict:
        body = {"submission_id": sub, "items": [{"item": i, "claim": f"{i}: we disagree"} for i in items]}
        response = self.client.post("/v1/appeals", json=body, headers=headers or self.manager)
        assert response.status_code == 201, response.text
        return response.json()

    def sign_in(self, name: str) -> str:
        """Sign in through `/login` (the cookie stays in the client); the session's CSRF token."""
        if name not in self.passwords:  # hashing a password takes a while: only for those who sign in
            response = self.client.put(f"/v1/users/{name}/password", json={"password": PASSWORD}, headers=self.admin)
            assert response.status_code == 204, response.text
            self.passwords.add(name)
        self.client.cookies.clear()
        form = self.client.get("/login")
        token = TOKEN_FIELD.search(form.text).group(1)
        response = self.client.post(
            "/login",
            data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return html.unescape(TOKEN_FIELD.search(self.client.get("/account").text).group(1))

    def language(self, csrf: str, lang: str) -> None:
        response = self.client.post(
            "/language", data={"csrf_token": csrf, "lang": lang, "next": "/"}, follow_redirects=False
        )
        assert response.status_code == 303

    def publish_policy(self, appeals: str) -> None:
        text = policy_file().read_text().replace("version = 1", "version = 2", 1) + f"\n[appeals]\n{appeals}\n"
        response = self.client.post(
            "/v1/policies", content=text.encode(), headers=self.admin | {"Content-Type": "application/toml"}
        )
        assert response.status_code == 201, response.text


@pytest.fixture
def world(client, users, example_checklist, default_policy) -> World:
    return World(client, users)


@pytest.fixture
def later(monkeypatch):
    """Move the server's clock forward by some days."""
    real = clock.utc_now

    def move(days: float) -> None:
        monkeypatch.setattr(clock, "utc_now", lambda: real() + dt.timedelta(days=days))

    return move


def main_of(page: str) -> str:
    """The page's own content (the frame's header and footer left out)."""
    return page[page.index('<main id="main"') : page.index("</main>")]


def file_form(world: World, csrf: str, sub: str, picks: dict[str, str], files: dict | None = None, **extra):
    """Post the appeal form: `picks` item -> claim; `files` item -> [(name, bytes, content type)]."""
    data = {"csrf_token": csrf, "pick": list(picks), **{f"claim_{i}": c for i, c in picks.items()}, **extra}
    uploads = [(f"files_{item}", spec) for item, specs in (files or {}).items() for spec in specs]
    return world.client.post(f"/my/visits/{sub}/appeal", data=data, files=uploads or None, follow_redirects=False)


def open_appeal_of(world: World, sub: str) -> dict:
    (appeal,) = [
        a for a in world.client.get("/v1/appeals", headers=world.lead).json()["items"] if a["submission_id"] == sub
    ]
    return appeal


# --- the unit manager ------------------------------------------------------------------------------


def test_the_unit_manager_s_home_shows_only_their_units_and_never_the_shopper(world, monkeypatch):
    mine, theirs = world.visit(), world.visit(unit="U2")
    card = world.client.post(
        "/v1/scorecards", json={"scope": "unit", "unit_id": "U1", "period": PERIOD, "lang": "kk"}, headers=world.lead
    ).json()
    assert world.client.post(f"/v1/scorecards/{card['id']}/publish", headers=world.lead).status_code == 200
    earlier = world.file_api(mine, "GREET.2")
    world.sign_in("marat")

    page = world.client.get("/", params={"period": PERIOD})
    assert page.status_code == 200, page.text
    main = main_of(page.text)
    assert re.findall(r'data-testid="unit-row" data-unit="([^"]+)"', main) == ["U1"]
    assert "94,44" in main  # the approved figure of the month, in the Russian number format
    assert f"/my/visits/{mine}" in main and theirs not in main
    assert re.findall(r'data-testid="appeal-row" data-appeal="[^"]+" data-status="([a-z]+)"', main) == ["open"]
    assert f"/my/scorecards/{card['id']}/pdf" in main
    assert "aigerim" not in page.text and not TIME_OF_DAY.search(main)
    pdf = world.client.get(f"/my/scorecards/{card['id']}/pdf")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == card["sha256"]
    # Their appeals are paged (the nearest due first).
    later = world.file_api(world.visit(), "GREET.1")
    monkeypatch.setattr(my, "APPEALS_PAGE", 1)
    first = world.client.get("/", params={"period": PERIOD}).text
    assert re.findall(r'data-testid="appeal-row" data-appeal="([^"]+)"', first) == [earlier["id"]]
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    assert re.findall(r'data-testid="appeal-row" data-appeal="([^"]+)"', world.client.get(following).text) == [
        later["id"]
    ]
    # A month with no visits of theirs, a malformed month.
    assert 'data-testid="no-visits"' in world.client.get("/", params={"period": "2026-09"}).text
    for bad in ("2026-13", "9999-01", "2026-10\n"):
        assert world.client.get("/", params={"period": bad}).status_code == 400


def test_a_unit_manager_files_an_appeal_with_a_photo_then_withdraws_it(world):
    sub = world.visit()
    csrf = world.sign_in("marat")
    page = world.client.get(f"/my/visits/{sub}")
    assert page.status_code == 200, page.text
    main = main_of(page.text)
    assert 'data-testid="pick-GREET.2"' in main and 'data-testid="visit-date">15.10.2026<' in main
    assert "aigerim" not in page.text and not TIME_OF_DAY.search(main)
    assert re.search(r'data-item="GREET.2".*?data-outcome="fail"', main, re.S)

    photo = jpeg()
    claim = unicodedata.normalize("NFD", 'Сәлемдесті: =HYPERLINK("http://x") ²') + "\n"
    response = file_form(world, csrf, sub, {"GREET.2": claim}, {"GREET.2": [("hall.jpg", photo, "image/jpeg")]})
    assert response.status_code == 303, response.text
    assert urlsplit(response.headers["location"]).path == f"/my/visits/{sub}"
    after = world.client.get(response.headers["location"]).text
    assert 'data-testid="flash"' in after and 'data-state="open"' in after
    assert str(escape(unicodedata.normalize("NFC", claim.strip()))) in after

    appeal = open_appeal_of(world, sub)
    sha = hashlib.sha256(photo).hexdigest()
    assert [(i["item"], i["evidence"]) for i in appeal["items"]] == [("GREET.2", [sha])]
    assert appeal["items"][0]["claim"] == unicodedata.normalize("NFC", claim.strip())
    assert appeal["filed_by"] == "marat"
    shown = world.client.get(f"/my/evidence/{sha}")
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("image/jpeg")
    assert b"PhoneMaker" not in shown.content and b"PhoneMaker" in photo  # re-encoded without its metadata
    # The item is under appeal: the form no longer offers it.
    assert 'data-testid="pick-GREET.2"' not in after

    withdraw = world.client.post(
        f"/my/appeals/{appeal['id']}/withdraw", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert withdraw.status_code == 303
    assert world.appeal(appeal["id"])["status"] == "withdrawn"
    again = world.client.post(f"/my/appeals/{appeal['id']}/withdraw", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 303 and "error=appeal_closed" in again.headers["location"]
    assert 'data-testid="flash-error"' in world.client.get(again.headers["location"]).text


def test_refusals_are_shown_on_the_page_in_the_user_s_language(world, later):
    sub, other = world.visit(), world.visit()
    csrf = world.sign_in("marat")

    nothing = file_form(world, csrf, sub, {})
    assert nothing.status_code == 400 and "Отметьте хотя бы один пункт" in nothing.text
    no_claim = file_form(world, csrf, sub, {"GREET.2": "  "})
    assert no_claim.status_code == 400 and 'data-testid="problem-GREET.2"' in no_claim.text
    text_file = file_form(
        world, csrf, sub, {"GREET.2": "see the file"}, {"GREET.2": [("notes.txt", b"hello", "text/plain")]}
    )
    assert text_file.status_code == 400 and "Файл не принят" in text_file.text
    assert "see the file" in text_file.text  # what was typed is kept
    bell = file_form(world, csrf, sub, {"GREET.2": "a bell \x07 rings"})
    assert bell.status_code == 400 and 'data-code="invalid_request"' in bell.text and "GREET.2" in bell.text
    assert world.client.get("/v1/appeals", headers=world.lead).json()["items"] == []

    photo = jpeg()
    too_many = file_form(world, csrf, sub, {"GREET.2": "photos"}, {"GREET.2": [("p.jpg", photo, "image/jpeg")] * 11})
    assert too_many.status_code == 400 and "Слишком много файлов" in too_many.text
    # A photo stored on a refused try stays on the form: sent again, it is attached.
    sha = hashlib.sha256(photo).hexdigest()
    refused = file_form(
        world, csrf, sub, {"GREET.2": "photo", "GREET.1": ""}, {"GREET.2": [("p.jpg", photo, "image/jpeg")]}
    )
    assert refused.status_code == 400 and f'name="kept_GREET.2" value="{sha}"' in refused.text

    world.language(csrf, "kk")
    world.publish_policy("max_per_unit_per_period = 1")
    assert file_form(world, csrf, sub, {"GREET.2": "бірінші"}, **{"kept_GREET.2": sha}).status_code == 303
    assert open_appeal_of(world, sub)["items"][0]["evidence"] == [sha]
    limit = file_form(world, csrf, other, {"GREET.2": "екінші"})
    assert limit.status_code == 409, limit.text
    assert 'data-code="appeal_limit_reached"' in limit.text and "апелляциялар шегіне жетті" in limit.text
    assert "екінші" in limit.text

    later(15)  # past the default window of 14 days after the approval
    window = file_form(world, csrf, other, {"GREET.1": "кеш"})
    assert window.status_code == 409 and 'data-code="appeal_window_closed"' in window.text
    assert "апелляция беру мерзімі өтті" in window.text


def test_another_unit_s_visit_appeal_evidence_and_scorecard_are_404(world):
    sub = world.visit()
    csrf = world.sign_in("marat")
    photo = jpeg()
    assert (
        file_form(world, csrf, sub, {"GREET.2": "x"}, {"GREET.2": [("a.jpg", photo, "image/jpeg")]}).status_code == 303
    )
    appeal = open_appeal_of(world, sub)
    card = world.client.post(
        "/v1/scorecards", json={"scope": "unit", "unit_id": "U1", "period": PERIOD, "lang": "ru"}, headers=world.lead
    ).json()
    world.client.post(f"/v1/scorecards/{card['id']}/publish", headers=world.lead)
    draft = world.client.post(
        "/v1/scorecards", json={"scope": "unit", "unit_id": "U1", "period": PERIOD, "lang": "en"}, headers=world.lead
    ).json()
    assert world.client.get(f"/my/scorecards/{draft['id']}/pdf").status_code == 404  # a draft, even of their unit

    csrf2 = world.sign_in("gulnar")
    sha = hashlib.sha256(photo).hexdigest()
    for path in (f"/my/visits/{sub}", f"/my/evidence/{sha}", f"/my/scorecards/{card['id']}/pdf", "/my/visits/x"):
        assert world.client.get(path).status_code == 404, path
    for path in (f"/my/appeals/{appeal['id']}/withdraw", f"/my/visits/{sub}/appeal"):
        response = world.client.post(path, data={"csrf_token": csrf2, "pick": "GREET.2"}, follow_redirects=False)
        assert response.status_code == 404, path
    assert world.appeal(appeal["id"])["status"] == "open"
    assert "ПСС Алматы" not in world.client.get("/", params={"period": PERIOD}).text


def test_who_may_see_the_appeal_pages(world):
    sub = world.visit()
    appeal = world.file_api(sub, "GREET.2")
    world.sign_in("hr")
    assert 'data-testid="nav-appeals"' not in world.client.get("/periods").text
    for path in ("/appeals", f"/appeals/{appeal['id']}", f"/my/visits/{sub}", "/my/evidence/" + "a" * 64):
        assert world.client.get(path).status_code == 403, path
    world.sign_in("marat")
    for path in ("/appeals", f"/appeals/{appeal['id']}", "/review"):
        assert world.client.get(path).status_code == 403, path
    world.sign_in("lead")
    assert world.client.get(f"/my/visits/{sub}").status_code == 403
    assert world.client.get("/").headers.get("location", "/review") == "/review"
    world.client.cookies.clear()
    response = world.client.get("/appeals", follow_redirects=False)
    assert response.status_code in (302, 303) and "/login" in response.headers["location"]
    # Without the CSRF token nothing is filed.
    world.sign_in("marat")
    assert (
        world.client.post(f"/my/visits/{sub}/appeal", data={"pick": "GREET.1", "claim_GREET.1": "x"}).status_code == 403
    )


# --- the quality lead ------------------------------------------------------------------------------


def rows_of(page: str) -> list[str]:
    return re.findall(r'data-testid="appeal-row" data-appeal="([^"]+)"', page)


def count_of(page: str, status: str) -> int:
    return int(re.search(rf'data-testid="count-{status}">([^<]+)<', page).group(1).replace("\xa0", ""))


def test_the_queue_tabs_filters_sla_clock_and_paging(world, later, monkeypatch):
    first = world.file_api(world.visit(), "GREET.2")
    later(3)
    second = world.file_api(world.visit(), "GREET.1", "GREET.2")
    third = world.file_api(world.visit(unit="U2"), "GREET.2", headers=world.manager2)
    withdrawn = world.file_api(world.visit(), "CLEAN.1")
    world.client.post(f"/v1/appeals/{withdrawn['id']}/withdraw", headers=world.manager)
    later(11)  # the first is due 10 days after it was filed: 1 day overdue; the others due in 2 days
    world.sign_in("lead")

    page = world.client.get("/appeals").text
    assert (count_of(page, "open"), count_of(page, "decided"), count_of(page, "withdrawn")) == (3, 0, 1)
    assert rows_of(page) == [first["id"], second["id"], third["id"]]  # the oldest due first
    clocks = re.findall(r'data-testid="clock" data-clock="([a-z_]+)">([^<]+)<', page)
    assert clocks[0] == ("overdue", "просрочена на 1 день")
    assert clocks[1][0] == "soon" and clocks[1][1] == "осталось дней: 2"
    assert 'data-testid="nav-appeals-count">(открыто: 3)' in page
    assert "lead" in page and "marat" in page  # the queue names who filed

    assert rows_of(world.client.get("/appeals", params={"overdue": "yes"}).text) == [first["id"]]
    assert rows_of(world.client.get("/appeals", params={"unit": "U2"}).text) == [third["id"]]
    assert rows_of(world.client.get("/appeals", params={"status": "withdrawn"}).text) == [withdrawn["id"]]
    assert rows_of(world.client.get("/appeals", params={"period": "2026-09"}).text) == []
    junk_queries = ({"status": "nonsense"}, {"period": "2026-13"}, {"period": "0001-01"}, {"period": "9999-12"})
    for junk in (*junk_queries, {"cursor": "garbage"}, {"cursor": "9999|x"}, {"unit": "x" * 500}):
        assert world.client.get("/appeals", params=junk).status_code == 200, junk

    monkeypatch.setattr(console_appeals, "PAGE_SIZE", 2)
    page = world.client.get("/appeals").text
    assert rows_of(page) == [first["id"], second["id"]]
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', page).group(1))
    assert rows_of(world.client.get(following).text) == [third["id"]]

    # The auditors' overturn shares of the month's visits.
    assert 'data-auditor="aigerim"' in world.client.get("/appeals", params={"period": PERIOD}).text


def test_a_decision_is_previewed_then_saved_and_the_visit_changes(world):
    sub = world.visit()
    appeal = world.file_api(sub, "GREET.2", "GREET.1")
    world.sign_in("lead")
    csrf = html.unescape(TOKEN_FIELD.search(world.client.get("/account").text).group(1))
    page = world.client.get(f"/appeals/{appeal['id']}")
    assert page.status_code == 200, page.text
    assert 'data-item="GREET.2"' in page.text and "GREET.2: we disagree" in page.text
    heads = html.unescape(re.search(r'name="heads" value="([^"]*)"', page.text).group(1))
    form = {
        "csrf_token": csrf,
        "heads": heads,
        "outcome_0": "overturned",
        "reason_0": "The photo shows a polite greeting",
        "value_0": "5",
        "outcome_1": "upheld",
        "reason_1": "The auditor's answer stands",
    }
    path = f"/appeals/{appeal['id']}/decision"

    # Saving what was never previewed shows the preview instead.
    unchecked = world.client.post(path, data=form | {"action": "save"})
    assert unchecked.status_code == 200 and 'data-notice="not_previewed"' in unchecked.text
    assert world.appeal(appeal["id"])["status"] == "open"

    preview = world.client.post(path, data=form | {"action": "preview"})
    assert preview.status_code == 200
    assert 'data-testid="effect-now">94,44' in preview.text and 'data-testid="effect-after">100,00' in preview.text
    assert 'data-testid="effect-change">+5,56' in preview.text
    checked = re.search(r'name="checked" value="([^"]+)"', preview.text).group(1)
    assert world.appeal(appeal["id"])["status"] == "open"  # a preview saves nothing

    # Outcomes changed after the preview: shown again, not saved.
    changed = world.client.post(path, data=form | {"value_0": "4", "checked": checked, "action": "save"})
    assert 'data-notice="not_previewed"' in changed.text and world.appeal(appeal["id"])["status"] == "open"

    saved = world.client.post(path, data=form | {"checked": checked, "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/appeals/{appeal['id']}?done=decided"
    decided = world.appeal(appeal["id"])
    assert decided["status"] == "decided" and decided["decided_by"] == "lead"
    assert [(i["item"], i["outcome"], i["value"]) for i in decided["items"]] == [
        ("GREET.2", "overturned", 5),
        ("GREET.1", "upheld", None),
    ]
    doc = world.doc(sub)
    assert doc["scores"]["visit"] == 100.0 and doc["status"] == "approved"
    shown = world.client.get(saved.headers["location"]).text
    assert 'data-testid="flash"' in shown and 'data-testid="decision-form"' not in shown

    # Decided: saving again is refused on the page, and nothing changes.
    again = world.client.post(path, data=form | {"checked": checked, "action": "save"})
    assert again.status_code == 409 and 'data-code="appeal_closed"' in again.text

    # The unit manager sees the outcome and its reason.
    world.sign_in("marat")
    mine = world.client.get(f"/my/visits/{sub}").text
    assert 'data-state="overturned"' in mine and "The photo shows a polite greeting" in mine
    assert "lead" not in main_of(mine)


def test_a_decision_is_refused_when_incomplete_stale_or_decided_meanwhile(world):
    sub = world.visit()
    appeal = world.file_api(sub, "GREET.2")
    world.sign_in("lead")
    csrf = html.unescape(TOKEN_FIELD.search(world.client.get("/account").text).group(1))
    path = f"/appeals/{appeal['id']}/decision"
    heads = ",".join(world.doc(sub)["heads"])
    base = {"csrf_token": csrf, "heads": heads, "action": "preview"}

    incomplete = world.client.post(path, data=base | {"outcome_0": "overturned", "reason_0": " "})
    assert incomplete.status_code == 400 and "Укажите причину решения" in incomplete.text
    no_value = world.client.post(path, data=base | {"outcome_0": "overturned", "reason_0": "r"})
    assert no_value.status_code == 400 and "Укажите новый ответ" in no_value.text
    bad_value = world.client.post(path, data=base | {"outcome_0": "overturned", "reason_0": "r", "value_0": "many"})
    assert bad_value.status_code == 400 and 'data-testid="problem-GREET.2"' in bad_value.text
    same = base | {"outcome_0": "overturned", "reason_0": "r", "value_0": "3"}
    checked = re.search(r'name="checked" value="([^"]+)"', world.client.post(path, data=same).text).group(1)
    refused = world.client.post(path, data=same | {"checked": checked, "action": "save"})
    assert refused.status_code == 400 and 'data-code="invalid_decision"' in refused.text  # the same answer as before

    # The visit changes after the preview (a correction of another answer): shown again, not saved.
    form = base | {"outcome_0": "overturned", "reason_0": "polite after all", "value_0": "5"}
    checked = re.search(r'name="checked" value="([^"]+)"', world.client.post(path, data=form).text).group(1)
    doc = world.doc(sub)
    revision = {
        "rev_id": "7f1c3a52-0d57-4a43-9b6e-5c54e3b0a001",
        "submission_id": sub,
        "parents": doc["heads"],
        "checklist": {"id": "example", "version": 1},
        "unit_id": "U1",
        "staff_ids": ["E1"],
        "started_at": doc["view"]["started_at"],
        "finished_at": doc["view"]["finished_at"],
        "state": "submitted",
        "note": "a comment corrected",
        "answers": [
            {k: v for k, v in a.items() if v is not None and k != "na"}
            | ({"comment": "fixed"} if a["item"] == "QUEUE.1" else {})
            for a in doc["view"]["answers"]
        ],
    }
    response = world.client.post(f"/v1/submissions/{sub}/revisions", json=revision, headers=world.lead)
    assert response.status_code in (200, 201), response.text
    stale = world.client.post(path, data=form | {"checked": checked, "action": "save"})
    assert stale.status_code == 409 and 'data-notice="changed"' in stale.text
    assert world.appeal(appeal["id"])["status"] == "open"

    # Decided through the API meanwhile: refused on the page.
    fresh = html.unescape(re.search(r'name="heads" value="([^"]*)"', stale.text).group(1))
    checked = re.search(r'name="checked" value="([^"]+)"', stale.text).group(1)
    body = {"items": [{"item": "GREET.2", "outcome": "upheld", "reason": "stands"}]}
    assert world.client.post(f"/v1/appeals/{appeal['id']}/decision", json=body, headers=world.lead).status_code == 200
    late = world.client.post(path, data=form | {"heads": fresh, "checked": checked, "action": "save"})
    assert late.status_code == 409 and 'data-code="appeal_closed"' in late.text
    assert world.appeal(appeal["id"])["items"][0]["outcome"] == "upheld"


def test_the_sla_clock_reads_days_left_overdue_late_and_in_time():
    def appeal(status: str, due: str, overdue: bool, closed: str | None = None) -> AppealOut:
        item = AppealItemOut(
            item="A.1",
            claim="c",
            evidence=[],
            before=AnswerBefore(value=True, na=False),
            outcome=None,
            reason=None,
            value=None,
            na=None,
        )
        return AppealOut(
            id="x",
            submission_id="s",
            unit_id="U1",
            period=PERIOD,
            status=status,
            filed_at="2026-10-01T00:00:00Z",
            due_at=due,
            overdue=overdue,
            closed_at=closed,
            items=[item],
        )

    now = dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)
    clock_of = console_appeals.sla_clock
    assert clock_of(appeal("open", "2026-10-25T12:00:00Z", False), now) == console_appeals.Clock(
        state="ok", key="appeal.clock.left", days=5
    )
    assert clock_of(appeal("open", "2026-10-21T18:00:00Z", False), now).state == "soon"
    assert clock_of(appeal("open", "2026-10-21T11:00:00Z", False), now).key == "appeal.clock.left_one"
    assert clock_of(appeal("open", "2026-10-17T12:00:00Z", True), now).days == 3
    late = clock_of(appeal("decided", "2026-10-17T12:00:00Z", True, "2026-10-19T13:00:00Z"), now)
    assert (late.state, late.days) == ("late", 2)
    assert clock_of(appeal("decided", "2026-10-25T12:00:00Z", False, "2026-10-18T13:00:00Z"), now).state == "in_time"
    assert (
        clock_of(appeal("withdrawn", "2026-10-25T12:00:00Z", False, "2026-10-18T13:00:00Z"), now).state == "withdrawn"
    )
