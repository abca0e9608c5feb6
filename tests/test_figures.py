"""Review, scores, motivation and closed periods through HTTP, recomputed by hand from a few visits.

The visits (tests/data/example.toml; standards GREET 2 person, QUEUE 1 unit, INFO 1 person,
PAY 3 person, CLEAN 1 unit, PHONE 1 person), all in October 2026:

| visit | unit | staff | answers | visit | person | fate |
| V1 | U1 | E1 | all pass | 100 | 100 | approved |
| V2 | U1 | E1, E3 | GREET.2 4, QUEUE.1 1200 s, INFO partial | 86.11 | 89.29 | approved |
| V3 | U1 | E1 | CLEAN.1 fails (critical, unit) | 0 | 100 | approved |
| V4 | U3 | E1 | PAY.1 fails (critical, person) | 0 | 0 | approved: E1 audited in a second unit |
| V5 | U1 | E1 | all pass | 100 | 100 | rejected |
| V6 | U1 | E1 | all pass | — | — | draft |
| V7 | U1 | E3 | INFO N/A, QUEUE.1 1800 s | 87.5 | 100 | approved |
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from reports.aggregate import sum_standards
from server.db import INTEGRITY_ERRORS, begin_write
from server.store import scores as score_store
from tests.conftest import make_user, open_store
from tests.tablet import PASSING, Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
OCTOBER = "2026-10-15T11:00:00+05:00"

V2_VISIT = 100 * (2 * 0.875 + 0.5 + 0.5 + 3 + 1 + 1) / 9
V2_PERSON = 100 * (2 * 0.875 + 0.5 + 3 + 1) / 7


@pytest.fixture
def world(client, admin, example_checklist, default_policy):
    for unit_id, region in (("U1", "Алматы"), ("U3", "Астана")):
        client.put(f"/v1/units/{unit_id}", json=UNIT | {"region": region}, headers=admin)
    client.put(
        "/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1", "position": "консультант"}, headers=admin
    )
    client.put("/v1/staff/E3", json={"name": "Қайратұлы Ерлан", "unit_id": "U1"}, headers=admin)
    tablet = Tablet(make_user(client, admin, "aigerim", "auditor"))
    lead = make_user(client, admin, "saule", "quality_lead")
    hr = make_user(client, admin, "dana", "hr")
    visits = {
        "V1": tablet.revision(started_at=OCTOBER),
        "V2": tablet.revision(
            started_at=OCTOBER,
            staff_ids=["E1", "E3"],
            answers=PASSING | {"GREET.2": 4, "QUEUE.1": 1200, "INFO.1": "partial"},
        ),
        "V3": tablet.revision(started_at=OCTOBER, answers=PASSING | {"CLEAN.1": False}),
        "V4": tablet.revision(started_at=OCTOBER, unit_id="U3", answers=PASSING | {"PAY.1": True}),
        "V5": tablet.revision(started_at=OCTOBER),
        "V6": tablet.revision(started_at=OCTOBER, state="draft"),
        "V7": tablet.revision(
            started_at=OCTOBER,
            staff_ids=["E3"],
            answers={k: v for k, v in PASSING.items() if k != "INFO.1"} | {"QUEUE.1": 1800},
        ),
    }
    visits["V7"]["answers"].append({"item": "INFO.1", "value": None, "na": True})
    receipts = tablet.push(client, list(visits.values()))
    assert {r["status"] for r in receipts} == {"applied"}
    for name, rev in visits.items():
        if name in ("V5", "V6"):
            continue
        decide(client, lead, rev, "approve")
    decide(client, lead, visits["V5"], "reject", "the auditor visited on a holiday")
    return {"tablet": tablet, "lead": lead, "hr": hr, "admin": admin, "visits": visits}


def decide(client, headers, rev, decision, comment=None):
    doc = client.get(f"/v1/submissions/{rev['submission_id']}", headers=headers).json()
    body = {"decision": decision, "heads": doc["heads"]} | ({"comment": comment} if comment else {})
    response = client.post(f"/v1/submissions/{rev['submission_id']}/review", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(params=[32, 1], ids=["groups at once", "one group per transaction"])
def refresh_groups(request, monkeypatch):
    """The groups re-summed per write transaction: the default, and one (every group its own round)."""
    monkeypatch.setattr(score_store, "REFRESH_GROUPS", request.param)
    return request.param


def test_unit_and_standard_figures_by_hand(client, world, refresh_groups):
    body = client.get("/v1/scores/units", params={"period": "2026-10"}, headers=world["hr"]).json()
    assert body["basis"] == "approved"
    units = {u["unit_id"]: u for u in body["items"]}
    u1 = units["U1"]
    assert u1["n"] == 4 and u1["visit_score"] == round((100 + V2_VISIT + 0 + 87.5) / 4, 2) == 68.4
    assert u1["mark"] == "red" and u1["previous"] is None and u1["change"] is None
    standards = {s["code"]: s for s in u1["standards"]}
    assert standards["GREET"] == {"code": "GREET", "score": 96.88, "share_met": 100.0, "n": 4}  # 96.875 half up
    assert standards["QUEUE"] == {"code": "QUEUE", "score": 62.5, "share_met": 50.0, "n": 4}
    assert standards["INFO"] == {"code": "INFO", "score": 83.33, "share_met": 66.67, "n": 3}  # N/A in V7
    assert standards["CLEAN"] == {"code": "CLEAN", "score": 75.0, "share_met": 75.0, "n": 4}
    assert standards["PAY"]["score"] == 100.0 and "NOTES" not in standards
    assert units["U3"]["visit_score"] == 0.0 and units["U3"]["n"] == 1


def _sums_table(settings) -> dict[tuple, tuple]:
    with open_store(settings) as db:
        rows = db.execute("SELECT period, counted, unit_id, code, total, n, met FROM standard_sums").fetchall()
        assert db.execute("SELECT count(*) FROM dirty_groups").fetchone()[0] == 0, "every group was re-summed"
    return {row[:4]: row[4:] for row in rows}


def _sums_from_visits(settings) -> dict[tuple, tuple]:
    """The sums as `sum_standards` makes them from every visit's stored standards (the oracle)."""
    with open_store(settings) as db:
        rows = db.execute("SELECT period, counted, unit_id, standards FROM visit_scores").fetchall()
    by_group: dict[tuple, list] = {}
    for period, counted, unit_id, standards in rows:
        by_group.setdefault((period, counted), []).append((unit_id, json.loads(standards)))
    return {
        (period, counted, s.unit_id, s.code): (s.total, s.n, s.met)
        for (period, counted), visits in by_group.items()
        for s in sum_standards(visits)
    }


