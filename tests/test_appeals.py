"""Appeals through HTTP: filing, the window and the cap, withdrawing, deciding, and what a decision changes.

A unit manager of U1 appeals items of an approved visit; a quality lead decides them. An overturn
is one reviewer revision naming the appeal and an approval of the visit as changed: its score moves
exactly as computed by hand, the auditor's tablet reads the approval's comment through pull, and a
month already closed gets exactly one adjustment.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import unicodedata
import uuid

import msgspec
import pytest

from checklists.library import policy_file
from checklists.score import ChecklistIndex
from checklists.validate import load_checklist
from server import clock
from server.appeals import decision_effect
from server.store.views import SubmissionDoc
from tests.conftest import EXAMPLE_CHECKLIST, open_store
from tests.tablet import PASSING, Tablet
from tests.test_console_review import set_password, sign_in

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
OCTOBER = "2026-10-15T11:00:00+05:00"
TUS = {"Tus-Resumable": "1.0.0"}
# GREET.2 answered 3 of 1..5 (fails its pass_at 4): GREET = (1 + 0.5) / 2 = 0.75, so the visit is
# 100 * (2 * 0.75 + 1 + 1 + 3 + 1 + 1) / 9 = 94.44 and the person score 100 * (1.5 + 1 + 3 + 1) / 7 = 92.86.
# Overturned to 5, every standard passes: both 100.
POLITE_3 = PASSING | {"GREET.2": 3}


class World:
    """Units U1 and U2, a manager of each, a quality lead, HR, and an auditor's tablet."""

    def __init__(self, client, users) -> None:
        self.client = client
        admin = self.admin = users["admin"]
        for unit, staff in (("U1", "E1"), ("U2", "E2")):
            assert client.put(f"/v1/units/{unit}", json=UNIT, headers=admin).status_code == 200
            body = {"name": "Нұрланова Әлия", "unit_id": unit}
            assert client.put(f"/v1/staff/{staff}", json=body, headers=admin).status_code == 200
        self.manager = self.unit_manager("marat", "U1")
        self.manager2 = self.unit_manager("gulnar", "U2")
        self.lead, self.hr = users["quality_lead"], users["hr"]
        self.auditor = users["auditor"]
        self.tablet = Tablet(users["auditor"])

    def unit_manager(self, name: str, unit: str) -> dict[str, str]:
        body = {"name": name, "role": "unit_manager", "units": [unit]}
        response = self.client.post("/v1/users", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def visit(self, answers: dict = POLITE_3, unit: str = "U1", approve: bool = True) -> str:
        staff = {"U1": ["E1"], "U2": ["E2"]}[unit]
        revision = self.tablet.revision(answers=answers, started_at=OCTOBER, unit_id=unit, staff_ids=staff)
        assert self.tablet.push(self.client, [revision])[0]["status"] == "applied"
        sub = revision["submission_id"]
        if approve:
            body = {"decision": "approve", "heads": self.doc(sub)["heads"]}
            assert self.client.post(f"/v1/submissions/{sub}/review", json=body, headers=self.lead).status_code == 200
        return sub

    def doc(self, sub: str) -> dict:
        response = self.client.get(f"/v1/submissions/{sub}", headers=self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def file(self, sub: str, *items: str, headers: dict | None = None, evidence: dict | None = None):
        body = {
            "submission_id": sub,
            "items": [
                {"item": i, "claim": f"{i}: the shopper was greeted at the door"}
                | ({"evidence": evidence[i]} if evidence and i in evidence else {})
                for i in items
            ],
        }
        return self.client.post("/v1/appeals", json=body, headers=headers or self.manager)

    def filed(self, sub: str, *items: str) -> dict:
        response = self.file(sub, *items)
        assert response.status_code == 201, response.text
        return response.json()

    def decide(self, appeal_id: str, outcomes: list[dict], headers: dict | None = None):
        return self.client.post(
            f"/v1/appeals/{appeal_id}/decision", json={"items": outcomes}, headers=headers or self.lead
        )

    def upload(self, headers: dict, data: bytes) -> str:
        """A tus upload of one file (in one chunk); its hash."""
        sha = hashlib.sha256(data).hexdigest()
        meta = (
            f"sha256 {base64.b64encode(sha.encode()).decode()},content_type {base64.b64encode(b'image/jpeg').decode()}"
        )
        created = self.client.post(
            "/v1/uploads", headers=headers | TUS | {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
        )
        assert created.status_code == 201, created.text
        location = created.headers["location"]
        assert self.client.head(location, headers=headers | TUS).headers["upload-offset"] == "0"
        chunk = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
        sent = self.client.patch(location, headers=headers | TUS | chunk, content=data)
        assert sent.status_code == 204, sent.text
        return sha


@pytest.fixture
def world(client, users, example_checklist, default_policy) -> World:
    return World(client, users)


@pytest.fixture
def later(monkeypatch):
    """Move the server's clock forward by some days (`server.clock.utc_now`, which `now_iso` reads)."""
    real = clock.utc_now

    def move(days: float) -> None:
        monkeypatch.setattr(clock, "utc_now", lambda: real() + dt.timedelta(days=days))

    return move


def _problem(response, status: int, code: str) -> list[str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return [e["path"] for e in body.get("errors") or []]


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _audit(settings, appeal_id: str) -> list[tuple[str, str]]:
    with open_store(settings) as db:
        rows = db.execute(
            "SELECT action, actor FROM audit_log WHERE object_kind = 'appeal' AND object_id = ? ORDER BY id",
            (appeal_id,),
        ).fetchall()
    return [tuple(r) for r in rows]


def test_filing_answers_the_appeal_to_its_unit_only(world, client, settings):
    sub = world.visit()
    photo = world.upload(world.manager, b"\xff\xd8\xff" + b"the hall at 10 a.m." * 50)
    response = world.file(sub, "GREET.2", "CLEAN.1", evidence={"GREET.2": [photo.upper()]})
    assert response.status_code == 201, response.text
    appeal = response.json()
    assert appeal["status"] == "open" and appeal["submission_id"] == sub
    assert (appeal["unit_id"], appeal["period"], appeal["closed_at"], appeal["overdue"]) == (
        "U1",
        "2026-10",
        None,
        False,
    )
    assert _instant(appeal["due_at"]) - _instant(appeal["filed_at"]) == dt.timedelta(days=10)
    assert appeal["filed_at"] == clock.iso_utc(_instant(appeal["filed_at"]))  # the server's one time format
    first, second = appeal["items"]
    assert first == {
        "item": "GREET.2",
        "claim": "GREET.2: the shopper was greeted at the door",
        "evidence": [photo],
        "before": {"value": 3, "na": False},
        "outcome": None,
        "reason": None,
        "value": None,
        "na": None,
    }
    assert (second["item"], second["before"], second["evidence"]) == ("CLEAN.1", {"value": True, "na": False}, [])
    # A unit manager never reads who filed or decided, nor revision ids; a quality lead does.
    assert all(appeal[k] is None for k in ("filed_by", "decided_by", "rev_id", "review_id"))
    full = client.get(f"/v1/appeals/{appeal['id']}", headers=world.lead).json()
    assert full["filed_by"] == "marat" and full["items"] == appeal["items"]
    assert client.get(f"/v1/appeals/{appeal['id']}", headers=world.manager).json() == appeal
    assert _audit(settings, appeal["id"]) == [("appeal.file", "marat")]

    # Another unit's manager: 404 for everything of it, an empty list even when naming U1.
    other = world.manager2
    assert _problem(client.get(f"/v1/appeals/{appeal['id']}", headers=other), 404, "not_found") == []
    _problem(client.post(f"/v1/appeals/{appeal['id']}/withdraw", headers=other), 404, "not_found")
    _problem(world.file(sub, "PAY.1", headers=other), 404, "not_found")
    assert client.get("/v1/appeals", params={"unit_id": "U1"}, headers=other).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert [a["id"] for a in client.get("/v1/appeals", headers=world.manager).json()["items"]] == [appeal["id"]]
    assert _problem(client.get(f"/v1/appeals/{uuid.uuid4()}", headers=world.lead), 404, "not_found") == []
    # Roles: HR and auditors do not take part in appeals; only a unit manager files and withdraws.
    for headers in (world.hr, world.auditor):
        _problem(client.get("/v1/appeals", headers=headers), 403, "forbidden")
        _problem(client.get(f"/v1/appeals/{appeal['id']}", headers=headers), 403, "forbidden")
    _problem(world.file(sub, "PAY.1", headers=world.lead), 403, "forbidden")
    _problem(world.decide(appeal["id"], [], headers=world.manager), 403, "forbidden")


def test_what_cannot_be_filed(world, client):
    sub = world.visit()
    # Not an approved visit of the manager's units: 404 (a visit awaiting review, another unit's, none).
    waiting = world.visit(approve=False)
    elsewhere = world.visit(unit="U2")
    for visit in (waiting, elsewhere, str(uuid.uuid4())):
        _problem(world.file(visit, "GREET.2"), 404, "not_found")
    assert _problem(world.file(sub, "GREET.2", "NOPE.1"), 400, "unknown_item") == ["items[1].item"]
    assert _problem(world.file(sub, "GREET.2", "PAY.1", "GREET.2"), 400, "duplicate_item") == ["items[2].item"]
    missing = hashlib.sha256(b"never uploaded").hexdigest()
    paths = _problem(world.file(sub, "GREET.2", evidence={"GREET.2": [missing]}), 400, "unknown_evidence")
    assert paths == ["items[0].evidence[0]"]
    item = {"item": "GREET.2", "claim": "ok"}
    shapes = {
        "items": [],
        "items[0].claim": [item | {"claim": ""}],
        "items[0].item": [item | {"item": "GREET.2\n"}],
        "items[0].evidence": [item | {"evidence": [missing] * 11}],
        "items[1].claim": [item, item | {"item": "PAY.1", "claim": "x\u202egnp.exe"}],
        "items[0].claim ": [item | {"claim": "a claim\n"}],
        "items[0].claim  ": [item | {"claim": "nul \x00 inside"}],
        "items[0].claim   ": [item | {"claim": " \n\t"}],
    }
    for path, items in shapes.items():
        body = {"submission_id": sub, "items": items}
        assert _problem(client.post("/v1/appeals", json=body, headers=world.manager), 400, "invalid_request") == [
            path.strip()
        ]
    too_long = {"submission_id": sub, "items": [item | {"claim": "я" * 4001}]}
    _problem(client.post("/v1/appeals", json=too_long, headers=world.manager), 400, "invalid_request")
    too_many = {"submission_id": sub, "items": [item] * 51}
    _problem(client.post("/v1/appeals", json=too_many, headers=world.manager), 400, "invalid_request")
    # Text is kept as written (stored NFC); a formula is only text.
    claims = [unicodedata.normalize("NFD", "Сәлем берді\nқолтаңба"), '=HYPERLINK("http://x")']
    body = {
        "submission_id": sub,
        "items": [{"item": "GREET.1", "claim": claims[0]}, {"item": "GREET.2", "claim": claims[1]}],
    }
    response = client.post("/v1/appeals", json=body, headers=world.manager)
    assert response.status_code == 201, response.text
    stored = [i["claim"] for i in response.json()["items"]]
    assert stored == [unicodedata.normalize("NFC", claims[0]), claims[1]]
    # One open appeal per item of a visit.
    assert _problem(world.file(sub, "PAY.1", "GREET.2"), 409, "appeal_exists") == ["items[1].item"]


def test_the_window_and_the_cap(world, client, admin, later):
    sub = world.visit()
    later(15)  # the default window is 14 days after the approval
    _problem(world.file(sub, "GREET.2"), 409, "appeal_window_closed")
    later(13.9)
    assert world.file(sub, "GREET.2").status_code == 201
    later(0)
    # A policy of 2 appeals per unit and month; withdrawn ones count.
    bad = policy_file().read_text().replace("version = 1", "version = 2", 1) + "\n[appeals]\nwindow_days = 0\nx = 1\n"
    response = client.post("/v1/policies", content=bad.encode(), headers=admin | {"Content-Type": "application/toml"})
    assert sorted(_problem(response, 400, "invalid_policy")) == ["appeals.window_days", "appeals.x"]
    two = (
        policy_file().read_text().replace("version = 1", "version = 2", 1)
        + "\n[appeals]\nmax_per_unit_per_period = 2\n"
    )
    response = client.post("/v1/policies", content=two.encode(), headers=admin | {"Content-Type": "application/toml"})
    assert response.status_code == 201, response.text
    (appeal,) = client.get("/v1/appeals", headers=world.manager).json()["items"]
    withdrawn = client.post(f"/v1/appeals/{appeal['id']}/withdraw", headers=world.manager)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["closed_at"] is not None
    _problem(client.post(f"/v1/appeals/{appeal['id']}/withdraw", headers=world.manager), 409, "appeal_closed")
    _problem(
        world.decide(appeal["id"], [{"item": "GREET.2", "outcome": "upheld", "reason": "r"}]), 409, "appeal_closed"
    )
    again = world.filed(sub, "GREET.2")  # the item is free again: the second appeal of the month
    _problem(world.file(world.visit(), "GREET.2"), 409, "appeal_limit_reached")
    # Another unit has its own count.
    assert world.file(world.visit(unit="U2"), "GREET.2", headers=world.manager2).status_code == 201
    assert [
        a["id"]
        for a in client.get("/v1/appeals", params={"status": "open", "unit_id": "U1"}, headers=world.lead).json()[
            "items"
        ]
    ] == [again["id"]]


def test_an_overturn_changes_the_visit_by_one_reviewer_revision(world, client, settings):
    sub = world.visit()
    before = world.doc(sub)
    assert (before["scores"]["visit"], before["scores"]["person"], before["status"]) == (94.44, 92.86, "approved")
    appeal = world.filed(sub, "GREET.2", "CLEAN.1")
    upheld = {"item": "CLEAN.1", "outcome": "upheld", "reason": "the photo shows litter"}
    overturn = {"item": "GREET.2", "outcome": "overturned", "reason": "the recording shows a polite answer", "value": 5}
    # Every item once, and an outcome that can stand.
    assert _problem(world.decide(appeal["id"], [overturn]), 400, "items_mismatch") == ["items"]
    extra = {"item": "PAY.1", "outcome": "upheld", "reason": "r"}
    assert _problem(world.decide(appeal["id"], [overturn, upheld, extra]), 400, "items_mismatch") == ["items[2].item"]
    assert _problem(world.decide(appeal["id"], [overturn, upheld, upheld]), 400, "items_mismatch") == ["items[2].item"]
    cases = {
        "items[0].value": [overturn | {"value": 3}, upheld],  # the answer already
        "items[0].value ": [overturn | {"value": None}, upheld],  # no answer
        "items[0].value  ": [overturn | {"value": 9}, upheld],  # not in 1..5
        "items[0].na": [overturn | {"value": None, "na": True}, upheld],  # GREET.2 has no N/A
        "items[1].value": [overturn, upheld | {"value": False}],  # upheld keeps its answer
    }
    for path, outcomes in cases.items():
        assert _problem(world.decide(appeal["id"], outcomes), 400, "invalid_decision") == [path.strip()]
    assert client.get(f"/v1/appeals/{appeal['id']}", headers=world.lead).json()["status"] == "open"

    response = world.decide(appeal["id"], [overturn, upheld])
    assert response.status_code == 200, response.text
    decided = response.json()
    assert (decided["status"], decided["decided_by"], decided["overdue"]) == ("decided", "lead", False)
    assert [(i["outcome"], i["value"], i["na"]) for i in decided["items"]] == [
        ("overturned", 5, False),
        ("upheld", None, None),
    ]
    _problem(world.decide(appeal["id"], [overturn, upheld]), 409, "appeal_closed")
    assert _audit(settings, appeal["id"]) == [("appeal.file", "marat"), ("appeal.decide", "lead")]

    after = world.doc(sub)
    assert (after["scores"]["visit"], after["scores"]["person"], after["status"]) == (100.0, 100.0, "approved")
    assert after["heads"] == [decided["rev_id"]]
    assert after["review"]["id"] == decided["review_id"] and after["review"]["appeal_id"] == appeal["id"]
    assert after["review"]["comment"] == "GREET.2 overturned on appeal: the recording shows a polite answer"
    answers = {a["item"]: a["value"] for a in after["view"]["answers"]}
    assert answers == PASSING
    revisions = client.get(f"/v1/submissions/{sub}/revisions", headers=world.lead).json()["items"]
    assert [(r["rank"], r["author"]) for r in revisions] == [("auditor", "aigerim"), ("reviewer", "lead")]
    made = revisions[1]
    assert made["rev_id"] == decided["rev_id"] and made["parents"] == before["heads"]
    assert made["content"]["appeal_id"] == appeal["id"]
    assert {a["item"]: a.get("value") for a in made["content"]["answers"]} == PASSING
    # The auditor's tablet reads the approval and why, never who appealed.
    changes, _ = world.tablet.pull_all(client)
    (pulled,) = [c["data"] for c in changes if c["kind"] == "submission" and c["id"] == sub]
    assert pulled["review"] == after["review"] and pulled["scores"]["visit"] == 100.0
    assert "marat" not in json.dumps(pulled)
    assert client.get(f"/v1/appeals/{appeal['id']}", headers=world.manager).json()["items"] == decided["items"]


def test_an_upheld_decision_changes_no_revision(world, client, settings):
    sub = world.visit()
    appeal = world.filed(sub, "GREET.2")
    before, revisions = world.doc(sub), client.get(f"/v1/submissions/{sub}/revisions", headers=world.lead).json()
    response = world.decide(appeal["id"], [{"item": "GREET.2", "outcome": "upheld", "reason": "3 of 5 it was"}])
    assert response.status_code == 200, response.text
    assert (response.json()["rev_id"], response.json()["review_id"]) == (None, None)
    assert client.get(f"/v1/submissions/{sub}/revisions", headers=world.lead).json() == revisions
    after = world.doc(sub)
    assert (after["heads"], after["review"], after["scores"]) == (before["heads"], before["review"], before["scores"])


def test_due_date_and_overdue(world, client, later):
    appeal = world.filed(world.visit(), "GREET.2")
    late = world.filed(world.visit(), "GREET.2")
    assert client.get("/v1/appeals", params={"overdue": "true"}, headers=world.lead).json()["items"] == []
    later(11)
    for seen in (client.get(f"/v1/appeals/{appeal['id']}", headers=h).json() for h in (world.lead, world.manager)):
        assert seen["overdue"] is True and seen["status"] == "open"
    overdue = client.get("/v1/appeals", params={"overdue": "true", "limit": 1}, headers=world.lead).json()
    ordered = sorted([appeal, late], key=lambda a: (a["due_at"], a["id"]))
    assert [a["id"] for a in overdue["items"]] == [ordered[0]["id"]] and overdue["next_cursor"]
    rest = client.get("/v1/appeals", params={"overdue": "true", "cursor": overdue["next_cursor"]}, headers=world.lead)
    assert [a["id"] for a in rest.json()["items"]] == [ordered[1]["id"]]
    # A late decision is recorded; the appeal stays overdue.
    decided = world.decide(appeal["id"], [{"item": "GREET.2", "outcome": "upheld", "reason": "late, but upheld"}])
    assert decided.status_code == 200 and decided.json()["overdue"] is True
    later(0)
    assert client.get(f"/v1/appeals/{appeal['id']}", headers=world.lead).json()["overdue"] is True
    assert client.get(f"/v1/appeals/{late['id']}", headers=world.lead).json()["overdue"] is False
    _problem(client.get("/v1/appeals", params={"status": "lost"}, headers=world.lead), 400, "invalid_request")
    _problem(client.get("/v1/appeals", params={"period": "2026-13"}, headers=world.lead), 400, "invalid_request")


def test_overturns_need_an_approved_visit(world, client):
    sub = world.visit()
    appeal = world.filed(sub, "GREET.2", "CLEAN.1")
    review = world.doc(sub)["review"]
    body = {"decision": "reject", "heads": review["heads"], "supersedes": review["id"]}
    assert client.post(f"/v1/submissions/{sub}/review", json=body, headers=world.lead).status_code == 200
    overturn = {"item": "GREET.2", "outcome": "overturned", "reason": "r", "value": 5}
    upheld = {"item": "CLEAN.1", "outcome": "upheld", "reason": "r"}
    _problem(world.decide(appeal["id"], [overturn, upheld]), 409, "visit_not_approved")
    response = world.decide(appeal["id"], [upheld | {"item": "GREET.2"}, upheld])
    assert response.status_code == 200 and response.json()["status"] == "decided"
    assert world.doc(sub)["status"] == "rejected"


def test_closing_a_month_with_open_appeals_and_an_overturn_after_it(world, client, admin):
    sub = world.visit()
    appeal = world.filed(sub, "GREET.2")
    paths = _problem(client.post("/v1/periods/2026-10/close", json={}, headers=world.hr), 409, "open_appeals")
    assert paths == ["appeals[0]"]
    # The console's close page says what blocks the close, and closes only when forced.
    set_password(client, admin, "hr")
    sign_in(client, "hr")
    page = client.get("/periods/2026-10").text
    assert 'data-testid="open-appeals"' in page and 'data-testid="force"' in page

    def close(**extra: str):
        page = client.get("/periods/2026-10").text
        fields = {k: re.search(f'name="{k}" value="([^"]+)"', page).group(1) for k in ("csrf_token", "seen")}
        return client.post(
            "/periods/2026-10/close", data=fields | {"confirm": "2026-10"} | extra, follow_redirects=False
        )

    refused = close()
    assert "error=open_appeals" in refused.headers["location"]
    assert 'data-testid="close-error"' in client.get(refused.headers["location"]).text
    assert "done=closed" in close(force="on").headers["location"]
    snapshot = client.get("/v1/periods/2026-10/snapshot", headers=world.hr).json()
    assert snapshot["forced"] is True
    assert client.get("/v1/periods/2026-10/adjustments", headers=world.hr).json()["pending"] == []
    overturn = {"item": "GREET.2", "outcome": "overturned", "reason": "polite after all", "value": 5}
    assert world.decide(appeal["id"], [overturn]).status_code == 200
    (adjustment,) = client.get("/v1/periods/2026-10/adjustments", headers=world.hr).json()["pending"]
    assert adjustment["staff_id"] == "E1"
    assert (adjustment["before"]["score"], adjustment["after"]["score"]) == (92.86, 100.0)


def test_decision_effect_is_the_visit_score_before_and_after(world):
    """The console's preview: the visit score as shown now and with the chosen answers (hand-computed above)."""
    sub = world.visit()
    doc = msgspec.convert(world.doc(sub), SubmissionDoc)
    index = ChecklistIndex(load_checklist(EXAMPLE_CHECKLIST.read_bytes()).checklist)
    assert decision_effect(doc, index, {}) == (94.44, 94.44)
    assert decision_effect(doc, index, {"GREET.2": (5, False)}) == (94.44, 100.0)
    # PAY.1 is critical: asked for payment zeroes the visit.
    assert decision_effect(doc, index, {"GREET.2": (5, False), "PAY.1": (True, False)}) == (94.44, 0.0)
    # INFO.1 allows N/A: the standard leaves the visit, 100 * (1.5 + 1 + 3 + 1 + 1) / 8.
    assert decision_effect(doc, index, {"INFO.1": (None, True)}) == (94.44, 93.75)


def test_hostile_ids_and_values(world, client):
    sub = world.visit()
    appeal = world.filed(sub, "NOTES.1", "GREET.2")
    for appeal_id in ("%00", "%C2%B2", "x" * 300, appeal["id"] + "%0A", "..%2F..%2Fetc"):
        assert client.get(f"/v1/appeals/{appeal_id}", headers=world.lead).status_code == 404, appeal_id
        assert client.post(f"/v1/appeals/{appeal_id}/withdraw", headers=world.manager).status_code == 404
    for cursor in ("²", "\x00", "9999-12-31T00:00:00.000Z|", "|"):
        response = client.get("/v1/appeals", params={"cursor": cursor}, headers=world.lead)
        assert response.status_code in (200, 400), response.text
    _problem(client.get("/v1/appeals", params={"limit": "²"}, headers=world.lead), 400, "invalid_request")
    # A text answer overturned to hostile text is stored as given, a value the item does not take is refused.
    note = {"item": "NOTES.1", "outcome": "overturned", "reason": "the note was wrong", "value": '=HYPERLINK("x")'}
    upheld = {"item": "GREET.2", "outcome": "upheld", "reason": "r"}
    assert _problem(world.decide(appeal["id"], [note | {"value": 5}, upheld]), 400, "invalid_decision") == [
        "items[0].value"
    ]
    response = world.decide(appeal["id"], [note, upheld])
    assert response.status_code == 200, response.text
    assert {a["item"]: a["value"] for a in world.doc(sub)["view"]["answers"]}["NOTES.1"] == '=HYPERLINK("x")'


def test_an_overturn_the_visit_cannot_take_is_refused_whole(world, client, settings):
    sub = world.visit()
    appeal = world.filed(sub, "GREET.2")
    # The staff member left since: the revision of the visit as overturned would be quarantined.
    body = {"name": "Нұрланова Әлия", "unit_id": "U1", "active": False}
    assert client.put("/v1/staff/E1", json=body, headers=world.admin).status_code == 200
    before = world.doc(sub)
    overturn = {"item": "GREET.2", "outcome": "overturned", "reason": "polite after all", "value": 5}
    assert _problem(world.decide(appeal["id"], [overturn]), 400, "invalid_decision") == ["staff_ids[0]"]
    assert client.get(f"/v1/appeals/{appeal['id']}", headers=world.lead).json()["status"] == "open"
    assert world.doc(sub) == before
    with open_store(settings) as db:
        assert db.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM revisions WHERE submission_id = ?", (sub,)).fetchone()[0] == 1
    assert _audit(settings, appeal["id"]) == [("appeal.file", "marat")]
