"""`POST /v1/admin/rebuild` recomputes every derived row from the revisions, the decisions and the
stored blobs, and gives back exactly what the server had: views, statuses, scores, figures, queues.

The store (tests/data/example.toml), October closed with a snapshot, then adjustments after it:

| visit | month | what happened | status |
| approved | Oct | approved | approved |
| two_staff | Oct | staff E1, E3; approved | approved |
| rejected | Oct | rejected with a comment | rejected |
| corrected | Oct | a reviewer's correction, then approved | approved |
| late_carried | Oct | approved after October closed; carried by November's snapshot | approved |
| late_pending | Oct | approved after November closed: a pending adjustment | approved |
| conflicting | Nov | two tablets of one auditor edit it at once | needs_review |
| changed | Nov | approved, then edited again | needs_review |
| waiting | Nov | a photo not uploaded | awaiting_evidence |
| received | Nov | a revision of it quarantined (unknown staff) | received |
| pending | Nov | its parent never arrived | draft |
| draft | Nov | not submitted | draft |
"""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest

from tests.conftest import make_user, open_store
from tests.tablet import PASSING, Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
OCTOBER = "2026-10-15T11:00:00+05:00"
NOVEMBER = "2026-11-12T09:30:00+05:00"
PERIODS = ("2026-10", "2026-11")
STATUSES = ("draft", "received", "needs_review", "awaiting_evidence", "approved", "rejected")
MISSING_PHOTO = "cd" * 32

# The derived tables (migrations 0002, 0004, 0006-0008): what a rebuild recomputes.
DERIVED = {
    "submission_views": "submission_id",
    "view_evidence": "submission_id, sha256",
    "visit_scores": "period, counted, unit_id, submission_id",
    "visit_staff": "period, counted, staff_id, submission_id",
    "standard_sums": "period, counted, unit_id, code",
    "dirty_groups": "period, counted, unit_id",
}
# What is recorded, never derived: a rebuild reads these and leaves them as they are.
RECORDED = {
    "submissions": "submission_id",
    "revisions": "rev_id",
    "reviews": "id",
    "quarantine": "id",
    "period_snapshots": "period",
    "blobs": "sha256",
    "audit_log": "id",
}


def decide(client, headers, rev, decision, comment=None):
    doc = client.get(f"/v1/submissions/{rev['submission_id']}", headers=headers).json()
    body = {"decision": decision, "heads": doc["heads"]} | ({"comment": comment} if comment else {})
    response = client.post(f"/v1/submissions/{rev['submission_id']}/review", json=body, headers=headers)
    assert response.status_code == 200, response.text


def second_tablet(client, admin, name: str) -> Tablet:
    """Another tablet of the same auditor: a second token, used from a second device."""
    response = client.post(f"/v1/users/{name}/tokens", headers=admin)
    assert response.status_code == 201, response.text
    return Tablet({"Authorization": f"Bearer {response.json()['token']}", "Tekseru-Device-Id": str(uuid.uuid4())})


