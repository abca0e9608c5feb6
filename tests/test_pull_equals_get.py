"""A pulled change's `data` is the object exactly as its own GET returns it, for every kind of change."""

from __future__ import annotations

import json
import uuid

from tests.conftest import EXAMPLE_CHECKLIST, make_user
from tests.tablet import PASSING, Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
OCTOBER = "2026-10-15T11:00:00+05:00"
MISSING_PHOTO = "ab" * 32

# A version published as JSON: a description, a hint, float weights and every optional field given
# explicitly, beside example@1 (TOML) that leaves `required`, `weight`, `evidence`, ... at their defaults.
SPELLED_OUT = {
    "id": "spelled",
    "version": 1,
    "unit_kind": "branch",
    "title": {"ru": "Полный", "kk": "Толық", "en": '=HYPERLINK("x")'},
    "description": {"ru": "Описание", "kk": "Сипаттама", "en": "+1 description"},
    "standards": [
        {
            "code": "ONE",
            "category": "process",
            "weight": 1.5,
            "attribution": "unit",
            "title": {"ru": "Один", "kk": "Бір", "en": "One"},
            "items": [
                {
                    "id": "ONE.1",
                    "kind": "yes_no",
                    "text": {"ru": "Да?", "kk": "Иә?", "en": "Yes?"},
                    "hint": {"ru": "Подсказка", "kk": "Кеңес", "en": "@hint"},
                    "weight": 2,
                    "required": False,
                    "na_allowed": True,
                    "critical": "flag",
                    "evidence": "optional",
                    "pass_answer": True,
                }
            ],
        }
    ],
}


def _exact(value: object) -> str:
    """A value's JSON with its key order and number types kept: `1` and `1.0`, `true` and `1` differ."""
    return json.dumps(value, ensure_ascii=False)


def _get_path(change: dict) -> str:
    kind, object_id = change["kind"], change["id"]
    if kind == "checklist":
        checklist_id, _, version = object_id.rpartition("@")
        return f"/v1/checklists/{checklist_id}/versions/{version}"
    return {
        "unit": f"/v1/units/{object_id}",
        "staff": f"/v1/staff/{object_id}",
        "assignment": f"/v1/assignments/{object_id}",
        "submission": f"/v1/submissions/{object_id}",
    }[kind]