def test_sums_re_summed_in_rounds_with_a_push_between_them(client, world, settings, refresh_groups):
    """A read re-sums the dirty groups a few per transaction; a push between rounds is not lost."""
    tablet, lead = world["tablet"], world["lead"]
    tablet.push(client, [tablet.revision(started_at=OCTOBER, unit_id="U3", answers=PASSING | {"QUEUE.1": 1800})])
    with open_store(settings) as db:
        begin_write(db)
        assert score_store.refresh_some(db, "2026-10", 1) == 1  # one round of a read, then a push
        db.execute("COMMIT")
    late = tablet.revision(started_at=OCTOBER, answers=PASSING | {"CLEAN.1": False})
    tablet.push(client, [late])
    decide(client, lead, late, "approve")
    body = client.get("/v1/scores/units", params={"period": "2026-10", "basis": "provisional"}, headers=lead).json()
    u3 = {s["code"]: s for s in next(u for u in body["items"] if u["unit_id"] == "U3")["standards"]}
    assert u3["QUEUE"]["n"] == 2 and u3["QUEUE"]["score"] == 50.0  # V4 (300 s: 1) and the new one (1800 s: 0)
    assert _sums_table(settings) == _sums_from_visits(settings)
    u1 = client.get("/v1/scores/units", params={"period": "2026-10", "unit_id": "U1"}, headers=lead).json()["items"]
    assert {s["code"]: s for s in u1[0]["standards"]}["CLEAN"] == {
        "code": "CLEAN",
        "score": 60.0,
        "share_met": 60.0,
        "n": 5,
    }  # V1-V3, V7 and the late visit