@pytest.fixture
def store(client, admin, example_checklist, default_policy):
    for unit_id, region in (("U1", "Алматы"), ("U3", "Астана")):
        client.put(f"/v1/units/{unit_id}", json=UNIT | {"region": region}, headers=admin)
    client.put(
        "/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1", "position": "=консультант"}, headers=admin
    )
    client.put("/v1/staff/E3", json={"name": "Қайратұлы Ерлан", "unit_id": "U1"}, headers=admin)
    tablet = Tablet(make_user(client, admin, "aigerim", "auditor"))
    other = second_tablet(client, admin, "aigerim")
    lead = make_user(client, admin, "saule", "quality_lead")
    hr = make_user(client, admin, "dana", "hr")

    v = {
        "approved": tablet.revision(started_at=OCTOBER),
        "two_staff": tablet.revision(
            started_at=OCTOBER,
            staff_ids=["E1", "E3"],
            answers=PASSING | {"GREET.2": 4, "QUEUE.1": 1200, "INFO.1": "partial"},
        ),
        "rejected": tablet.revision(started_at=OCTOBER, unit_id="U3"),
        "corrected": tablet.revision(started_at=OCTOBER, answers=PASSING | {"CLEAN.1": False}),
        "late_carried": tablet.revision(started_at=OCTOBER, staff_ids=["E3"]),
        "late_pending": tablet.revision(started_at=OCTOBER, answers=PASSING | {"PAY.1": True}),
        "conflicting": tablet.revision(started_at=NOVEMBER),
        "changed": tablet.revision(started_at=NOVEMBER, staff_ids=["E3"]),
        "waiting": tablet.revision(started_at=NOVEMBER, answers=PASSING | {"CLEAN.2": None}),
        "received": tablet.revision(started_at=NOVEMBER, answers=PASSING | {"NOTES.1": "+7 701 000 00 00"}),
        "pending": tablet.revision(started_at=NOVEMBER, parents=[str(uuid.uuid4())]),
        "draft": tablet.revision(started_at=NOVEMBER, state="draft"),
    }
    v["waiting"]["answers"][-1]["evidence"] = [MISSING_PHOTO]
    receipts = tablet.push(client, list(v.values()))
    assert [r["status"] for r in receipts] == ["applied"] * 10 + ["pending", "applied"]

    # Two tablets of one auditor edit one visit at once: a conflict on GREET.2.
    (left,) = tablet.push(client, [tablet.edit(v["conflicting"], answers=PASSING | {"GREET.2": 2})])
    (right,) = other.push(client, [other.edit(v["conflicting"], answers=PASSING | {"GREET.2": 3})])
    assert (left["status"], right["status"]) == ("applied", "merged")
    # A reviewer's correction (the unit was tidy after all), then approval.
    correction = tablet.edit(v["corrected"], answers=PASSING)
    correction["hlc"] = None
    response = client.post(
        f"/v1/submissions/{v['corrected']['submission_id']}/revisions", json=correction, headers=lead
    )
    assert response.status_code == 200 and response.json()["status"] == "applied", response.text
    # A revision naming a staff member who does not exist is quarantined; its visit is untouched.
    (held,) = tablet.push(client, [tablet.edit(v["received"], staff_ids=["E404"])])
    assert held["status"] == "quarantined"

    for name in ("approved", "two_staff", "corrected", "changed"):
        decide(client, lead, v[name], "approve")
    decide(client, lead, v["rejected"], "reject", "=визит в выходной")
    (edited,) = tablet.push(client, [tablet.edit(v["changed"], answers=PASSING | {"GREET.1": False})])
    assert edited["status"] == "applied"

    closed = client.post("/v1/periods/2026-10/close", json={"force": True}, headers=hr)
    assert closed.status_code == 201, closed.text
    decide(client, lead, v["late_carried"], "approve")
    november = client.post("/v1/periods/2026-11/close", json={"force": True}, headers=hr)
    assert november.status_code == 201, november.text
    assert [a["staff_id"] for a in november.json()["carried"]] == ["E3"]
    decide(client, lead, v["late_pending"], "approve")
    return {"visits": v, "tablet": tablet, "lead": lead, "hr": hr}


def _get(client, path: str, headers: dict, **params) -> object:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, (path, params, response.text)
    return response.json()


def everything(client, store) -> dict:
    """Every view, status, score, figure and queue row the server shows of the store."""
    lead, hr, tablet = store["lead"], store["hr"], store["tablet"]
    out: dict = {}
    for period in PERIODS:
        for basis in ("approved", "provisional"):
            out[("units", period, basis)] = _get(client, "/v1/scores/units", hr, period=period, basis=basis)
            out[("staff", period, basis)] = _get(client, "/v1/scores/staff", hr, period=period, basis=basis)
            out[("network", period, basis)] = _get(
                client, "/v1/scores/network", hr, period=period, kind="branch", basis=basis
            )
        out[("motivation", period)] = _get(client, "/v1/motivation", hr, period=period)
        out[("motivation.csv", period)] = client.get(
            "/v1/motivation", params={"period": period, "format": "csv"}, headers=hr
        ).text
        out[("snapshot", period)] = _get(client, f"/v1/periods/{period}/snapshot", hr)
        out[("adjustments", period)] = _get(client, f"/v1/periods/{period}/adjustments", hr)
    for status in (*STATUSES, "all", None):
        params = {"limit": 1000} | ({"status": status} if status else {})
        out[("queue", status)] = _get(client, "/v1/submissions", lead, **params)
        out[("queue, newest first", status)] = _get(client, "/v1/submissions", lead, sort="recent", **params)
    out[("queue", "conflicts")] = _get(client, "/v1/submissions", lead, status="all", conflicts="true")
    out[("queue", "own")] = _get(client, "/v1/submissions", tablet.headers, status="all")
    for rev in store["visits"].values():
        sub = rev["submission_id"]
        out[("submission", sub)] = _get(client, f"/v1/submissions/{sub}", lead)
        out[("submission, own", sub)] = _get(client, f"/v1/submissions/{sub}", tablet.headers)
        out[("revisions", sub)] = _get(client, f"/v1/submissions/{sub}/revisions", lead)
    # What a tablet pulling from the start holds (sequence numbers aside: see the rebuild's docstring).
    out["pull"] = sorted((c["kind"], c["id"], c["op"], json.dumps(c["data"])) for c in tablet.pull_all(client)[0])
    return out