def _store_with_every_kind(client, admin, example_checklist) -> tuple[Tablet, dict]:
    toml_v2 = EXAMPLE_CHECKLIST.read_text(encoding="utf-8").replace("version = 1", "version = 2", 1)
    published = client.post(
        "/v1/checklists", content=toml_v2.encode(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert published.status_code == 201, published.text
    assert client.post("/v1/checklists", json=SPELLED_OUT, headers=admin).status_code == 201
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/units/U2", json=UNIT | {"name": "Закрытый филиал", "active": False}, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    client.put(
        "/v1/staff/E2",
        json={"name": "Иванова Мария", "unit_id": "U1", "position": "-кассир", "active": False},
        headers=admin,
    )
    tablet = Tablet(make_user(client, admin, "aigerim", "auditor"))
    make_user(client, admin, "daulet", "auditor")
    lead = make_user(client, admin, "saule", "quality_lead")
    assignment = {
        "auditor": "aigerim",
        "unit_id": "U1",
        "checklist_id": "example",
        "due_from": "2026-10-01",
        "due_to": "2026-10-31",
    }
    for key, body in {
        "A-1": assignment,
        "A-2": assignment | {"active": False},
        "A-3": assignment,
        "B-1": assignment | {"auditor": "daulet"},
    }.items():
        assert client.put(f"/v1/assignments/{key}", json=body, headers=admin).status_code == 200
    # Taken away from aigerim: her tablet gets a delete.
    client.put("/v1/assignments/A-3", json=assignment | {"auditor": "daulet"}, headers=admin)
    # Retired after the assignments were made (new assignments may not use it; the feed says so).
    assert client.post("/v1/checklists/example/versions/2/retire", headers=admin).status_code == 200

    approved = tablet.revision(started_at=OCTOBER, assignment_id="A-1", location={"lat": 43.24, "lon": 76.91})
    rejected = tablet.revision(started_at=OCTOBER, answers=PASSING | {"GREET.2": 4, "INFO.1": "partial"})
    root = tablet.revision(started_at=OCTOBER, state="draft")
    draft = tablet.revision(state="draft", answers={"NOTES.1": "=1+2", "QUEUE.2": 2.5})
    waiting = tablet.revision(
        started_at=OCTOBER,
        answers=PASSING | {"CLEAN.2": None},
        location={"lat": 43.0, "lon": 76.0, "accuracy_m": 12},
    )
    waiting["answers"][-1]["evidence"] = [MISSING_PHOTO]
    received = tablet.revision(started_at=OCTOBER)
    pending = tablet.revision(parents=[str(uuid.uuid4())])
    quarantined = tablet.revision(unit_id="NO-SUCH-UNIT")
    receipts = tablet.push(client, [approved, rejected, root, draft, waiting, received, pending, quarantined])
    assert [r["status"] for r in receipts] == ["applied"] * 6 + ["pending", "quarantined"]
    left = tablet.edit(root, answers=PASSING | {"GREET.2": 3}, state="submitted")
    right = tablet.edit(root, answers=PASSING | {"GREET.2": 4, "NOTES.1": "=cmd|' /C calc'!A0"}, state="submitted")
    assert [r["status"] for r in tablet.push(client, [left, right])] == ["merged", "merged"]
    correction = tablet.edit(rejected, answers=PASSING | {"GREET.2": 5})
    corrected = client.post(f"/v1/submissions/{rejected['submission_id']}/revisions", json=correction, headers=lead)
    assert corrected.status_code == 200 and corrected.json()["status"] == "applied", corrected.text
    for rev, decision, comment in ((approved, "approve", None), (rejected, "reject", "@визит в выходной")):
        heads = client.get(f"/v1/submissions/{rev['submission_id']}", headers=lead).json()["heads"]
        body = {"decision": decision, "heads": heads} | ({"comment": comment} if comment else {})
        response = client.post(f"/v1/submissions/{rev['submission_id']}/review", json=body, headers=lead)
        assert response.status_code == 200, response.text
    return tablet, {"conflicting": root["submission_id"], "waiting": waiting["submission_id"]}


def test_every_pulled_change_is_its_get(client, admin, example_checklist):
    tablet, visits = _store_with_every_kind(client, admin, example_checklist)
    changes, _ = tablet.pull_all(client)
    covered = set()
    for change in changes:
        covered.add((change["kind"], change["op"]))
        if change["op"] == "delete":
            # By design: the object is no longer this auditor's to see (an admin still reads it,
            # now assigned to someone else), so the tablet is told only to drop it.
            assert change["data"] is None
            theirs = client.get(_get_path(change), headers=admin).json()
            assert theirs["auditor"] != "aigerim"
            continue
        own = client.get(_get_path(change), headers=tablet.headers)
        if change["kind"] == "submission":
            assert own.status_code == 200, own.text  # the auditor reads its own submissions itself
            expected = own.json()
        else:
            # The auditor has no GET of its own for these (they reach it by pull): compare with an admin's.
            assert own.status_code == 403
            expected = client.get(_get_path(change), headers=admin).json()
        assert _exact(change["data"]) == _exact(expected), (change["kind"], change["id"])
    assert covered == {
        ("checklist", "upsert"),
        ("unit", "upsert"),
        ("staff", "upsert"),
        ("assignment", "upsert"),
        ("assignment", "delete"),
        ("submission", "upsert"),
    }
    pulled = {(c["kind"], c["id"]): c["data"] for c in changes}
    assert {"example@1", "example@2", "spelled@1"} == {i for k, i in pulled if k == "checklist"}
    assert pulled[("checklist", "example@2")]["retired"] is True
    # Defaults are spelled out, so a tablet never has to know them.
    item = pulled[("checklist", "example@1")]["checklist"]["standards"][0]["items"][0]
    assert (item["required"], item["weight"], item["evidence"], item["hint"]) == (True, 1.0, "none", None)
    statuses = sorted(d["status"] for (k, _), d in pulled.items() if k == "submission")
    # The pending revision's visit has no merged view yet: a draft until its parent arrives.
    expected = ["approved", "rejected", "needs_review", "draft", "awaiting_evidence", "received", "draft"]
    assert statuses == sorted(expected)
    assert pulled[("submission", visits["conflicting"])]["conflicts"] != []
    assert ("assignment", "B-1") not in pulled


def test_a_retired_version_is_pulled_again_as_its_get_says(client, admin, example_checklist):
    """The checklist is encoded once per published version; what changes later (`retired`) is read each time."""
    tablet = Tablet(make_user(client, admin, "aigerim", "auditor"))
    changes, cursor = tablet.pull_all(client)
    (before,) = [c["data"] for c in changes if c["kind"] == "checklist"]
    assert before["retired"] is False
    assert client.post("/v1/checklists/example/versions/1/retire", headers=admin).status_code == 200
    later, _ = tablet.pull_all(client, cursor)
    assert [(c["kind"], c["id"], c["op"]) for c in later] == [("checklist", "example@1", "upsert")]
    get = client.get("/v1/checklists/example/versions/1", headers=admin).json()
    assert get["retired"] is True and _exact(later[0]["data"]) == _exact(get)
    assert _exact(later[0]["data"]) == _exact(before | {"retired": True})
