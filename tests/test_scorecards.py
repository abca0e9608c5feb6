"""Scorecards through HTTP: drafts, publishing (immutable), HR sees published ones, PDFs read back."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import sqlite3

import pytest
from litestar.testing import TestClient
from pypdf import PdfReader

from server.app import create_app
from server.db import INTEGRITY_ERRORS
from server.settings import Settings
from tests.conftest import EXAMPLE_CHECKLIST, make_user
from tests.tablet import PASSING, Tablet

OCTOBER = "2026-10-15T11:00:00+05:00"


@pytest.fixture
def setup(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", render_workers=0)
    with TestClient(create_app(settings)) as client:
        admin = {"Authorization": f"Bearer {(settings.data_dir / 'admin.token').read_text().strip()}"}
        client.post(
            "/v1/checklists",
            content=EXAMPLE_CHECKLIST.read_bytes(),
            headers=admin | {"Content-Type": "application/toml"},
        )
        from checklists.library import policy_file

        client.post(
            "/v1/policies", content=policy_file().read_bytes(), headers=admin | {"Content-Type": "application/toml"}
        )
        client.put(
            "/v1/units/U1", json={"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}, headers=admin
        )
        client.put(
            "/v1/units/U2", json={"kind": "branch", "name": "ПСС Қонаев", "region": "Алматы облысы"}, headers=admin
        )
        client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
        tablet = Tablet(make_user(client, admin, "aigerim.shopper", "auditor"))
        lead = make_user(client, admin, "saule", "quality_lead")
        hr = make_user(client, admin, "dana", "hr")
        visits = [
            tablet.revision(started_at=OCTOBER),
            tablet.revision(started_at=OCTOBER, answers=PASSING | {"GREET.2": 2}),
        ]
        visits[1]["answers"][1]["comment"] = "Отвечала сквозь зубы, не поздоровалась первой."
        tablet.push(client, visits)
        for visit in visits:
            approve(client, lead, visit)
        yield {"client": client, "admin": admin, "lead": lead, "hr": hr, "tablet": tablet, "settings": settings}


def approve(client, lead, visit):
    heads = client.get(f"/v1/submissions/{visit['submission_id']}", headers=lead).json()["heads"]
    client.post(
        f"/v1/submissions/{visit['submission_id']}/review", json={"decision": "approve", "heads": heads}, headers=lead
    )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_draft_publish_and_immutability(setup):
    client, lead, hr, tablet = setup["client"], setup["lead"], setup["hr"], setup["tablet"]
    body = {"scope": "unit", "unit_id": "U1", "period": "2026-10", "lang": "ru"}
    draft = client.post("/v1/scorecards", json=body, headers=lead)
    assert draft.status_code == 201, draft.text
    card = draft.json()
    assert card["status"] == "draft" and card["pdf"] == f"/v1/scorecards/{card['id']}/pdf"
    pdf = client.get(card["pdf"], headers=lead)
    assert (
        pdf.headers["content-type"] == "application/pdf" and hashlib.sha256(pdf.content).hexdigest() == card["sha256"]
    )
    text = pdf_text(pdf.content)
    assert "ПСС Алматы, Абая 109" in text and "aigerim" not in text and "Отвечала сквозь зубы" in text
    # The same data again: the same bytes, the same draft.
    again = client.post("/v1/scorecards", json=body, headers=lead).json()
    assert again["sha256"] == card["sha256"] and again["id"] == card["id"]
    # HR sees no drafts.
    assert client.get(card["pdf"], headers=hr).status_code == 404
    assert client.get("/v1/scorecards", headers=hr).json()["items"] == []
    published = client.post(f"/v1/scorecards/{card['id']}/publish", headers=lead).json()
    assert published["status"] == "published" and published["sha256"] == card["sha256"]
    assert client.get(card["pdf"], headers=hr).content == pdf.content
    # New data: a new draft differs; the published one stays as it was.
    late = tablet.revision(started_at=OCTOBER, answers=PASSING | {"CLEAN.1": False})
    tablet.push(client, [late])
    approve(client, lead, late)
    newer = client.post("/v1/scorecards", json=body, headers=lead).json()
    assert newer["id"] != card["id"] and newer["sha256"] != card["sha256"] and newer["status"] == "draft"
    assert client.get(card["pdf"], headers=hr).content == pdf.content
    listed = client.get("/v1/scorecards", params={"period": "2026-10"}, headers=lead).json()["items"]
    assert sorted(c["status"] for c in listed) == ["draft", "published"]
    with sqlite3.connect(setup["settings"].db_path) as db:
        with pytest.raises(INTEGRITY_ERRORS, match="immutable|never change"):
            db.execute("UPDATE scorecards SET pdf = x'00' WHERE scorecard_id = ?", (card["id"],))
        with pytest.raises(INTEGRITY_ERRORS, match="immutable"):
            db.execute("UPDATE scorecards SET status = 'draft' WHERE scorecard_id = ?", (card["id"],))
        with pytest.raises(INTEGRITY_ERRORS, match="never deleted"):
            db.execute("DELETE FROM scorecards WHERE scorecard_id = ?", (card["id"],))


def test_hr_cannot_create_or_publish(setup):
    client, hr = setup["client"], setup["hr"]
    body = {"scope": "unit", "unit_id": "U1", "period": "2026-10"}
    assert client.post("/v1/scorecards", json=body, headers=hr).status_code == 403
    card = client.post("/v1/scorecards", json=body, headers=setup["lead"]).json()
    assert client.post(f"/v1/scorecards/{card['id']}/publish", headers=hr).status_code == 403


def test_a_unit_without_visits_says_so(setup):
    client, lead = setup["client"], setup["lead"]
    response = client.post("/v1/scorecards", json={"scope": "unit", "unit_id": "U2", "period": "2026-10"}, headers=lead)
    assert response.status_code == 201
    assert "ПСС Қонаев" in pdf_text(client.get(response.json()["pdf"], headers=lead).content)


def test_staff_and_network_scorecards_and_languages(setup):
    client, lead = setup["client"], setup["lead"]
    staff = client.post(
        "/v1/scorecards", json={"scope": "staff", "staff_id": "E1", "period": "2026-10", "lang": "kk"}, headers=lead
    )
    assert staff.status_code == 201
    text = pdf_text(client.get(staff.json()["pdf"], headers=lead).content)
    assert "Нұрланова Әлия" in text
    # GREET over E1's two approved visits: (1 + (1 + (2 - 1) / 4) / 2) / 2 = 0.8125 -> 81,25
    assert "81,25" in text
    network = {"scope": "network", "unit_kind": "branch", "period": "2026-10"}
    ru = client.post("/v1/scorecards", json=network | {"lang": "ru"}, headers=lead).json()
    en = client.post("/v1/scorecards", json=network | {"lang": "en"}, headers=lead).json()
    assert ru["sha256"] != en["sha256"] and ru["id"] != en["id"]
    text = pdf_text(client.get(en["pdf"], headers=lead).content)
    assert "ПСС Алматы, Абая 109" in text and "ПСС Қонаев" in text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"scope": "unit", "period": "2026-10"}, 400),
        ({"scope": "unit", "unit_id": "NOPE", "period": "2026-10"}, 404),
        ({"scope": "staff", "staff_id": "NOPE", "period": "2026-10"}, 404),
        ({"scope": "network", "period": "2026-10"}, 400),
        ({"scope": "unit", "unit_id": "U1", "period": "2026-13"}, 400),
        ({"scope": "unit", "unit_id": "U1", "period": "2026-10", "lang": "de"}, 400),
    ],
)
def test_bad_requests(setup, body, status):
    assert setup["client"].post("/v1/scorecards", json=body, headers=setup["lead"]).status_code == status


def test_the_as_of_time_is_in_the_organisations_zone(setup):
    """A scorecard shows its as-of time in the organisation's zone, with the zone's name."""
    client, lead = setup["client"], setup["lead"]
    card = client.post("/v1/scorecards", json={"scope": "unit", "unit_id": "U1", "period": "2026-10"}, headers=lead)
    text = pdf_text(client.get(card.json()["pdf"], headers=lead).content).replace("\n", " ")
    assert setup["settings"].timezone == "Asia/Almaty"
    assert re.search(r"Данные на \d\d\.\d\d\.\d{4} \d\d:\d\d Asia/Almaty", text), text
    assert " UTC" not in text


def test_the_demos_comments_answer_the_failed_question():
    """The demo's shopper comments a failed item with a remark about that item's question."""
    import random

    from checklists.library import checklist_files
    from checklists.score import ChecklistIndex, item_score
    from checklists.validate import load_checklist
    from server.demo.visits import ITEM_COMMENTS, make_visit

    for entry in checklist_files():
        checklist = load_checklist(entry.read_bytes(), "toml", entry.name).checklist
        index = ChecklistIndex(checklist)
        scored = {i.id for s in checklist.standards for i in s.items if i.scored}
        assert scored <= set(ITEM_COMMENTS), sorted(scored - set(ITEM_COMMENTS))
        visit = make_visit(
            index, "U1", checklist.unit_kind, [], dt.datetime(2026, 10, 5, 11, tzinfo=dt.UTC), 0.3, random.Random(5)
        )
        failed = [a for a in visit["answers"] if a.get("comment")]
        assert len(failed) > 5
        for answer in failed:
            assert not item_score(index.items[answer["item"]], answer["value"])[1]
            assert answer["comment"] in ITEM_COMMENTS[answer["item"]], answer