def tables(settings, names: dict[str, str]) -> dict[str, list[dict]]:
    with open_store(settings) as db:
        db.row_factory = sqlite3.Row
        out = {name: db.execute(f"SELECT * FROM {name} ORDER BY {key}").fetchall() for name, key in names.items()}
        # The feed of submissions: which auditor gets which object (its number is given again).
        out["changes"] = db.execute(
            "SELECT kind, object_id, op, audience FROM changes ORDER BY kind, object_id, audience"
        ).fetchall()
    return {name: [dict(row) for row in rows] for name, rows in out.items()}


def test_the_store_holds_every_kind_of_visit(client, store):
    statuses = {
        name: _get(client, f"/v1/submissions/{rev['submission_id']}", store["lead"])["status"]
        for name, rev in store["visits"].items()
    }
    assert statuses == {
        "approved": "approved",
        "two_staff": "approved",
        "rejected": "rejected",
        "corrected": "approved",
        "late_carried": "approved",
        "late_pending": "approved",
        "conflicting": "needs_review",
        "changed": "needs_review",
        "waiting": "awaiting_evidence",
        "received": "received",
        "pending": "draft",
        "draft": "draft",
    }
    adjustments = _get(client, "/v1/periods/2026-10/adjustments", store["hr"])
    assert adjustments["pending"] != [] and adjustments["carried"] != []
    visits, lead = store["visits"], store["lead"]
    conflicting = _get(client, f"/v1/submissions/{visits['conflicting']['submission_id']}", lead)
    assert [c["field"] for c in conflicting["conflicts"]] == ["answers[GREET.2].value"]
    corrected = _get(client, f"/v1/submissions/{visits['corrected']['submission_id']}/revisions", lead)
    assert [r["rank"] for r in corrected["items"]] == ["auditor", "reviewer"]
    received = _get(client, f"/v1/submissions/{visits['received']['submission_id']}/revisions", lead)
    assert len(received["quarantined"]) == 1


def test_rebuild_keeps_every_decision_view_and_figure(client, admin, store, settings):
    before = everything(client, store)
    derived_before, recorded_before = tables(settings, DERIVED), tables(settings, RECORDED)
    response = client.post("/v1/admin/rebuild", headers=admin)
    assert response.status_code == 200 and response.json()["submissions"] == len(store["visits"])
    # Every submitted visit's integrity check is asked for again (some may have run already).
    assert 0 <= response.json()["integrity_checks"] <= len(store["visits"])
    after = everything(client, store)
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
    assert tables(settings, DERIVED) == derived_before
    assert tables(settings, RECORDED) == recorded_before
    approved = before[("submission", store["visits"]["approved"]["submission_id"])]
    assert approved["status"] == "approved" and approved["review"]["decision"] == "approve"


def _without_updated_at(value):
    if isinstance(value, dict):
        return {k: _without_updated_at(v) for k, v in value.items() if k != "updated_at"}
    if isinstance(value, list | tuple):
        return [_without_updated_at(v) for v in value]
    if isinstance(value, str) and value.startswith("{") and '"updated_at"' in value:
        return json.dumps(_without_updated_at(json.loads(value)))
    return value


def test_rebuild_from_nothing_derived_gives_the_same_store(client, admin, store, settings):
    """Every derived row lost: all comes back from the records; only `updated_at` (when the server
    last wrote the view, which nothing recorded says) is then the rebuild's time."""
    before = everything(client, store)
    derived_before = tables(settings, DERIVED)
    with open_store(settings) as db:
        for table in DERIVED:
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM changes WHERE kind = 'submission'")
    assert client.post("/v1/admin/rebuild", headers=admin).status_code == 200
    after = everything(client, store)
    for key in before:
        assert _without_updated_at(after[key]) == _without_updated_at(before[key]), key
    assert _without_updated_at(tables(settings, DERIVED)) == _without_updated_at(derived_before)
