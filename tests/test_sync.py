"""Offline sync through HTTP on a real SQLite file: push, receipts, merge, quarantine, pull."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store
from tests.tablet import ALMATY, PASSING, Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}


@pytest.fixture
def org(client, admin, example_checklist):
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/units/U2", json=UNIT | {"active": False}, headers=admin)
    client.put("/v1/units/CC1", json=UNIT | {"kind": "contact_centre"}, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    client.put("/v1/staff/E2", json={"name": "Иванова Мария", "unit_id": "U1", "active": False}, headers=admin)
    return {
        "a": Tablet(make_user(client, admin, "aigerim", "auditor")),
        "b": Tablet(make_user(client, admin, "daulet", "auditor")),
        "lead": make_user(client, admin, "saule", "quality_lead"),
        "hr": make_user(client, admin, "dana", "hr"),
    }


def _views(settings) -> dict:
    with open_store(settings) as db:
        rows = db.execute("SELECT submission_id, document FROM submission_views ORDER BY submission_id").fetchall()
    import json

    out = {}
    for sub, doc in rows:
        body = json.loads(doc)
        body.pop("updated_at")
        out[sub] = body
    return out


def test_push_applies_scores_and_reads_back(client, org):
    tablet = org["a"]
    rev = tablet.revision()
    (receipt,) = tablet.push(client, [rev])
    assert receipt["status"] == "applied" and receipt["heads"] == [rev["rev_id"]]
    assert receipt["score"] == 100.0 and receipt["problem"] is None and receipt["missing_parents"] == []
    doc = client.get(f"/v1/submissions/{rev['submission_id']}", headers=tablet.headers).json()
    assert doc["status"] == "received" and doc["scores"]["visit"] == 100.0 and doc["scores"]["person"] == 100.0
    assert {a["item"]: a["value"] for a in doc["view"]["answers"]} == PASSING
    assert doc["view"]["staff_ids"] == ["E1"] and doc["auditor"] == "aigerim"
    lead_view = client.get(f"/v1/submissions/{rev['submission_id']}", headers=org["lead"]).json()
    # The quality lead reads the same document, and the visit's integrity flags (none here).
    assert lead_view.pop("integrity_flags") == [] and lead_view == doc


def test_scores_in_receipts_follow_the_checklist(client, org):
    answers = PASSING | {"GREET.2": 4, "QUEUE.1": 1200, "INFO.1": "partial"}
    (receipt,) = org["a"].push(client, [org["a"].revision(answers=answers)])
    # GREET (w2) = 0.875, QUEUE (w1) = 0.5, INFO (w1) = 0.5, PAY (w3), CLEAN (w1), PHONE (w1) = 1
    assert receipt["score"] == round(100 * (2 * 0.875 + 0.5 + 0.5 + 3 + 1 + 1) / 9, 2) == 86.11


def test_the_same_batch_five_times_gives_duplicates_and_the_same_views(client, org, settings):
    tablet = org["a"]
    first = tablet.revision()
    batch = [first, tablet.revision(), tablet.revision(submission_id=first["submission_id"], parents=[first["rev_id"]])]
    receipts = tablet.push(client, batch)
    assert [r["status"] for r in receipts] == ["applied", "applied", "applied"]
    views = _views(settings)
    for _ in range(5):
        again = tablet.push(client, batch)
        assert [r["status"] for r in again] == ["duplicate"] * 3
        assert [r["heads"] for r in again] == [r["heads"] for r in receipts]
    assert _views(settings) == views
    with open_store(settings) as db:
        assert db.execute("SELECT count(*) FROM revisions").fetchone() == (3,)


def test_reused_rev_id_with_other_content_is_rejected(client, org, settings):
    tablet = org["a"]
    rev = tablet.revision()
    tablet.push(client, [rev])
    views = _views(settings)
    changed = rev | {"answers": [{"item": "GREET.1", "value": False}]}
    (receipt,) = tablet.push(client, [changed])
    assert receipt["status"] == "rejected" and receipt["problem"]["code"] == "rev_id_reused"
    assert _views(settings) == views


def test_a_child_before_its_parent_is_pending_then_converges(client, org):
    tablet = org["a"]
    parent = tablet.revision(state="draft")
    child = tablet.revision(submission_id=parent["submission_id"], parents=[parent["rev_id"]])
    (pending,) = tablet.push(client, [child])
    assert pending["status"] == "pending" and pending["missing_parents"] == [parent["rev_id"]]
    (applied,) = tablet.push(client, [parent])
    assert applied["status"] == "applied" and applied["heads"] == [child["rev_id"]]
    doc = client.get(f"/v1/submissions/{parent['submission_id']}", headers=tablet.headers).json()
    assert doc["pending"] == [] and doc["status"] == "received"


def test_a_push_is_processed_parents_first(client, org):
    tablet = org["a"]
    parent = tablet.revision(state="draft")
    child = tablet.revision(submission_id=parent["submission_id"], parents=[parent["rev_id"]])
    receipts = tablet.push(client, [child, parent])
    assert [r["status"] for r in receipts] == ["applied", "applied"]
    assert receipts[0]["heads"] == [child["rev_id"]]


def test_concurrent_edits_merge_with_a_conflict(client, org):
    tablet = org["a"]
    root = tablet.revision(state="draft")
    tablet.push(client, [root])
    left = tablet.revision(
        submission_id=root["submission_id"], parents=[root["rev_id"]], answers=PASSING | {"GREET.1": False}
    )
    right = tablet.revision(
        submission_id=root["submission_id"], parents=[root["rev_id"]], answers=PASSING | {"GREET.2": 1}
    )
    receipts = tablet.push(client, [left, right])
    assert [r["status"] for r in receipts] == ["merged", "merged"]
    doc = client.get(f"/v1/submissions/{root['submission_id']}", headers=org["lead"]).json()
    assert sorted(doc["heads"]) == sorted([left["rev_id"], right["rev_id"]])
    values = {a["item"]: a["value"] for a in doc["view"]["answers"]}
    assert values["GREET.1"] is False and values["GREET.2"] == 1, "edits of different fields both survive"
    assert doc["conflicts"] == [] and doc["status"] == "received"


def test_reviewer_correction_beats_an_offline_edit_and_a_resolution_clears_it(client, org):
    tablet, lead = org["a"], org["lead"]
    root = tablet.revision()
    tablet.push(client, [root])
    sub = root["submission_id"]
    # The reviewer corrects GREET.2 to 3 while the tablet, offline, changes it to 2.
    correction = tablet.edit(root, answers=PASSING | {"GREET.2": 3})
    correction["hlc"] = None
    response = client.post(f"/v1/submissions/{sub}/revisions", json=correction, headers=lead)
    assert response.status_code == 200 and response.json()["status"] == "applied"
    offline = tablet.edit(root, answers=PASSING | {"GREET.2": 2})
    (receipt,) = tablet.push(client, [offline])
    assert receipt["status"] == "merged"
    doc = client.get(f"/v1/submissions/{sub}", headers=lead).json()
    greet = {a["item"]: a["value"] for a in doc["view"]["answers"]}["GREET.2"]
    assert greet == 3, "the reviewer's value wins whatever the clocks say"
    assert doc["status"] == "needs_review"
    (conflict,) = doc["conflicts"]
    assert conflict["field"] == "answers[GREET.2].value" and conflict["rev_id"] == correction["rev_id"]
    assert conflict["value"] == [3, False] and conflict["losing"] == [
        {"value": [2, False], "rev_id": offline["rev_id"]}
    ]
    # The correction reaches the tablet through pull.
    changes, _ = tablet.pull_all(client)
    pulled = [c for c in changes if c["kind"] == "submission" and c["id"] == sub]
    assert pulled and pulled[-1]["data"]["conflicts"][0]["value"] == [3, False]
    # A resolution naming all the heads clears the conflict, even keeping the auditor's value.
    resolve = tablet.edit(root, parents=doc["heads"], answers=PASSING | {"GREET.2": 2})
    response = client.post(f"/v1/submissions/{sub}/revisions", json=resolve, headers=lead)
    assert response.json()["status"] == "applied" and response.json()["heads"] == [resolve["rev_id"]]
    doc = client.get(f"/v1/submissions/{sub}", headers=lead).json()
    assert doc["conflicts"] == [] and doc["status"] == "received"
    assert {a["item"]: a["value"] for a in doc["view"]["answers"]}["GREET.2"] == 2


QUARANTINE_CASES = [
    ("unknown version", {"checklist": {"id": "example", "version": 9}}, "unknown_checklist_version", "checklist"),
    ("unknown item", {"answers": [{"item": "NOPE.1", "value": True}]}, "invalid_answer", "answers[0].item"),
    ("wrong type", {"answers": [{"item": "GREET.1", "value": 1}]}, "invalid_answer", "answers[0].value"),
    (
        "na with value",
        {"answers": [{"item": "INFO.1", "value": "full", "na": True}]},
        "invalid_answer",
        "answers[0].value",
    ),
    ("missing required", {"answers": [{"item": "GREET.1", "value": True}]}, "invalid_answer", "answers"),
    ("same item twice", {"answers": [{"item": "GREET.1", "value": True}] * 2}, "invalid_answer", "answers[1].item"),
    ("unknown unit", {"unit_id": "NOPE"}, "unknown_unit", "unit_id"),
    ("inactive unit", {"unit_id": "U2"}, "inactive_unit", "unit_id"),
    ("unit kind", {"unit_id": "CC1"}, "unit_kind_mismatch", "unit_id"),
    ("unknown staff", {"staff_ids": ["E9"]}, "unknown_staff", "staff_ids[0]"),
    ("inactive staff", {"staff_ids": ["E2"]}, "inactive_staff", "staff_ids[0]"),
    ("malformed hlc", {"hlc": "yesterday"}, "invalid_shape", "hlc"),
    ("nested value", {"answers": [{"item": "GREET.1", "value": {"a": 1}}]}, "invalid_shape", "answers[0].value"),
    ("time without offset", {"started_at": "2026-10-14T10:32:05"}, "invalid_shape", "started_at"),
]


@pytest.mark.parametrize(("name", "change", "code", "path"), QUARANTINE_CASES, ids=[c[0] for c in QUARANTINE_CASES])
def test_unusable_revisions_are_quarantined_and_block_nothing(client, org, admin, name, change, code, path):
    tablet = org["a"]
    bad = tablet.revision() | change
    good = tablet.revision()
    receipts = tablet.push(client, [bad, good])
    assert receipts[0]["status"] == "quarantined", receipts[0]
    assert receipts[0]["problem"]["code"] == code and receipts[0]["problem"]["path"] == path
    assert receipts[1]["status"] == "applied"
    (again,) = tablet.push(client, [bad])
    assert again["status"] == "quarantined" and again["problem"]["code"] == code
    listed = client.get("/v1/admin/quarantine", headers=admin).json()["items"]
    assert [q["rev_id"] for q in listed] == [bad["rev_id"]] and listed[0]["code"] == code


def test_replay_after_publishing_the_missing_version(client, org, admin):
    tablet = org["a"]
    bad = tablet.revision(checklist={"id": "example", "version": 2})
    (receipt,) = tablet.push(client, [bad])
    assert receipt["status"] == "quarantined"
    replay = client.post("/v1/admin/quarantine/replay", json={}, headers=admin).json()["items"]
    assert [r["status"] for r in replay] == ["quarantined"], "still unusable: nothing changes"
    text = EXAMPLE_CHECKLIST.read_text(encoding="utf-8").replace("version = 1", "version = 2")
    client.post("/v1/checklists", content=text.encode(), headers=admin | {"Content-Type": "application/toml"})
    replay = client.post("/v1/admin/quarantine/replay", json={"ids": [1]}, headers=admin).json()["items"]
    assert [r["status"] for r in replay] == ["applied"]
    assert client.get("/v1/admin/quarantine", headers=admin).json()["items"] == []
    (again,) = tablet.push(client, [bad])
    assert again["status"] == "duplicate"
    doc = client.get(f"/v1/submissions/{bad['submission_id']}", headers=tablet.headers).json()
    assert doc["checklist"] == {"id": "example", "version": 2} and doc["scores"]["visit"] == 100.0


def test_an_undecodable_revision_without_rev_id_is_rejected(client, org):
    receipts = org["a"].push(client, [{"hello": "tablet"}, [1, 2], org["a"].revision()])
    assert [r["status"] for r in receipts] == ["rejected", "rejected", "applied"]
    assert receipts[0]["problem"]["code"] == "unidentifiable"


def test_another_auditors_submission_is_not_owner(client, org, settings):
    rev = org["a"].revision()
    org["a"].push(client, [rev])
    intruder = org["b"].revision(submission_id=rev["submission_id"], parents=[rev["rev_id"]])
    (receipt,) = org["b"].push(client, [intruder])
    assert receipt["status"] == "rejected" and receipt["problem"]["code"] == "not_owner"
    assert receipt["heads"] == [] and receipt["score"] is None  # nothing of the other auditor's visit
    assert client.get(f"/v1/submissions/{rev['submission_id']}", headers=org["b"].headers).status_code == 404
    assert client.get(f"/v1/submissions/{rev['submission_id']}/revisions", headers=org["b"].headers).status_code == 404
    assert client.get(f"/v1/submissions/{rev['submission_id']}", headers=org["hr"]).status_code == 403
    changes, _ = org["b"].pull_all(client)
    assert not [c for c in changes if c["kind"] == "submission"]


def test_envelope_errors(client, org):
    tablet = org["a"]
    body = tablet.envelope([tablet.revision()]) | {"device_id": str(uuid.uuid4())}
    response = client.post("/v1/sync/push", json=body, headers=tablet.headers)
    assert response.status_code == 400 and response.json()["code"] == "device_mismatch"
    response = client.post("/v1/sync/push", json={"device_id": tablet.device_id}, headers=tablet.headers)
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == ""
    response = client.post("/v1/sync/push", json=tablet.envelope([{}] * 501), headers=tablet.headers)
    assert response.status_code == 400 and response.json()["code"] == "too_many_revisions"
    response = client.post("/v1/sync/push", content=b"{", headers=tablet.headers)
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"
    naive = tablet.envelope([]) | {"sent_at": "2026-10-14T10:00:00"}
    assert client.post("/v1/sync/push", json=naive, headers=tablet.headers).status_code == 400


def test_a_revoked_token_cannot_push(client, org, admin):
    tablet = org["a"]
    assert client.delete("/v1/users/aigerim/tokens", headers=admin).status_code == 204
    response = client.post("/v1/sync/push", json=tablet.envelope([tablet.revision()]), headers=tablet.headers)
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_clock_offset_places_the_visit_in_its_period(client, org):
    # The tablet's clock is 2 hours behind: its "23:30 on 31 October" was really 01:30 on 1 November.
    tablet = org["a"]
    tablet.clock_skew = -dt.timedelta(hours=2)
    rev = tablet.revision(started_at="2026-10-31T23:30:00+05:00")
    tablet.push(client, [rev])
    doc = client.get(f"/v1/submissions/{rev['submission_id']}", headers=tablet.headers).json()
    corrected = dt.datetime.fromisoformat(doc["corrected_start"].replace("Z", "+00:00")).astimezone(ALMATY)
    assert abs(corrected - dt.datetime(2026, 11, 1, 1, 30, tzinfo=ALMATY)) < dt.timedelta(seconds=30)
    assert doc["period"] == "2026-11"
    revisions = client.get(f"/v1/submissions/{rev['submission_id']}/revisions", headers=tablet.headers).json()
    offset = revisions["items"][0]["clock_offset_ms"]
    assert abs(offset - 2 * 3600 * 1000) < 30_000
    # A retry later records nothing new: the offset of the first arrival stays.
    tablet.clock_skew = dt.timedelta(0)
    tablet.push(client, [rev])
    again = client.get(f"/v1/submissions/{rev['submission_id']}/revisions", headers=tablet.headers).json()
    assert again["items"][0]["clock_offset_ms"] == offset


def test_pull_shows_exactly_what_the_auditor_may_see(client, org, admin):
    a, b = org["a"], org["b"]
    body = {
        "auditor": "aigerim",
        "unit_id": "U1",
        "checklist_id": "example",
        "due_from": "2026-11-01",
        "due_to": "2026-11-30",
    }
    client.put("/v1/assignments/A-1", json=body, headers=admin)
    client.put("/v1/assignments/B-1", json=body | {"auditor": "daulet"}, headers=admin)
    mine = a.revision()
    a.push(client, [mine])
    b.push(client, [b.revision()])
    changes, cursor = a.pull_all(client)
    seen = {(c["kind"], c["id"]) for c in changes}
    assert {("checklist", "example@1"), ("unit", "U1"), ("staff", "E1"), ("assignment", "A-1")} <= seen
    assert ("assignment", "B-1") not in seen
    assert [c["id"] for c in changes if c["kind"] == "submission"] == [mine["submission_id"]]
    assert [c["seq"] for c in changes] == sorted(c["seq"] for c in changes)
    unit = next(c for c in changes if c["kind"] == "unit" and c["id"] == "U1")
    assert unit["data"] == client.get("/v1/units/U1", headers=admin).json()
    # Nothing new: an empty page. Then the assignment is taken away: a delete arrives.
    assert a.pull_all(client, cursor)[0] == []
    client.put("/v1/assignments/A-1", json=body | {"auditor": "daulet"}, headers=admin)
    later, _ = a.pull_all(client, cursor)
    assert [(c["kind"], c["id"], c["op"], c["data"]) for c in later] == [("assignment", "A-1", "delete", None)]


def test_pull_pages_and_expired_cursors(client, org, admin):
    tablet = org["a"]
    for i in range(7):
        client.put(f"/v1/units/P{i}", json=UNIT, headers=admin)
    pages, cursor = [], None
    while True:
        body = client.get(
            "/v1/sync/pull", params={"limit": 3} | ({"cursor": cursor} if cursor else {}), headers=tablet.headers
        ).json()
        pages.append(len(body["changes"]))
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert sum(pages) == len(tablet.pull_all(client)[0]) and max(pages) == 3
    for bad in ("otherdb.5", cursor.split(".")[0] + ".999999", "garbage"):
        response = client.get("/v1/sync/pull", params={"cursor": bad}, headers=tablet.headers)
        assert response.status_code == 410 and response.json()["code"] == "cursor_expired"


def test_release_a_pending_revision(client, org):
    tablet, lead = org["a"], org["lead"]
    lost_parent = str(uuid.uuid4())
    orphan = tablet.revision(parents=[lost_parent])
    (receipt,) = tablet.push(client, [orphan])
    assert receipt["status"] == "pending"
    sub = orphan["submission_id"]
    response = client.post(f"/v1/submissions/{sub}/release/{orphan['rev_id']}", headers=lead)
    assert response.status_code == 200
    doc = response.json()
    assert doc["pending"] == [] and doc["heads"] == [orphan["rev_id"]] and doc["scores"]["visit"] == 100.0
    assert client.post(f"/v1/submissions/{sub}/release/{orphan['rev_id']}", headers=lead).status_code == 409
    assert client.post(f"/v1/submissions/{sub}/release/{uuid.uuid4()}", headers=lead).status_code == 404


def test_rebuild_gives_what_the_server_had(client, org, admin, settings):
    tablet = org["a"]
    root = tablet.revision(state="draft")
    tablet.push(client, [root, tablet.revision(), tablet.revision(parents=[str(uuid.uuid4())])])
    tablet.push(
        client,
        [
            tablet.revision(
                submission_id=root["submission_id"], parents=[root["rev_id"]], answers=PASSING | {"GREET.1": False}
            ),
            tablet.revision(
                submission_id=root["submission_id"], parents=[root["rev_id"]], answers=PASSING | {"GREET.1": True}
            ),
        ],
    )
    before = _views(settings)
    _, cursor = tablet.pull_all(client)
    with open_store(settings) as db:
        db.execute("DELETE FROM submission_views")
    response = client.post("/v1/admin/rebuild", headers=admin)
    assert response.status_code == 200 and response.json()["submissions"] == 3
    assert _views(settings) == before
    # The tablet gets each rebuilt submission once, after the cursor it had.
    changes, _ = tablet.pull_all(client, cursor)
    pulled = sorted(c["id"] for c in changes if c["kind"] == "submission")
    assert pulled == sorted(before) and len(pulled) == 3