def test_provisional_figures_include_unreviewed_but_not_rejected_or_drafts(client, world):
    tablet, lead = world["tablet"], world["lead"]
    tablet.push(client, [tablet.revision(started_at=OCTOBER, answers=PASSING | {"GREET.1": False})])
    approved = client.get("/v1/scores/units", params={"period": "2026-10", "unit_id": "U1"}, headers=lead).json()
    provisional = client.get(
        "/v1/scores/units", params={"period": "2026-10", "unit_id": "U1", "basis": "provisional"}, headers=lead
    ).json()
    assert approved["items"][0]["n"] == 4
    assert provisional["basis"] == "provisional" and provisional["items"][0]["n"] == 5
    # GREET.1 fails: GREET = (0 + 1) / 2 = 0.5; visit = 100 * (2 * 0.5 + 1 + 1 + 3 + 1 + 1) / 9
    fifth = 100 * 8 / 9
    assert provisional["items"][0]["visit_score"] == round((100 + V2_VISIT + 0 + 87.5 + fifth) / 5, 2)


def test_staff_scores_and_a_person_audited_in_two_units(client, world):
    body = client.get("/v1/scores/staff", params={"period": "2026-10"}, headers=world["lead"]).json()
    staff = {s["staff_id"]: s for s in body["items"]}
    assert staff["E1"]["n"] == 4 and staff["E1"]["person_score"] == round((100 + V2_PERSON + 100 + 0) / 4, 2) == 72.32
    assert staff["E3"]["n"] == 2 and staff["E3"]["person_score"] == round((V2_PERSON + 100) / 2, 2) == 94.64
    in_u3 = client.get("/v1/scores/staff", params={"period": "2026-10", "unit_id": "U3"}, headers=world["lead"]).json()
    assert [(s["staff_id"], s["person_score"], s["n"]) for s in in_u3["items"]] == [("E1", 0.0, 1)]


def test_network_ranks_units_and_names_the_weakest_standards(client, world):
    body = client.get("/v1/scores/network", params={"period": "2026-10", "kind": "branch"}, headers=world["hr"]).json()
    network = body["network"]
    assert [(u["rank"], u["unit_id"]) for u in network["units"]] == [(1, "U1"), (2, "U3")]
    assert network["n"] == 5 and network["visit_score"] == round((100 + V2_VISIT + 0 + 0 + 87.5) / 5, 2)
    weakest = network["weakest_standards"]
    # QUEUE met in V1, V3 of U1 and in V4 of U3: 3 of 5; INFO 3 of 4; CLEAN and PAY 4 of 5
    assert [(s["code"], s["share_met"], s["n"]) for s in weakest[:2]] == [("QUEUE", 60.0, 5), ("INFO", 75.0, 4)]


def test_motivation_json_csv_and_xlsx(client, world):
    body = client.get("/v1/motivation", params={"period": "2026-10"}, headers=world["hr"]).json()
    assert body["closed"] is False and body["policy"]["id"] == "default"
    rows = {r["staff_id"]: r for r in body["rows"]}
    assert rows["E1"]["score"] == 72.32 and rows["E1"]["coefficient"] == 0.9 and rows["E1"]["flags"] == ["provisional"]
    assert rows["E3"]["flags"] == ["insufficient_sample", "provisional"] and rows["E3"]["coefficient"] == 1.0
    assert rows["E1"]["name"] == "Нұрланова Әлия" and rows["E1"]["position"] == "консультант"
    assert "aigerim" not in str(body)
    response = client.get(
        "/v1/motivation", params={"period": "2026-10", "format": "csv", "sep": ";"}, headers=world["hr"]
    )
    assert response.headers["content-type"].startswith("text/csv") and response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert table[0]["name"] == "Нұрланова Әлия" and table[0]["score"] == "72,32"
    accept = client.get("/v1/motivation", params={"period": "2026-10"}, headers=world["hr"] | {"Accept": "text/csv"})
    assert accept.content.startswith(b"\xef\xbb\xbf")
    from openpyxl import load_workbook

    xlsx = client.get("/v1/motivation", params={"period": "2026-10", "format": "xlsx"}, headers=world["hr"])
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]][:2] == ["E1", "Нұрланова Әлия"]


