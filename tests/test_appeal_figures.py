"""What appeals change in the figures (API.md, "Unit managers and appeals"; DESIGN.md, "Appeals").

While an appeal is open and the latest policy says `exclude_disputed`, its items count as N/A in
the approved figures (the visit's own scores stay as reviewed); the motivation rows of the staff
of a visit under appeal carry `under_appeal`, which is no change of figures for adjustments; per
auditor, the share of their appealed items that were overturned; and the unit scorecard's appeals
box and the mark on a failed item overturned on appeal.
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import msgspec
import pytest
from litestar.testing import TestClient
from pypdf import PdfReader

from checklists.library import policy_file
from checklists.score import ChecklistIndex
from checklists.validate import load_checklist
from reports.motivation import StaffInfo, adjustments, motivation_rows
from reports.policy import load_policy
from reports.scorecard import render
from reports.scorecard_assembly import AuditedAnswer, AuditedAnswers, AuditedChecklist, AuditedVisit, failed_items
from reports.scorecard_data import AppealsBox, input_sha256
from server.app import create_app
from server.services import STATE_KEY
from server.settings import Settings
from server.store import appeals as appeals_store
from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store
from tests.tablet import PASSING, Tablet
from tests.test_scorecard_render import unit_data

OCTOBER = "2026-10-15T11:00:00+05:00"
PERIOD = "2026-10"
POLICY = load_policy(policy_file().read_bytes(), "toml", "policy.default.toml").policy
INDEX = ChecklistIndex(load_checklist(EXAMPLE_CHECKLIST.read_bytes()).checklist)

# Worked by hand from tests/data/example.toml. Standard weights: GREET 2, QUEUE 1, INFO 1, PAY 3,
# CLEAN 1, PHONE 1; person-attributed: GREET, INFO, PAY, PHONE.
# V1 answers GREET.1 "no" and waits 900 s: GREET = (0 + 1) / 2 = 0.5, QUEUE = (1800 - 900) / 1200 = 0.75,
# every other standard 1. Visit = 100 * (2 * 0.5 + 0.75 + 1 + 3 + 1 + 1) / 9 = 86.11;
# person = 100 * (2 * 0.5 + 1 + 3 + 1) / 7 = 85.71.
# GREET.1 as N/A (or overturned to "yes"): GREET = 1, visit = 100 * 8.75 / 9 = 97.22, person = 100.
# V2 passes everything: 100 and 100.
V1_ANSWERS = PASSING | {"GREET.1": False, "QUEUE.1": 900}
AS_REVIEWED = {"visit": 86.11, "person": 85.71}
# (unit mean visit score, GREET mean score, GREET share met, E1's mean person score)
BEFORE = (93.06, 75.0, 50.0, 92.86)  # (86.11 + 100) / 2; (50 + 100) / 2; 1 of 2; (85.71 + 100) / 2
GREET_1_OUT = (98.61, 100.0, 100.0, 100.0)  # (97.22 + 100) / 2; GREET.1 left out or passed: 100 in both


# --- pure: rows, failed items, the rendered scorecard ---------------------------------------------


def test_under_appeal_is_a_mark_not_a_change_of_figures():
    staff = [StaffInfo(staff_id=s, name=s, unit_id="U1", unit_name="U", position=None, active=True) for s in "AB"]
    scores = {"A": [90.0, 80.0, 100.0], "B": [70.0]}
    flagged = motivation_rows(staff, scores, POLICY, provisional=False, under_appeal={"A"})
    assert [r.flags for r in flagged] == [["under_appeal"], ["insufficient_sample"]]
    assert [r.flags for r in motivation_rows(staff, scores, POLICY, True, {"A", "B"})] == [
        ["under_appeal", "provisional"],
        ["insufficient_sample", "under_appeal", "provisional"],
    ]
    plain = motivation_rows(staff, scores, POLICY, provisional=False)
    assert adjustments(PERIOD, flagged, plain) == [] and adjustments(PERIOD, plain, flagged) == []
    changed = motivation_rows(staff, scores | {"A": [90.0, 80.0, 90.0]}, POLICY, provisional=False)
    (only,) = adjustments(PERIOD, flagged, changed)
    assert only.staff_id == "A" and only.before.score == 90.0 and only.after.score == 86.67


def _visit(sub: str, answers: dict, comments: dict | None = None, evidence: dict | None = None) -> AuditedVisit:
    return AuditedVisit(
        AuditedChecklist("example", 1),
        AuditedAnswers(
            [
                AuditedAnswer(item, value, (comments or {}).get(item), (evidence or {}).get(item), value is None)
                for item, value in answers.items()
            ]
        ),
        "2026-10-15T06:00:00.000Z",
        sub,
    )


def test_failed_items_mark_what_an_appeal_overturned():
    """An item overturned to a pass is still listed (it failed as audited), marked; one overturned to
    another failing answer is marked too; a failed critical item overturned to a pass shows no photo."""
    visits = [
        _visit("v1", V1_ANSWERS | {"GREET.1": True, "GREET.2": 2}, {"GREET.1": "не поздоровалась"}),
        _visit("v2", PASSING | {"CLEAN.1": True, "INFO.1": None}, evidence={"CLEAN.1": ["ab" * 32]}),
    ]
    overturned = {
        "v1": {"GREET.1": (False, False), "GREET.2": (1, False)},  # GREET.1 passes now; GREET.2 1 -> 2, still failing
        "v2": {"CLEAN.1": (False, False), "INFO.1": ("wrong", False)},  # a pass now; N/A now
        "elsewhere": {"PAY.1": (True, False)},
    }
    tz = ZoneInfo("Asia/Almaty")
    items, photos = failed_items(visits, {("example", 1): INDEX}, "en", tz, overturned=overturned)
    marked = {(f.item, f.overturned) for f in items}
    assert marked == {
        ("GREET.1", True),
        ("GREET.2", True),
        ("QUEUE.1", False),
        ("CLEAN.1", True),
        ("INFO.1", True),
    }
    assert next(f for f in items if f.item == "GREET.1").comment == "не поздоровалась"
    assert photos == []  # CLEAN.1 passes now: its photo is no failure's
    plain, _ = failed_items(visits, {("example", 1): INDEX}, "en", tz)
    assert {f.item for f in plain} == {"GREET.2", "QUEUE.1"} and not any(f.overturned for f in plain)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# What the box and the mark read in each language (the box's heading, a column, the mark, the legend).
SAYS = {
    "ru": ("Апелляции подразделения за месяц", "Подано апелляций", "↺ Изменён по апелляции", "оценки учитывают"),
    "kk": ("Бөлімшенің осы айдағы апелляциялары", "Күшінде қалды", "↺ Апелляция бойынша өзгертілді", "бағалар"),
    "en": ("The unit's appeals this month", "Awaiting decision", "↺ Overturned on appeal", "count the answer"),
}


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_box_and_the_mark_in_each_language(lang: str):
    plain = unit_data(lang)
    marked = [msgspec.structs.replace(f, overturned=f.item == "BR-04.1") for f in plain.failed_items]
    box = AppealsBox(appeals=2, items=5, upheld=1, overturned=2, open=1, withdrawn=1)
    data = msgspec.structs.replace(plain, failed_items=marked, appeals=box)
    text = " ".join(pdf_text(render(data)).split())
    heading, column, mark, legend = SAYS[lang]
    assert heading in text and column in text and mark in text and legend in text
    assert "2 5 1 2 1 1" in text  # the box's one row: appeals, then items by where they stand
    bare = " ".join(pdf_text(render(plain)).split())
    assert heading not in bare and mark not in bare and legend not in bare
    # Without appeals the data (and so its hash and the PDF) is what it was before appeals existed.
    assert "appeals" not in msgspec.to_builtins(plain) and "overturned" not in msgspec.to_builtins(
        plain.failed_items[0]
    )
    assert input_sha256(plain) != input_sha256(data)


# --- through the API, on both stores -------------------------------------------------------------


class World:
    """Unit U1 with staff E1, two auditors' approved visits of October, a unit manager, a quality lead."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client, self.settings = client, settings
        self.admin = {"Authorization": f"Bearer {(settings.data_dir / 'admin.token').read_text().strip()}"}
        admin = self.admin
        toml = {"Content-Type": "application/toml"}
        assert client.post("/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers=admin | toml).is_success
        assert client.post("/v1/policies", content=policy_file().read_bytes(), headers=admin | toml).is_success
        for unit, name in (("U1", "ПСС Алматы, Абая 109"), ("U2", "ПСС Қонаев")):
            unit_body = {"kind": "branch", "name": name, "region": "Алматы"}
            assert client.put(f"/v1/units/{unit}", json=unit_body, headers=admin).is_success
        assert client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin).is_success
        self.lead = make_user(client, admin, "saule", "quality_lead")
        self.manager = make_user(client, admin, "manager.u1", "unit_manager", ["U1"])
        self.hr = make_user(client, admin, "dana", "hr")
        self.tablets = {
            name: Tablet(make_user(client, admin, name, "auditor")) for name in ("aigerim", "daulet", "erlan")
        }
        self.v1 = self.visit("aigerim", V1_ANSWERS)
        self.v2 = self.visit("daulet", PASSING)

    def visit(self, auditor: str, answers: dict, unit: str = "U1") -> str:
        tablet = self.tablets[auditor]
        revision = tablet.revision(started_at=OCTOBER, answers=answers, unit_id=unit)
        assert tablet.push(self.client, [revision])[0]["status"] == "applied"
        sub = revision["submission_id"]
        heads = self.doc(sub)["heads"]
        body = {"decision": "approve", "heads": heads}
        assert self.client.post(f"/v1/submissions/{sub}/review", json=body, headers=self.lead).status_code == 200
        return sub

    def doc(self, sub: str) -> dict:
        response = self.client.get(f"/v1/submissions/{sub}", headers=self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def figures(self) -> tuple[float, float, float, float]:
        """(U1's mean visit score, its GREET mean and share met, E1's motivation score)."""
        units = self.client.get("/v1/scores/units", params={"period": PERIOD, "unit_id": "U1"}, headers=self.lead)
        (unit,) = units.json()["items"]
        greet = next(s for s in unit["standards"] if s["code"] == "GREET")
        return (unit["visit_score"], greet["score"], greet["share_met"], self.row("E1")["score"])

    def row(self, staff_id: str) -> dict:
        response = self.client.get("/v1/motivation", params={"period": PERIOD}, headers=self.hr)
        assert response.status_code == 200, response.text
        return next(r for r in response.json()["rows"] if r["staff_id"] == staff_id)

    def appeal(self, sub: str, *items: str) -> dict:
        body = {"submission_id": sub, "items": [{"item": i, "claim": f"Оспариваем {i}"} for i in items]}
        response = self.client.post("/v1/appeals", json=body, headers=self.manager)
        assert response.status_code == 201, response.text
        return response.json()

    def decide(self, appeal: dict, **outcomes: tuple) -> dict:
        """`outcomes`: item (dots as underscores) -> ("upheld",) or ("overturned", value)."""
        items = []
        for key, outcome in outcomes.items():
            item = {"item": key.replace("_", "."), "outcome": outcome[0], "reason": "Проверено по записи"}
            items.append(item | ({"value": outcome[1]} if outcome[0] == "overturned" else {}))
        response = self.client.post(f"/v1/appeals/{appeal['id']}/decision", json={"items": items}, headers=self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def withdraw(self, appeal: dict) -> None:
        response = self.client.post(f"/v1/appeals/{appeal['id']}/withdraw", headers=self.manager)
        assert response.status_code == 200, response.text

    def exclude_disputed(self) -> None:
        """Publish version 2 of the default policy with `[appeals] exclude_disputed = true`."""
        text = policy_file().read_text(encoding="utf-8").replace("\nversion = 1\n", "\nversion = 2\n")
        text += "\n[appeals]\nexclude_disputed = true\n"
        response = self.client.post(
            "/v1/policies", content=text.encode(), headers=self.admin | {"Content-Type": "application/toml"}
        )
        assert response.status_code == 201, response.text

    def read(self, fn, *args):
        """A store function run through the app's database."""
        db = self.client.app.state[STATE_KEY].db
        with self.client.portal() as portal:
            return portal.call(db.read, fn, *args)

    def derived(self) -> list[tuple]:
        """The derived rows the figures are summed from (views' scores, per-visit standards, staff)."""
        with open_store(self.settings) as db:
            return [
                *(
                    tuple(r)
                    for r in db.execute(
                        "SELECT submission_id, visit_score, person_score, counted FROM submission_views"
                        " ORDER BY submission_id"
                    )
                ),
                *(tuple(r) for r in db.execute("SELECT submission_id, standards FROM visit_scores ORDER BY 1")),
                *(
                    tuple(r)
                    for r in db.execute("SELECT submission_id, staff_id, person_score FROM visit_staff ORDER BY 1")
                ),
            ]


@pytest.fixture
def world(tmp_path, database_url):
    settings = Settings(data_dir=tmp_path / "var", database_url=database_url, render_workers=0)
    with TestClient(create_app(settings)) as client:
        yield World(client, settings)


def test_figures_before_during_and_after_an_overturn(world: World):
    w = world
    assert w.figures() == BEFORE
    assert w.row("E1")["flags"] == ["insufficient_sample", "provisional"]
    # Filed under the default policy (exclude_disputed false): the figures stay, the rows are marked.
    first = w.appeal(w.v1, "GREET.1")
    assert w.figures() == BEFORE
    assert w.row("E1")["flags"] == ["insufficient_sample", "under_appeal", "provisional"]
    w.withdraw(first)
    assert w.figures() == BEFORE and "under_appeal" not in w.row("E1")["flags"]
    # With exclude_disputed: GREET.1 counts as N/A in the approved figures while the appeal is open ...
    w.exclude_disputed()
    second = w.appeal(w.v1, "GREET.1")
    assert w.figures() == GREET_1_OUT
    assert w.row("E1")["flags"] == ["insufficient_sample", "under_appeal", "provisional"]
    # ... while the visit's own scores stay those of the visit as reviewed.
    scores = w.doc(w.v1)["scores"]
    assert {"visit": scores["visit"], "person": scores["person"]} == AS_REVIEWED
    # A rebuild reproduces the same rows.
    during = w.derived()
    assert w.client.post("/v1/admin/rebuild", headers=w.admin).status_code == 200
    assert w.derived() == during and w.figures() == GREET_1_OUT
    # Overturned to "yes": the figures are those of the changed answer, the mark is gone.
    w.decide(second, GREET_1=("overturned", True))
    assert w.figures() == GREET_1_OUT
    scores = w.doc(w.v1)["scores"]
    assert {"visit": scores["visit"], "person": scores["person"]} == {"visit": 97.22, "person": 100.0}
    assert "under_appeal" not in w.row("E1")["flags"]
    after = w.derived()
    assert w.client.post("/v1/admin/rebuild", headers=w.admin).status_code == 200
    assert w.derived() == after


def test_a_policy_published_during_an_appeal_applies_to_its_figures_at_once(world: World):
    w = world
    w.appeal(w.v1, "GREET.1")
    assert w.figures() == BEFORE
    w.exclude_disputed()  # the visit under appeal is merged again in the publishing transaction
    assert w.figures() == GREET_1_OUT
    during = w.derived()
    assert w.client.post("/v1/admin/rebuild", headers=w.admin).status_code == 200
    assert w.derived() == during


def test_an_upheld_item_counts_again(world: World):
    w = world
    w.exclude_disputed()
    appeal = w.appeal(w.v1, "GREET.1", "QUEUE.1")
    # Both left out: GREET = 1, QUEUE not scored: visit = 100 * (2 + 1 + 3 + 1 + 1) / 8 = 100.
    query = {"period": PERIOD, "unit_id": "U1"}
    (unit,) = w.client.get("/v1/scores/units", params=query, headers=w.lead).json()["items"]
    assert (unit["visit_score"], unit["n"]) == (100.0, 2)
    queue = next(s for s in unit["standards"] if s["code"] == "QUEUE")
    assert (queue["score"], queue["n"]) == (100.0, 1)  # V2's only: V1's one QUEUE item is left out
    w.decide(appeal, GREET_1=("upheld",), QUEUE_1=("upheld",))
    assert w.figures() == BEFORE and "under_appeal" not in w.row("E1")["flags"]


def test_a_forced_close_keeps_the_mark_and_only_an_overturn_adjusts(world: World):
    w = world
    appeal = w.appeal(w.v1, "GREET.1")
    refused = w.client.post(f"/v1/periods/{PERIOD}/close", json={}, headers=w.hr)
    assert refused.status_code == 409 and refused.json()["code"] == "open_appeals"
    closed = w.client.post(f"/v1/periods/{PERIOD}/close", json={"force": True}, headers=w.hr)
    assert closed.status_code == 201, closed.text
    (frozen,) = [r for r in closed.json()["rows"] if r["staff_id"] == "E1"]
    assert frozen["flags"] == ["insufficient_sample", "under_appeal"] and frozen["score"] == BEFORE[3]
    assert w.row("E1") == frozen  # a closed month's rows are its snapshot's
    # Upheld after the close: nothing changed but the mark, so no adjustment.
    w.decide(appeal, GREET_1=("upheld",))
    pending = w.client.get(f"/v1/periods/{PERIOD}/adjustments", headers=w.hr).json()["pending"]
    assert pending == []
    # Appealed again and overturned: E1's score changes, exactly one adjustment.
    w.decide(w.appeal(w.v1, "GREET.1"), GREET_1=("overturned", True))
    (adjustment,) = w.client.get(f"/v1/periods/{PERIOD}/adjustments", headers=w.hr).json()["pending"]
    assert adjustment["staff_id"] == "E1"
    assert adjustment["before"]["score"] == BEFORE[3] and adjustment["after"]["score"] == 100.0
    assert "under_appeal" in adjustment["before"]["flags"] and "under_appeal" not in adjustment["after"]["flags"]


def test_overturn_shares_per_auditor(world: World):
    """aigerim: two visits appealed, 3 items decided, 2 overturned; daulet: one open appeal (nothing
    decided yet); erlan: a withdrawn appeal only (not listed). A month without appeals lists nobody."""
    w = world
    v3 = w.visit("aigerim", PASSING | {"INFO.1": "partial", "PHONE.1": False})
    v4 = w.visit("erlan", PASSING | {"GREET.2": 3})
    w.decide(w.appeal(w.v1, "GREET.1", "QUEUE.1"), GREET_1=("overturned", True), QUEUE_1=("upheld",))
    w.decide(w.appeal(v3, "INFO.1"), INFO_1=("overturned", "full"))
    w.appeal(w.v2, "GREET.2")
    w.withdraw(w.appeal(v4, "GREET.2"))
    shares = w.read(appeals_store.overturn_shares, PERIOD)
    assert [msgspec.to_builtins(s) for s in shares] == [
        {"auditor": "aigerim", "visits": 2, "items_decided": 3, "items_overturned": 2, "share": 2 / 3},
        {"auditor": "daulet", "visits": 1, "items_decided": 0, "items_overturned": 0, "share": None},
    ]
    assert w.read(appeals_store.overturn_shares, "2026-09") == []


def test_the_unit_scorecard_shows_the_box_and_the_mark(world: World):
    w = world
    w.decide(w.appeal(w.v1, "GREET.1", "QUEUE.1"), GREET_1=("overturned", True), QUEUE_1=("upheld",))
    w.appeal(w.v1, "GREET.2")
    w.withdraw(w.appeal(w.v2, "PAY.1"))
    box = w.read(appeals_store.appeal_counts, "U1", PERIOD)
    assert box == AppealsBox(appeals=3, items=4, upheld=1, overturned=1, open=1, withdrawn=1)
    assert w.read(appeals_store.appeal_counts, "U2", PERIOD) is None
    for lang in ("ru", "kk", "en"):
        body = {"scope": "unit", "unit_id": "U1", "period": PERIOD, "lang": lang}
        card = w.client.post("/v1/scorecards", json=body, headers=w.lead)
        assert card.status_code == 201, card.text
        pdf = w.client.get(card.json()["pdf"], headers=w.lead).content
        text = " ".join(pdf_text(pdf).split())
        heading, column, mark, legend = SAYS[lang]
        assert heading in text and column in text and legend in text
        assert text.count(mark) == 1  # GREET.1: failed as audited, overturned; QUEUE.1 upheld, unmarked
        assert "3 4 1 1 1 1" in text
        assert "aigerim" not in text and "manager.u1" not in text
    # A unit without appeals has neither.
    body = {"scope": "unit", "unit_id": "U2", "period": PERIOD, "lang": "ru"}
    card = w.client.post("/v1/scorecards", json=body, headers=w.lead).json()
    text = pdf_text(w.client.get(card["pdf"], headers=w.lead).content)
    assert SAYS["ru"][0] not in text and SAYS["ru"][2] not in text