def test_review_is_bound_to_the_heads_seen_and_changes_return_to_the_queue(client, world):
    tablet, lead = world["tablet"], world["lead"]
    v1 = world["visits"]["V1"]
    doc = client.get(f"/v1/submissions/{v1['submission_id']}", headers=lead).json()
    assert doc["status"] == "approved" and doc["review"]["decision"] == "approve"
    # The tablet sends a fix: the approval no longer covers the heads, the visit is back in review.
    fix = tablet.edit(v1, answers=PASSING | {"GREET.2": 4})
    tablet.push(client, [fix])
    stale = client.post(
        f"/v1/submissions/{v1['submission_id']}/review",
        json={"decision": "approve", "heads": doc["heads"]},
        headers=lead,
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_heads"
    queue = client.get("/v1/submissions", params={"period": "2026-10"}, headers=lead).json()["items"]
    row = next(r for r in queue if r["submission_id"] == v1["submission_id"])
    assert row["status"] == "needs_review" and row["reasons"][0].startswith("changed after it was approved")
    # The rejection's reason reaches the tablet through pull.
    changes, _ = tablet.pull_all(client)
    v5 = world["visits"]["V5"]["submission_id"]
    pulled = [c["data"] for c in changes if c["kind"] == "submission" and c["id"] == v5][-1]
    assert pulled["status"] == "rejected" and pulled["review"]["comment"] == "the auditor visited on a holiday"


def test_queue_filters_and_bulk_review(client, world):
    tablet, lead = world["tablet"], world["lead"]
    fresh = [tablet.revision(started_at=OCTOBER) for _ in range(3)]
    tablet.push(client, fresh)
    queue = client.get("/v1/submissions", params={"sort": "age"}, headers=lead).json()["items"]
    # Received in one push, so at the same time: then in submission_id order.
    assert [r["submission_id"] for r in queue] == sorted(r["submission_id"] for r in fresh)
    fresh.sort(key=lambda r: r["submission_id"])
    assert all(r["reasons"] == ["submitted, not yet reviewed"] for r in queue)
    assert (
        client.get("/v1/submissions", params={"region": "Астана", "status": "all"}, headers=lead).json()["items"][0][
            "unit_id"
        ]
        == "U3"
    )
    decisions = [
        {"submission_id": r["submission_id"], "decision": "approve", "heads": [r["submission_id"]]} for r in queue[:1]
    ] + [
        {
            "submission_id": fresh[1]["submission_id"],
            "decision": "reject",
            "heads": [fresh[1]["rev_id"]],
            "comment": "фото не те",
        },
        {"submission_id": fresh[2]["submission_id"], "decision": "approve", "heads": [fresh[2]["rev_id"]]},
    ]
    results = client.post("/v1/submissions/review", json={"decisions": decisions}, headers=lead).json()["items"]
    assert [r["status"] for r in results] == ["failed", "rejected", "approved"]
    assert results[0]["problem"]["code"] == "stale_heads"
    assert [r["submission_id"] for r in client.get("/v1/submissions", headers=lead).json()["items"]] == [
        fresh[0]["submission_id"]
    ]


def test_close_refuses_unreviewed_then_freezes_and_late_visits_become_adjustments(client, world, settings):
    hr, lead, tablet = world["hr"], world["lead"], world["tablet"]
    late = tablet.revision(started_at=OCTOBER)
    tablet.push(client, [late])
    refused = client.post("/v1/periods/2026-10/close", headers=hr)
    assert refused.status_code == 409 and refused.json()["code"] == "unreviewed_submissions"
    assert refused.json()["errors"] == [{"path": "submissions[0]", "message": f"{late['submission_id']} (received)"}]
    decide(client, lead, late, "reject")
    closed = client.post("/v1/periods/2026-10/close", headers=hr)
    assert closed.status_code == 201, closed.text
    body = closed.json()
    assert body["policy"]["id"] == "default" and {r["staff_id"] for r in body["rows"]} == {"E1", "E3"}
    snapshot = client.get("/v1/periods/2026-10/snapshot", headers=hr)
    assert snapshot.json()["sha256"] == body["sha256"] and snapshot.json()["rows"] == body["rows"]
    assert client.post("/v1/periods/2026-10/close", headers=hr).json()["code"] == "period_closed"
    # A visit of October approved after the close: the snapshot does not move; an adjustment appears.
    after = tablet.revision(started_at=OCTOBER, staff_ids=["E3"])
    tablet.push(client, [after])
    decide(client, lead, after, "approve")
    assert client.get("/v1/periods/2026-10/snapshot", headers=hr).content == snapshot.content
    adjustments = client.get("/v1/periods/2026-10/adjustments", headers=hr).json()
    (pending,) = adjustments["pending"]
    assert pending["staff_id"] == "E3" and pending["before"]["n"] == 2 and pending["after"]["n"] == 3
    # Two visits were too few (neutral 1.0); three at 96.43 reach the 95 band (1.10).
    assert pending["after"]["score"] == round((V2_PERSON + 100 + 100) / 3, 2) and pending["coefficient_change"] == 0.1
    motivation = client.get("/v1/motivation", params={"period": "2026-10"}, headers=hr).json()
    assert motivation["closed"] is True and motivation["rows"] == body["rows"]
    # The next close carries it; then it is no longer pending.
    november = client.post("/v1/periods/2026-11/close", json={"force": True}, headers=hr).json()
    assert [a["staff_id"] for a in november["carried"]] == ["E3"]
    again = client.get("/v1/periods/2026-10/adjustments", headers=hr).json()
    assert again["pending"] == [] and again["carried"][0]["carried_by"] == november["snapshot_id"]
    with open_store(settings) as db, pytest.raises(INTEGRITY_ERRORS, match="never changes"):
        db.execute("UPDATE period_snapshots SET rows = '[]'")
    with open_store(settings) as db, pytest.raises(INTEGRITY_ERRORS, match="append-only"):
        db.execute("DELETE FROM audit_log")


def test_roles_for_the_figures(client, world):
    hr, tablet = world["hr"], world["tablet"]
    v1 = world["visits"]["V1"]
    assert client.post(f"/v1/submissions/{v1['submission_id']}/review", json={}, headers=hr).status_code == 403
    assert client.get(f"/v1/submissions/{v1['submission_id']}", headers=hr).status_code == 403
    assert client.get("/v1/scores/units", params={"period": "2026-10"}, headers=tablet.headers).status_code == 403
    assert client.get("/v1/motivation", params={"period": "2026-10"}, headers=tablet.headers).status_code == 403
    assert client.post("/v1/periods/2026-10/close", headers=world["lead"]).status_code == 403
    assert client.get("/v1/scores/units", params={"period": "2026-13"}, headers=hr).status_code == 400


def test_audit_log_records_decisions(client, world, settings):
    with open_store(settings) as db:
        actions = db.execute("SELECT actor, action, object_id FROM audit_log ORDER BY id").fetchall()
    assert [a[1] for a in actions].count("approve") == 5 and (
        "saule",
        "reject",
        world["visits"]["V5"]["submission_id"],
    ) in actions
